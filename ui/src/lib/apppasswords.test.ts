import { describe, expect, it } from 'vitest';
import { type AppPassword, activeFirst, davURL } from './apppasswords';

const ap = (id: number, revoked: string | null = null): AppPassword => ({
	id,
	name: `p${id}`,
	scope: 'dav',
	created_at: '2026-12-01T00:00:00Z',
	last_used_at: null,
	last_used_ip: '',
	revoked_at: revoked
});

describe('activeFirst', () => {
	it('puts active ones first, newest first, and leaves the input alone', () => {
		const input = [ap(1), ap(2, '2026-12-02T00:00:00Z'), ap(3), ap(4, '2026-12-02T00:00:00Z')];
		expect(activeFirst(input).map((p) => p.id)).toEqual([3, 1, 4, 2]);
		expect(input.map((p) => p.id)).toEqual([1, 2, 3, 4]);
	});
	it('handles an empty list', () => {
		expect(activeFirst([])).toEqual([]);
	});
});

describe('davURL', () => {
	it('is the origin and /dav/', () => {
		expect(davURL('https://aiwfe.example.com')).toBe('https://aiwfe.example.com/dav/');
		expect(davURL('https://192.168.1.5:8443/')).toBe('https://192.168.1.5:8443/dav/');
	});
});

import { describe, expect, it } from 'vitest';
import { backoffMs, formatBytes, formatMs, formatRate, wsUrl } from './backoff';

describe('backoffMs', () => {
	it('doubles up to the cap', () => {
		const none = () => 0;
		expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, none))).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
		expect(backoffMs(1000, none)).toBe(15000);
	});
	it('takes at most a quarter off for jitter', () => {
		expect(backoffMs(2, () => 0.999)).toBeGreaterThanOrEqual(1500);
		expect(backoffMs(2, () => 0.5)).toBe(1750);
	});
});

describe('wsUrl', () => {
	it('follows the page scheme', () => {
		expect(wsUrl('/api/v1/ws/chat', { protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/api/v1/ws/chat');
		expect(wsUrl('/x', { protocol: 'https:', host: 'a.example' })).toBe('wss://a.example/x');
	});
});

describe('formatting', () => {
	it('formats rates, durations and sizes', () => {
		expect(formatRate(49.83)).toBe('49.8 tok/s');
		expect(formatRate(512.4)).toBe('512 tok/s');
		expect(formatRate(0)).toBe('');
		expect(formatRate(undefined)).toBe('');
		expect(formatMs(812.4)).toBe('812 ms');
		expect(formatMs(2400)).toBe('2.4 s');
		expect(formatBytes(1321082688)).toBe('1.3 GB');
		expect(formatBytes(0)).toBe('—');
		expect(formatBytes(999)).toBe('999 B');
	});
});

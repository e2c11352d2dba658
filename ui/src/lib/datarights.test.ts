import { describe, expect, it } from 'vitest';
import { CONFIRM_DELETE, exportFilename } from './datarights';
import { setFlash, takeFlash } from './flash';

describe('exportFilename', () => {
	it('matches the server: email and UTC day', () => {
		expect(exportFilename('ann@example.com', '2026-11-27T23:59:59.5Z')).toBe('aiwfe-export-ann@example.com-2026-11-27.json');
		expect(exportFilename('a+b@example.com', new Date('2026-01-02T00:00:00Z'))).toBe('aiwfe-export-a+b@example.com-2026-01-02.json');
	});
	it('replaces characters a file name or header should not hold', () => {
		expect(exportFilename('x"y/z é@example.com', '2026-11-27T00:00:00Z')).toBe('aiwfe-export-x_y_z__@example.com-2026-11-27.json');
	});
	it('falls back to today for an unparseable date', () => {
		expect(exportFilename('a@b.c', 'nope')).toMatch(/^aiwfe-export-a@b\.c-\d{4}-\d{2}-\d{2}\.json$/);
	});
	it('asks for the word the server wants', () => {
		expect(CONFIRM_DELETE).toBe('DELETE');
	});
});

describe('flash', () => {
	it('is taken once', () => {
		expect(takeFlash()).toBeNull();
		setFlash({ tone: 'info', message: 'gone' });
		expect(takeFlash()).toEqual({ tone: 'info', message: 'gone' });
		expect(takeFlash()).toBeNull();
	});
});

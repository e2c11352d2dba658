import { describe, expect, it } from 'vitest';
import { isFoundEvent } from './client';

describe('isFoundEvent', () => {
	it('knows the progress event of proposals found in the background, and nothing else', () => {
		expect(isFoundEvent({ type: 'event', data: { type: 'opportunities', source: 'document', document_id: 7, count: 2 } })).toBe(true);
		expect(isFoundEvent({ type: 'event', data: { type: 'document', document_id: 7 } })).toBe(false);
		expect(isFoundEvent({ type: 'ping' })).toBe(false);
		expect(isFoundEvent({ type: 'event' })).toBe(false);
	});
});

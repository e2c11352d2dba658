import { describe, expect, it } from 'vitest';
import { base64ToBytes, certState } from './certificates';

describe('certificates', () => {
	it('names the state, revoked before expired', () => {
		expect(certState({ revoked: false, expired: false })).toBe('active');
		expect(certState({ revoked: true, expired: true })).toBe('revoked');
		expect(certState({ revoked: false, expired: true })).toBe('expired');
	});
	it('decodes base64 to the exact bytes', () => {
		expect([...base64ToBytes('AAH/gA==')]).toEqual([0, 1, 255, 128]);
	});
});

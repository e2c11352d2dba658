import { describe, expect, it } from 'vitest';
import { accessExpiry, readCookie, refreshDelayMs } from './expiry';

describe('expiry', () => {
	it('reads the access_expires cookie as Unix seconds', () => {
		expect(accessExpiry('theme=dark; access_expires=1767225600; csrf_token=x')).toBe(1767225600);
		expect(accessExpiry('xaccess_expires=5; access_expires=1767225600')).toBe(1767225600);
	});

	it('rejects a missing or malformed expiry', () => {
		expect(accessExpiry('')).toBeNull();
		expect(accessExpiry('csrf_token=x')).toBeNull();
		expect(accessExpiry('access_expires=')).toBeNull();
		expect(accessExpiry('access_expires=soon')).toBeNull();
		expect(accessExpiry('access_expires=-5')).toBeNull();
		expect(accessExpiry('access_expires=1e10')).toBeNull();
	});

	it('schedules refresh 5 minutes before expiry, with a floor', () => {
		const now = 1_000_000_000_000;
		expect(refreshDelayMs(now / 1000 + 3600, now)).toBe(55 * 60_000);
		expect(refreshDelayMs(now / 1000 + 60, now)).toBe(5_000);
		expect(refreshDelayMs(now / 1000 - 60, now)).toBe(5_000);
		expect(refreshDelayMs(now / 1000 + 600, now, 120_000, 1_000)).toBe(480_000);
	});

	it('reads one cookie by exact name', () => {
		const c = 'xaccess_expires=no; access_expires=123; csrf_token=1%3A2%3Asig';
		expect(readCookie(c, 'access_expires')).toBe('123');
		expect(readCookie(c, 'csrf_token')).toBe('1:2:sig');
		expect(readCookie(c, 'missing')).toBeNull();
		expect(readCookie('', 'access_expires')).toBeNull();
	});
});

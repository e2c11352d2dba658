import { describe, expect, it } from 'vitest';
import { jwtExp, jwtPayload, readCookie, refreshDelayMs } from './jwt';

function b64url(s: string): string {
	return Buffer.from(s, 'utf8').toString('base64url');
}
const jwt = (payload: unknown) => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(payload))}.c2ln`;

describe('jwt', () => {
	it('reads exp from a real-shaped token, including base64url characters', () => {
		// "email" with characters that produce '-' and '_' in base64url, and no padding.
		const t = jwt({ sub: 7, email: 'é~~~>?@x.io', role: 'admin', exp: 1767225600 });
		expect(t).toMatch(/[-_]/);
		expect(jwtExp(t)).toBe(1767225600);
		expect(jwtPayload(t)?.email).toBe('é~~~>?@x.io');
	});

	it('rejects malformed tokens and a non-numeric exp', () => {
		expect(jwtExp('')).toBeNull();
		expect(jwtExp('a.b')).toBeNull();
		expect(jwtExp('a.!!!.c')).toBeNull();
		expect(jwtExp(jwt({ sub: 1 }))).toBeNull();
		expect(jwtExp(jwt({ exp: '1767225600' }))).toBeNull();
		expect(jwtExp(jwt([1, 2]))).toBeNull();
	});

	it('schedules refresh 5 minutes before expiry, with a floor', () => {
		const now = 1_000_000_000_000;
		expect(refreshDelayMs(now / 1000 + 3600, now)).toBe(55 * 60_000);
		expect(refreshDelayMs(now / 1000 + 60, now)).toBe(5_000);
		expect(refreshDelayMs(now / 1000 - 60, now)).toBe(5_000);
		expect(refreshDelayMs(now / 1000 + 600, now, 120_000, 1_000)).toBe(480_000);
	});

	it('reads one cookie by exact name', () => {
		const c = 'xaccess_token=no; access_token=abc.def.ghi; csrf_token=1%3A2%3Asig';
		expect(readCookie(c, 'access_token')).toBe('abc.def.ghi');
		expect(readCookie(c, 'csrf_token')).toBe('1:2:sig');
		expect(readCookie(c, 'missing')).toBeNull();
		expect(readCookie('', 'access_token')).toBeNull();
	});
});

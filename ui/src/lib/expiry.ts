// When the session's access token runs out. The token itself is an HttpOnly cookie that no
// script here can read (so an injected one cannot steal it either); the server sets
// `access_expires` beside it, the token's expiry in Unix seconds, which is all the UI needs to
// refresh in time. Being a cookie, it is shared by every tab, like the token.

export const EXPIRES_COOKIE = 'access_expires';

/** The access token's expiry (seconds since the epoch) from a `document.cookie` string, or null. */
export function accessExpiry(cookieString: string): number | null {
	const raw = readCookie(cookieString, EXPIRES_COOKIE);
	if (raw === null || !/^\d{1,12}$/.test(raw)) return null;
	return Number(raw);
}

/**
 * How long to wait before refreshing a token that expires at `expSeconds`:
 * `leadMs` before expiry, never less than `minMs` (so an already-expired token is
 * refreshed soon but not in a tight loop).
 */
export function refreshDelayMs(
	expSeconds: number,
	nowMs: number,
	leadMs = 5 * 60_000,
	minMs = 5_000
): number {
	return Math.max(minMs, expSeconds * 1000 - nowMs - leadMs);
}

/** Reads one cookie by name from a `document.cookie` string. */
export function readCookie(cookieString: string, name: string): string | null {
	for (const part of cookieString.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		if (part.slice(0, eq).trim() === name) {
			const raw = part.slice(eq + 1).trim();
			try {
				return decodeURIComponent(raw);
			} catch {
				return raw;
			}
		}
	}
	return null;
}

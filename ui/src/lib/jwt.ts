/** Decodes the payload of a JWT without verifying it (the server verifies; we only schedule). */
export function jwtPayload(token: string): Record<string, unknown> | null {
	const parts = token.split('.');
	if (parts.length !== 3 || !parts[1]) return null;
	try {
		let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
		b64 += '='.repeat((4 - (b64.length % 4)) % 4);
		const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
		return value && typeof value === 'object' && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}

/** The `exp` claim in seconds since the epoch, or null when absent or malformed. */
export function jwtExp(token: string): number | null {
	const exp = jwtPayload(token)?.exp;
	return typeof exp === 'number' && Number.isFinite(exp) ? exp : null;
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

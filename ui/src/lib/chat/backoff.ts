/**
 * Delay before reconnect attempt `attempt` (0-based): doubling from `baseMs`, capped at
 * `maxMs`, with up to 25 % jitter taken off so many tabs do not reconnect in step.
 */
export function backoffMs(attempt: number, random = Math.random, baseMs = 500, maxMs = 15_000): number {
	const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
	return Math.round(raw * (1 - 0.25 * random()));
}

/** The WebSocket URL of an API path on this page's origin. */
export function wsUrl(path: string, loc: { protocol: string; host: string } = location): string {
	return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + path;
}

/** Tokens per second of a reply, for display ("42.1 tok/s"), or '' when unknown. */
export function formatRate(tps: number | undefined | null): string {
	if (!tps || !Number.isFinite(tps) || tps <= 0) return '';
	return `${tps >= 100 ? Math.round(tps) : tps.toFixed(1)} tok/s`;
}

/** Milliseconds as "812 ms" or "2.4 s". */
export function formatMs(ms: number | undefined | null): string {
	if (ms === undefined || ms === null || !Number.isFinite(ms)) return '';
	return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Bytes as "1.3 GB". */
export function formatBytes(n: number | undefined | null): string {
	if (!n || n <= 0) return '—';
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let i = 0;
	let v = n;
	while (v >= 1000 && i < units.length - 1) {
		v /= 1000;
		i++;
	}
	return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

// GET /health (public): overall status, version and one entry per dependency check.

export interface HealthCheck {
	status: string;
	[key: string]: unknown;
}

export interface Health {
	status: string;
	version?: string;
	checks: Record<string, HealthCheck>;
}

export type HealthResult = { ok: true; health: Health } | { ok: false; error: string };

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral';

function isHealth(v: unknown): v is Health {
	if (!v || typeof v !== 'object') return false;
	const h = v as Record<string, unknown>;
	return typeof h.status === 'string' && (h.checks === undefined || typeof h.checks === 'object');
}

/** A degraded server may answer 503 with a valid body: that is still an answer, not an outage. */
export async function fetchHealth(f: typeof fetch, timeoutMs = 8000): Promise<HealthResult> {
	let res: Response;
	try {
		res = await f('/health', {
			headers: { Accept: 'application/json' },
			credentials: 'same-origin',
			cache: 'no-store',
			signal: AbortSignal.timeout(timeoutMs)
		});
	} catch {
		return { ok: false, error: 'The server did not answer.' };
	}
	let body: unknown;
	try {
		body = await res.json();
	} catch {
		return { ok: false, error: `The server answered ${res.status} without a health report.` };
	}
	if (!isHealth(body)) {
		return { ok: false, error: `The server answered ${res.status} without a health report.` };
	}
	const checks: Record<string, HealthCheck> = {};
	for (const [name, c] of Object.entries(body.checks ?? {})) {
		checks[name] =
			c && typeof c === 'object' && typeof (c as HealthCheck).status === 'string'
				? (c as HealthCheck)
				: { status: 'unknown', value: c };
	}
	return { ok: true, health: { ...body, checks } };
}

export function statusTone(status: string): Tone {
	switch (status.toLowerCase()) {
		case 'ok':
		case 'up':
		case 'healthy':
		case 'pass':
			return 'ok';
		case 'degraded':
		case 'warn':
		case 'warning':
		case 'disabled':
			return 'warn';
		case 'down':
		case 'error':
		case 'fail':
		case 'failed':
		case 'unhealthy':
			return 'bad';
		default:
			return 'neutral';
	}
}

function humanize(key: string): string {
	const s = key.replace(/_/g, ' ').trim();
	return s.charAt(0).toUpperCase() + s.slice(1);
}

function show(v: unknown): string {
	if (v === null || v === undefined) return '—';
	if (typeof v === 'boolean') return v ? 'yes' : 'no';
	if (typeof v === 'object') return JSON.stringify(v);
	return String(v);
}

/** Every field of a check except its status, as label/value pairs in the server's order. */
export function checkDetails(check: HealthCheck): { label: string; value: string }[] {
	const out: { label: string; value: string }[] = [];
	for (const [key, v] of Object.entries(check)) {
		if (key === 'status') continue;
		if (key.endsWith('_ms') && typeof v === 'number') {
			out.push({ label: humanize(key.slice(0, -3)), value: `${Math.round(v * 10) / 10} ms` });
		} else {
			out.push({ label: humanize(key), value: show(v) });
		}
	}
	return out;
}

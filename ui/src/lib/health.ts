import { formatDate } from './format';
import { isAdmin } from './nav';

// GET /health (public): the overall status for everyone; version, uptime and one entry per
// dependency check only for admins (and callers on the server's own machine).

export interface HealthCheck {
	status: string;
	[key: string]: unknown;
}

export interface Health {
	status: string;
	version?: string;
	uptime_seconds?: number;
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

/** Whether someone with `role` (null: signed out) is shown the checks, version and uptime. */
export function seesHealthDetails(role: string | null | undefined): boolean {
	return isAdmin(role);
}

/**
 * What of a report a viewer is shown: everything for admins, the status alone for others. The
 * server already answers the public with the status only, but it answers a browser on the
 * appliance's own machine in full; the page still keeps the details to admins.
 */
export function healthFor(h: Health, role: string | null | undefined): Health {
	return seesHealthDetails(role) ? h : { status: h.status, checks: {} };
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

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const UNITS: [suffix: string, unit: string][] = [
	['_ms', 'ms'],
	['_mb', 'MB'],
	['_seconds', 's'],
	['_bytes', 'bytes']
];

function scalar(v: unknown): string {
	if (v === null || v === undefined) return '—';
	if (typeof v === 'boolean') return v ? 'yes' : 'no';
	if (typeof v === 'number') return String(Math.round(v * 10) / 10);
	if (typeof v === 'string' && ISO_TIME.test(v)) return formatDate(v);
	return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export interface Detail {
	label: string;
	value: string;
}

function flatten(key: string, v: unknown, prefix: string, out: Detail[]): void {
	const unit = UNITS.find(([suffix]) => key.endsWith(suffix) && typeof v === 'number');
	const name = unit ? key.slice(0, -unit[0].length) : key;
	// `detail`/`details` wrap a check's own fields: show those directly.
	const label = /^details?$/.test(key) ? prefix : prefix ? `${prefix} › ${humanize(name)}` : humanize(name);
	if (Array.isArray(v)) {
		if (v.every((x) => x === null || typeof x !== 'object')) {
			out.push({ label: label || humanize(key), value: v.map(scalar).join(', ') || '—' });
		} else {
			v.forEach((x, i) => {
				const at = v.length > 1 ? `${label} #${i + 1}`.trim() : label;
				if (x && typeof x === 'object' && !Array.isArray(x)) {
					for (const [k, y] of Object.entries(x)) flatten(k, y, at, out);
				} else {
					out.push({ label: at || humanize(key), value: scalar(x) });
				}
			});
		}
	} else if (v && typeof v === 'object') {
		for (const [k, x] of Object.entries(v)) flatten(k, x, label, out);
	} else {
		out.push({ label: label || humanize(key), value: unit ? `${scalar(v)} ${unit[1]}` : scalar(v) });
	}
}

/** Every field of a check except its status, flattened to label/value pairs in the server's order. */
export function checkDetails(check: HealthCheck): Detail[] {
	const out: Detail[] = [];
	for (const [key, v] of Object.entries(check)) if (key !== 'status') flatten(key, v, '', out);
	return out;
}

/** "3 d 4 h", "2 h 5 min", "42 s". */
export function formatUptime(seconds: number): string {
	const s = Math.floor(seconds);
	const d = Math.floor(s / 86400);
	const h = Math.floor((s % 86400) / 3600);
	const m = Math.floor((s % 3600) / 60);
	if (d) return `${d} d ${h} h`;
	if (h) return `${h} h ${m} min`;
	if (m) return `${m} min`;
	return `${s} s`;
}

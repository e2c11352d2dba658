// Recurrence presets (the editor's "Repeats" choices) and the RRULE they stand for. A rule the
// presets cannot say exactly is kept as raw text ("custom"), never rewritten into something else.

export type Freq = 'none' | 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY' | 'custom';
export type Ends = 'never' | 'until' | 'count';

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_LABELS: Record<Weekday, string> = {
	MO: 'Mon',
	TU: 'Tue',
	WE: 'Wed',
	TH: 'Thu',
	FR: 'Fri',
	SA: 'Sat',
	SU: 'Sun'
};

export interface Recurrence {
	freq: Freq;
	/** Every N days, weeks, months or years. */
	interval: number;
	/** Weekly: the days it falls on (empty: the start's weekday). */
	byday: Weekday[];
	ends: Ends;
	/** Last day (inclusive), YYYY-MM-DD, when ends is "until". */
	until: string;
	/** How many times, when ends is "count". */
	count: number;
	/** The rule as written, for "custom". */
	raw: string;
}

export const NO_RECURRENCE: Recurrence = { freq: 'none', interval: 1, byday: [], ends: 'never', until: '', count: 10, raw: '' };

const PRESET_PARTS = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'UNTIL', 'COUNT', 'WKST']);

/**
 * Reads a rule into presets. `zone` is the event's zone: a timed series' UNTIL is a UTC instant,
 * and its last day is the day that instant falls on there.
 */
export function parseRRule(rule: string, zone = 'UTC'): Recurrence {
	const raw = rule.trim().replace(/^RRULE:/i, '');
	if (!raw) return { ...NO_RECURRENCE };
	const custom: Recurrence = { ...NO_RECURRENCE, freq: 'custom', raw };
	const parts = new Map<string, string>();
	for (const p of raw.split(';')) {
		if (!p) continue;
		const i = p.indexOf('=');
		if (i <= 0) return custom;
		parts.set(p.slice(0, i).toUpperCase(), p.slice(i + 1).toUpperCase());
	}
	for (const k of parts.keys()) if (!PRESET_PARTS.has(k)) return custom;
	const freq = parts.get('FREQ');
	if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY' && freq !== 'YEARLY') return custom;
	const out: Recurrence = { ...NO_RECURRENCE, freq, raw };
	if (parts.has('INTERVAL')) {
		const n = Number(parts.get('INTERVAL'));
		if (!Number.isInteger(n) || n < 1) return custom;
		out.interval = n;
	}
	if (parts.has('BYDAY')) {
		const days = parts.get('BYDAY')!.split(',');
		// "1MO" (the first Monday) and BYDAY outside weekly rules are beyond the presets.
		if (freq !== 'WEEKLY' || !days.every((d) => (WEEKDAYS as readonly string[]).includes(d))) return custom;
		out.byday = WEEKDAYS.filter((d) => days.includes(d));
	}
	if (parts.has('WKST') && parts.get('WKST') !== 'MO') return custom;
	if (parts.has('COUNT') && parts.has('UNTIL')) return custom;
	if (parts.has('COUNT')) {
		const n = Number(parts.get('COUNT'));
		if (!Number.isInteger(n) || n < 1) return custom;
		out.ends = 'count';
		out.count = n;
	}
	if (parts.has('UNTIL')) {
		const day = untilDay(parts.get('UNTIL')!, zone);
		if (!day) return custom;
		out.ends = 'until';
		out.until = day;
	}
	return out;
}

function untilDay(v: string, zone: string): string | null {
	const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(v);
	if (!m) return null;
	if (!m[4] || m[7] !== 'Z') return `${m[1]}-${m[2]}-${m[3]}`;
	const t = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
	return wallIn(t, zone).slice(0, 10);
}

/**
 * The rule the presets stand for ("" for none). An all-day series ends on a date; a timed one
 * at the last second of its last day in `zone`, as a UTC instant (RFC 5545 3.3.10).
 */
export function toRRule(r: Recurrence, allDay: boolean, zone = 'UTC'): string {
	if (r.freq === 'none') return '';
	if (r.freq === 'custom') return r.raw.trim().replace(/^RRULE:/i, '');
	const parts = [`FREQ=${r.freq}`];
	if (r.interval > 1) parts.push(`INTERVAL=${Math.floor(r.interval)}`);
	if (r.freq === 'WEEKLY' && r.byday.length > 0) parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.byday.includes(d)).join(',')}`);
	if (r.ends === 'count' && r.count >= 1) parts.push(`COUNT=${Math.floor(r.count)}`);
	if (r.ends === 'until' && /^\d{4}-\d{2}-\d{2}$/.test(r.until)) {
		const compact = r.until.replaceAll('-', '');
		if (allDay) parts.push(`UNTIL=${compact}`);
		else parts.push(`UNTIL=${utcStamp(zonedToInstant(`${r.until}T23:59:59`, zone))}`);
	}
	return parts.join(';');
}

/** A short sentence for the rule ("Weekly on Mon, Wed · 10 times"). */
export function describeRecurrence(r: Recurrence): string {
	if (r.freq === 'none') return 'Does not repeat';
	if (r.freq === 'custom') return `Custom: ${r.raw}`;
	const unit = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month', YEARLY: 'year' }[r.freq];
	let s = r.interval > 1 ? `Every ${r.interval} ${unit}s` : { DAILY: 'Daily', WEEKLY: 'Weekly', MONTHLY: 'Monthly', YEARLY: 'Yearly' }[r.freq];
	if (r.freq === 'WEEKLY' && r.byday.length) s += ' on ' + r.byday.map((d) => WEEKDAY_LABELS[d]).join(', ');
	if (r.ends === 'count') s += ` · ${r.count} time${r.count === 1 ? '' : 's'}`;
	if (r.ends === 'until' && r.until) s += ` · until ${r.until}`;
	return s;
}

// --- wall times in a zone (the browser knows zones only through Intl) ---

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
	let f = formatters.get(zone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone: zone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit'
		});
		formatters.set(zone, f);
	}
	return f;
}

/** The wall time of instant `t` in `zone`, as YYYY-MM-DDTHH:MM:SS. */
export function wallIn(t: Date, zone: string): string {
	const p: Record<string, string> = {};
	for (const part of formatter(zone).formatToParts(t)) p[part.type] = part.value;
	return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

function wallAsUTC(wall: string): number {
	const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(wall);
	if (!m) return NaN;
	return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
}

/**
 * The instant at which `zone`'s clocks show `wall`. A wall time skipped by a spring-forward
 * change comes out an hour later, as the server reads it (RFC 5545 3.3.5).
 */
export function zonedToInstant(wall: string, zone: string): Date {
	const target = wallAsUTC(wall);
	let t = target;
	// Two corrections converge for every real zone (the offset at the guess, then at the answer).
	for (let i = 0; i < 2; i++) t = target - (wallAsUTC(wallIn(new Date(t), zone)) - t);
	return new Date(t);
}

function utcStamp(t: Date): string {
	return t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** `wall` moved by `minutes` of wall-clock time (YYYY-MM-DDTHH:MM:SS). */
export function addWall(wall: string, minutes: number): string {
	return new Date(wallAsUTC(wall) + minutes * 60_000).toISOString().slice(0, 19);
}

/** Minutes of wall-clock time from `a` to `b` (DST changes do not count). */
export function wallMinutes(a: string, b: string): number {
	return Math.round((wallAsUTC(b) - wallAsUTC(a)) / 60_000);
}

/** A date moved by `days`. */
export function addDays(date: string, days: number): string {
	return new Date(wallAsUTC(date) + days * 86_400_000).toISOString().slice(0, 10);
}

// The RRULE subset tasks repeat by (daily, weekly on days, monthly, yearly, every N), as a
// small form model for the drawer and as words for the list and the quick-add preview.

export type Freq = '' | 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const DAY_NAMES: Record<Weekday, string> = {
	MO: 'Monday',
	TU: 'Tuesday',
	WE: 'Wednesday',
	TH: 'Thursday',
	FR: 'Friday',
	SA: 'Saturday',
	SU: 'Sunday'
};

export interface Rule {
	freq: Freq;
	interval: number;
	/** Weekly only. */
	days: Weekday[];
	/** Monthly only: the day of the month (1–31, -1 the last), 0 for "the due's day". */
	monthDay: number;
	/** Parts of the rule this form does not edit (kept as they were). */
	rest: string[];
}

export const NO_RULE: Rule = { freq: '', interval: 1, days: [], monthDay: 0, rest: [] };

/** Reads an RRULE ("RRULE:" prefix allowed); what it cannot read is kept in `rest`. */
export function parseRule(src: string | null | undefined): Rule {
	const text = (src ?? '').trim().replace(/^RRULE:/i, '');
	if (!text) return { ...NO_RULE, days: [], rest: [] };
	const r: Rule = { freq: '', interval: 1, days: [], monthDay: 0, rest: [] };
	for (const part of text.split(';')) {
		const [k, v = ''] = part.split('=');
		const key = k.trim().toUpperCase();
		const val = v.trim().toUpperCase();
		if (key === 'FREQ' && ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(val)) r.freq = val as Freq;
		else if (key === 'INTERVAL' && /^\d+$/.test(val) && +val > 0) r.interval = +val;
		else if (key === 'BYDAY' && val.split(',').every((d) => (WEEKDAYS as readonly string[]).includes(d))) {
			r.days = WEEKDAYS.filter((d) => val.split(',').includes(d));
		} else if (key === 'BYMONTHDAY' && /^-?\d+$/.test(val)) r.monthDay = +val;
		else if (part.trim()) r.rest.push(part.trim());
	}
	return r;
}

/** The RRULE of a form model ("" when it does not repeat). */
export function buildRule(r: Rule): string {
	if (!r.freq) return '';
	const parts = [`FREQ=${r.freq}`];
	const n = Math.max(1, Math.floor(r.interval || 1));
	if (n > 1) parts.push(`INTERVAL=${n}`);
	if (r.freq === 'WEEKLY' && r.days.length > 0) parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.days.includes(d)).join(',')}`);
	if (r.freq === 'MONTHLY' && r.monthDay !== 0) parts.push(`BYMONTHDAY=${r.monthDay}`);
	return [...parts, ...r.rest].join(';');
}

function ordinal(n: number): string {
	if (n === -1) return 'last day';
	const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
	return `${n}${s}`;
}

function list(words: string[]): string {
	return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

const UNIT: Record<Exclude<Freq, ''>, [string, string]> = {
	DAILY: ['day', 'days'],
	WEEKLY: ['week', 'weeks'],
	MONTHLY: ['month', 'months'],
	YEARLY: ['year', 'years']
};

/** The rule in words: "Every day", "Every 2 weeks on Monday and Thursday", "Every month on the 1st". */
export function describeRule(src: string | null | undefined): string {
	const r = parseRule(src);
	if (!r.freq) return (src ?? '').trim() ? (src ?? '').trim() : '';
	const [one, many] = UNIT[r.freq];
	let text = r.interval > 1 ? `Every ${r.interval} ${many}` : `Every ${one}`;
	if (r.freq === 'WEEKLY' && r.days.length > 0) {
		const weekdays = ['MO', 'TU', 'WE', 'TH', 'FR'];
		text +=
			r.days.length === 5 && weekdays.every((d) => r.days.includes(d as Weekday))
				? ' on weekdays'
				: ' on ' + list(r.days.map((d) => DAY_NAMES[d]));
	}
	if (r.freq === 'MONTHLY' && r.monthDay !== 0) text += ` on the ${ordinal(r.monthDay)}`;
	return text;
}

export { DAY_NAMES };

// The calendar page's client logic: the range it asks for, instances as the calendar
// component draws them, what a drag or an edit sends (and to which instances: the scope),
// tasks as read-only chips, and feed URLs.
import { addDays, addWall, wallIn, wallMinutes } from './recurrence';
import type { Cal, DueTask, EventInput, Instance } from './types';

/** The query of GET /calendar/events for the range the view shows (instants, so any zone works). */
export function rangeQuery(start: Date, end: Date, calendars?: readonly number[]): string {
	const q = new URLSearchParams({ from: start.toISOString(), to: end.toISOString() });
	if (calendars && calendars.length) q.set('calendar', calendars.join(','));
	return q.toString();
}

/** The browser's zone (IANA), the default for events made here. */
export function browserZone(): string {
	return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function pad(n: number): string {
	return String(n).padStart(2, '0');
}

/** A local Date as a date (YYYY-MM-DD) on the browser's calendar. */
export function localDate(d: Date): string {
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A Date as RFC 3339 with the browser's offset at that instant (what the API takes as an instant). */
export function rfc3339(d: Date): string {
	const off = -d.getTimezoneOffset();
	const sign = off >= 0 ? '+' : '-';
	const a = Math.abs(off);
	return `${localDate(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** The wall time written in an RFC 3339 string (the event's own zone, as the API gives it). */
export function wallOf(s: string): string {
	return s.length >= 19 ? s.slice(0, 19) : s.length === 16 ? s + ':00' : s;
}

// --- drawing ---

export const TASK_PREFIX = 'task-';

function luminance(hex: string): number | null {
	const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
	if (!m) return null;
	const lin = (v: string) => {
		const c = parseInt(v, 16) / 255;
		return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
	};
	return 0.2126 * lin(m[1]) + 0.7152 * lin(m[2]) + 0.0722 * lin(m[3]);
}

/**
 * The text colour for an event drawn in a calendar's colour (any the user picks): near-black or
 * white, whichever contrasts more (WCAG relative luminance).
 */
export function textOn(bg: string): string {
	const l = luminance(bg);
	if (l === null) return '#ffffff';
	const dark = 0.0093; // #18181b
	return (l + 0.05) / (dark + 0.05) >= 1.05 / (l + 0.05) ? '#18181b' : '#ffffff';
}

/** An instance as @event-calendar/core's plain event. */
export function toCalendarEvent(inst: Instance, cal: Cal | undefined) {
	return {
		id: `${inst.event_id}:${inst.recurrence_id}`,
		title: inst.title || '(no title)',
		start: inst.start,
		end: inst.end,
		allDay: inst.all_day,
		backgroundColor: cal?.colour ?? '#6366f1',
		textColor: textOn(cal?.colour ?? '#6366f1'),
		editable: !(inst.read_only || cal?.read_only),
		classNames: inst.status === 'tentative' ? ['opacity-70'] : [],
		extendedProps: { kind: 'event' as const, inst }
	};
}

/** A task with a due date as a read-only chip (a due time: half an hour; a due day: all day). */
export function taskChip(t: DueTask) {
	const base = { id: TASK_PREFIX + t.id, title: `☐ ${t.title}`, editable: false, backgroundColor: '#71717a', extendedProps: { kind: 'task' as const, task: t } };
	if (t.all_day || !t.due_at) {
		const day = (t.due ?? '').slice(0, 10);
		return { ...base, start: day, end: day ? addDays(day, 1) : day, allDay: true };
	}
	const start = new Date(t.due_at);
	return { ...base, start: rfc3339(start), end: rfc3339(new Date(start.getTime() + 30 * 60_000)), allDay: false };
}

/** The query of GET /tasks for open tasks due in the range. */
export function tasksQuery(start: Date, end: Date): string {
	return new URLSearchParams({ due_after: localDate(start), due_before: localDate(end), status: 'todo,in_progress', sort: 'due', per_page: '200' }).toString();
}

// --- which instances a change applies to ---

export type Scope = 'this' | 'following' | 'all';

export const SCOPE_LABELS: Record<Scope, string> = {
	this: 'This event',
	following: 'This and following events',
	all: 'All events'
};

/** Whether a change to `inst` must ask "this / this and following / all". */
export function needsScope(inst: Instance): boolean {
	return inst.recurring;
}

/** Where a change of `inst` goes: PATCH /calendar/events/{id} with these body fields. */
export function scopeTarget(inst: Instance, scope: Scope): { id: number; scope?: Scope; recurrence_id?: string } {
	if (!inst.recurring) return { id: inst.event_id };
	if (scope === 'all') return { id: inst.event_id, scope: 'all' };
	return { id: inst.event_id, scope, recurrence_id: inst.recurrence_id };
}

/** The query of DELETE /calendar/events/{id} for `inst` and `scope`. */
export function deleteQuery(inst: Instance, scope: Scope): string {
	const t = scopeTarget(inst, scope);
	if (!t.scope) return '';
	const q = new URLSearchParams({ scope: t.scope });
	if (t.recurrence_id) q.set('recurrence_id', t.recurrence_id);
	return '?' + q.toString();
}

/** The new times of a dragged or resized instance (Dates from the calendar component, local). */
export interface Moved {
	start: Date;
	end: Date | null;
	allDay: boolean;
}

/** The PATCH body for moving one instance (or a single event) to `m`. */
export function moveInput(inst: Instance, m: Moved): EventInput {
	if (m.allDay) {
		const start = localDate(m.start);
		const end = m.end ? localDate(m.end) : addDays(start, 1);
		return { all_day: true, start, end: end > start ? end : addDays(start, 1) };
	}
	const end = m.end ?? new Date(m.start.getTime() + 60 * 60_000);
	const out: EventInput = { start: rfc3339(m.start), end: rfc3339(end) };
	if (inst.all_day) {
		// From the all-day row into the hours: times in the browser's zone.
		out.all_day = false;
		out.timezone = browserZone();
	}
	return out;
}

/**
 * The PATCH body that moves a whole series as one instance of it was moved: the series' own
 * start shifted by the same wall-clock amount (so 09:00 stays 09:00 across DST), and the new
 * length. `seriesStart` is the series' start as the API gives it.
 */
export function seriesShift(inst: Instance, seriesStart: string, m: Moved): EventInput {
	if (inst.all_day || m.allDay) {
		if (!(inst.all_day && m.allDay)) return moveInput(inst, m); // a change of kind: the instance's times
		const days = Math.round(wallMinutes(inst.start.slice(0, 10), localDate(m.start)) / 1440);
		const len = m.end ? Math.max(1, Math.round(wallMinutes(localDate(m.start), localDate(m.end)) / 1440)) : 1;
		const start = addDays(seriesStart.slice(0, 10), days);
		return { start, end: addDays(start, len) };
	}
	const zone = inst.timezone || browserZone();
	const newWall = wallIn(m.start, zone);
	const shift = wallMinutes(wallOf(inst.start), newWall);
	const end = m.end ?? new Date(m.start.getTime() + 60 * 60_000);
	const len = wallMinutes(newWall, wallIn(end, zone));
	const start = addWall(wallOf(seriesStart), shift);
	return { start: start.slice(0, 16), end: addWall(start, len).slice(0, 16), timezone: zone };
}

// --- feeds ---

/** A feed address as the API takes it, or why not. webcal:// is the usual "subscribe" link. */
export function normaliseFeedURL(input: string): { url: string } | { error: string } {
	const v = input.trim();
	if (!v) return { error: 'Enter the address of an ICS feed.' };
	let u: URL;
	try {
		u = new URL(v);
	} catch {
		return { error: 'That is not a web address (it should start with https://, http:// or webcal://).' };
	}
	if (!['http:', 'https:', 'webcal:', 'webcals:'].includes(u.protocol)) {
		return { error: 'Only http, https and webcal addresses can be subscribed to.' };
	}
	if (!u.hostname) return { error: 'The address names no server.' };
	return { url: v };
}

/** The two forms of a private feed URL: https (Google, Outlook) and webcal (Apple, Thunderbird). */
export function feedLinks(url: string): { https: string; webcal: string } {
	return { https: url, webcal: url.replace(/^https?:\/\//i, 'webcal://') };
}

/** A feed calendar's state in a few words. */
export function feedState(c: Cal, fmt: (iso: string) => string): { tone: 'ok' | 'error' | 'pending'; text: string } {
	const f = c.feed;
	if (!f) return { tone: 'ok', text: '' };
	if (f.error) return { tone: 'error', text: f.error };
	if (!f.refreshed_at) return { tone: 'pending', text: 'Not fetched yet' };
	return { tone: 'ok', text: `Updated ${fmt(f.refreshed_at)}` };
}

/** Whether a /ws/progress event is a calendar change. */
export function isCalendarChange(v: unknown): v is { type: 'calendar'; calendar_id: number; what: string } {
	return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'calendar';
}

// --- the editor's draft ---

/** What the editor edits: times as wall times (YYYY-MM-DDTHH:MM) in `timezone`, or dates. */
export interface Draft {
	calendar_id: number;
	title: string;
	description: string;
	location: string;
	all_day: boolean;
	start: string;
	/** Timed: the end's wall time. All-day: the last day (inclusive, as people say it). */
	end: string;
	timezone: string;
	rrule: string;
	reminders: number[];
	category: string;
	weight: number;
}

/** A new event's draft for a slot the user picked (Dates from the calendar, local). */
export function newDraft(calendarId: number, start: Date, end: Date | null, allDay: boolean, zone = browserZone()): Draft {
	const d: Draft = { calendar_id: calendarId, title: '', description: '', location: '', all_day: allDay, start: '', end: '', timezone: zone, rrule: '', reminders: [], category: '', weight: 1 };
	if (allDay) {
		d.start = localDate(start);
		d.end = end ? addDays(localDate(end), -1) : d.start;
		if (d.end < d.start) d.end = d.start;
	} else {
		const e = end ?? new Date(start.getTime() + 60 * 60_000);
		d.start = wallIn(start, zone).slice(0, 16);
		d.end = wallIn(e, zone).slice(0, 16);
	}
	return d;
}

/** The draft of an instance, with the series' rule when it has one. */
export function instanceDraft(inst: Instance, rrule: string): Draft {
	return {
		calendar_id: inst.calendar_id,
		title: inst.title,
		description: inst.description,
		location: inst.location,
		all_day: inst.all_day,
		start: inst.all_day ? inst.start.slice(0, 10) : wallOf(inst.start).slice(0, 16),
		end: inst.all_day ? addDays(inst.end.slice(0, 10), -1) : wallOf(inst.end).slice(0, 16),
		timezone: inst.timezone || browserZone(),
		rrule,
		reminders: [...inst.reminders],
		category: inst.category,
		weight: inst.weight
	};
}

/** Why a draft cannot be saved, or null. */
export function draftProblem(d: Draft): string | null {
	if (!d.title.trim()) return 'Give the event a title.';
	if (!d.start) return 'Say when it starts.';
	if (d.end && d.end < d.start) return 'It cannot end before it starts.';
	return null;
}

function draftTimes(d: Draft): Pick<EventInput, 'all_day' | 'start' | 'end' | 'timezone'> {
	if (d.all_day) return { all_day: true, start: d.start, end: addDays(d.end || d.start, 1) };
	return { all_day: false, start: d.start, end: d.end || undefined, timezone: d.timezone };
}

/** The body of POST /calendar/events. */
export function createInput(d: Draft): EventInput {
	return {
		calendar_id: d.calendar_id,
		title: d.title.trim(),
		description: d.description,
		location: d.location,
		...draftTimes(d),
		rrule: d.rrule || undefined,
		reminders: d.reminders,
		category: d.category.trim(),
		weight: d.weight
	};
}

/**
 * The PATCH body for saving `d`, opened on `inst`, for `scope`. One instance gets no rule of its
 * own; "all" moves the series' start by as much as this instance was moved (`seriesStart`: the
 * series' start as the API gives it), and leaves it where it is when the times did not change.
 */
export function updateInput(d: Draft, inst: Instance, scope: Scope, seriesStart: string): EventInput {
	const out: EventInput = {
		title: d.title.trim(),
		description: d.description,
		location: d.location,
		reminders: d.reminders,
		category: d.category.trim(),
		weight: d.weight
	};
	if (!inst.recurring) {
		out.rrule = d.rrule;
		if (d.calendar_id !== inst.calendar_id) out.calendar_id = d.calendar_id;
		return { ...out, ...draftTimes(d) };
	}
	if (scope === 'this') return { ...out, ...draftTimes(d) };
	out.rrule = d.rrule;
	if (scope === 'following') return { ...out, ...draftTimes(d) };
	if (d.calendar_id !== inst.calendar_id) out.calendar_id = d.calendar_id;
	const before = instanceDraft(inst, d.rrule);
	if (d.all_day === before.all_day && d.start === before.start && d.end === before.end && d.timezone === before.timezone) return out;
	if (d.all_day !== before.all_day) return { ...out, ...draftTimes(d) };
	if (d.all_day) {
		const days = Math.round(wallMinutes(before.start, d.start) / 1440);
		const len = Math.round(wallMinutes(d.start, d.end || d.start) / 1440);
		const start = addDays(seriesStart.slice(0, 10), days);
		return { ...out, all_day: true, start, end: addDays(start, len + 1) };
	}
	const shift = wallMinutes(before.start + ':00', d.start + ':00');
	const len = wallMinutes(d.start + ':00', (d.end || d.start) + ':00');
	const start = addWall(wallOf(seriesStart), shift);
	return { ...out, start: start.slice(0, 16), end: addWall(start, len).slice(0, 16), timezone: d.timezone };
}

/** Reminder choices offered (minutes before the start). */
export const REMINDER_CHOICES = [0, 5, 10, 15, 30, 60, 120, 1440, 2880, 10080];

/** "10 minutes", "1 hour", "2 days", "1 week" before. */
export function reminderLabel(min: number): string {
	if (min === 0) return 'At the start';
	const [n, unit] = min % 10080 === 0 ? [min / 10080, 'week'] : min % 1440 === 0 ? [min / 1440, 'day'] : min % 60 === 0 ? [min / 60, 'hour'] : [min, 'minute'];
	return `${n} ${unit}${n === 1 ? '' : 's'} before`;
}

/**
 * Where a task chip leads: the tasks page searching for its title (which the page reads), and
 * its id for a page that opens one task.
 */
export function taskHref(t: Pick<DueTask, 'id' | 'title'>): string {
	return `/tasks?${new URLSearchParams({ q: t.title, task: String(t.id) })}`;
}

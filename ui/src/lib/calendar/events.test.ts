// The browser's zone is Berlin here, so that the Date ↔ wall time steps meet a real offset.
process.env.TZ = 'Europe/Berlin';

import { describe, expect, it } from 'vitest';
import {
	deleteQuery,
	feedLinks,
	feedState,
	isCalendarChange,
	moveInput,
	needsScope,
	normaliseFeedURL,
	rangeQuery,
	rfc3339,
	scopeTarget,
	seriesShift,
	taskChip,
	toCalendarEvent,
	textOn,
	taskHref,
	newDraft,
	instanceDraft,
	createInput,
	updateInput,
	draftProblem,
	reminderLabel
} from './events';
import type { Cal, Instance } from './types';

const inst = (o: Partial<Instance> = {}): Instance => ({
	event_id: 7,
	recurrence_id: '',
	start: '2026-03-23T09:00:00-04:00',
	end: '2026-03-23T10:00:00-04:00',
	recurring: false,
	override: false,
	calendar_id: 1,
	uid: 'u1',
	title: 'Standup',
	description: '',
	location: '',
	status: 'confirmed',
	all_day: false,
	timezone: 'America/New_York',
	category: '',
	weight: 1,
	reminders: [],
	read_only: false,
	...o
});

const cal = (o: Partial<Cal> = {}): Cal => ({ id: 1, name: 'Home', colour: '#22c55e', timezone: 'Europe/Berlin', source: 'local', read_only: false, private_feed: false, seq: 0, ...o });

describe('range', () => {
	it('asks for instants, whatever the browser zone', () => {
		// Midnight in Berlin, the week the clocks go forward.
		const q = new URLSearchParams(rangeQuery(new Date(2026, 2, 23), new Date(2026, 2, 30), [1, 3]));
		expect(q.get('from')).toBe('2026-03-22T23:00:00.000Z');
		expect(q.get('to')).toBe('2026-03-29T22:00:00.000Z');
		expect(q.get('calendar')).toBe('1,3');
		expect(new URLSearchParams(rangeQuery(new Date(2026, 0, 1), new Date(2026, 1, 1))).has('calendar')).toBe(false);
	});
	it('writes RFC 3339 with the offset in force at that instant', () => {
		expect(rfc3339(new Date(2026, 2, 28, 9, 0))).toBe('2026-03-28T09:00:00+01:00');
		expect(rfc3339(new Date(2026, 2, 30, 9, 0))).toBe('2026-03-30T09:00:00+02:00');
	});
});

describe('scope', () => {
	it('asks only for recurring instances', () => {
		expect(needsScope(inst())).toBe(false);
		expect(needsScope(inst({ recurring: true, recurrence_id: '2026-03-23T09:00:00-04:00' }))).toBe(true);
	});
	it('sends the scope and the instance for this and following, the series for all', () => {
		const i = inst({ recurring: true, recurrence_id: '2026-03-23T09:00:00-04:00' });
		expect(scopeTarget(i, 'this')).toEqual({ id: 7, scope: 'this', recurrence_id: '2026-03-23T09:00:00-04:00' });
		expect(scopeTarget(i, 'following')).toEqual({ id: 7, scope: 'following', recurrence_id: '2026-03-23T09:00:00-04:00' });
		expect(scopeTarget(i, 'all')).toEqual({ id: 7, scope: 'all' });
		expect(scopeTarget(inst(), 'this')).toEqual({ id: 7 });
		expect(deleteQuery(i, 'this')).toBe('?scope=this&recurrence_id=2026-03-23T09%3A00%3A00-04%3A00');
		expect(deleteQuery(inst(), 'all')).toBe('');
	});
});

describe('moves', () => {
	it('moves a timed instance to instants', () => {
		const body = moveInput(inst(), { start: new Date(2026, 2, 24, 15, 0), end: new Date(2026, 2, 24, 16, 30), allDay: false });
		expect(body).toEqual({ start: '2026-03-24T15:00:00+01:00', end: '2026-03-24T16:30:00+01:00' });
	});
	it('moves an all-day event by dates, end exclusive', () => {
		const i = inst({ all_day: true, start: '2026-03-23', end: '2026-03-24' });
		expect(moveInput(i, { start: new Date(2026, 2, 25), end: new Date(2026, 2, 27), allDay: true })).toEqual({ all_day: true, start: '2026-03-25', end: '2026-03-27' });
		expect(moveInput(i, { start: new Date(2026, 2, 25), end: null, allDay: true })).toEqual({ all_day: true, start: '2026-03-25', end: '2026-03-26' });
	});
	it('gives an all-day event dropped into the hours a time and the browser zone', () => {
		const i = inst({ all_day: true, start: '2026-03-23', end: '2026-03-24' });
		expect(moveInput(i, { start: new Date(2026, 2, 25, 10, 0), end: null, allDay: false })).toEqual({
			start: '2026-03-25T10:00:00+01:00',
			end: '2026-03-25T11:00:00+01:00',
			all_day: false,
			timezone: 'Europe/Berlin'
		});
	});
	it('shifts a whole series by wall-clock time in its own zone, across DST', () => {
		// A New York series that began in January at 09:00 (EST); its 23 March instance (EDT) is
		// dragged from 09:00 to 10:30 New York time (15:30 in Berlin, which is still on winter time).
		const i = inst({ recurring: true, recurrence_id: '2026-03-23T09:00:00-04:00' });
		const body = seriesShift(i, '2026-01-05T09:00:00-05:00', { start: new Date(2026, 2, 23, 15, 30), end: new Date(2026, 2, 23, 16, 0), allDay: false });
		expect(body).toEqual({ start: '2026-01-05T10:30', end: '2026-01-05T11:00', timezone: 'America/New_York' });
	});
	it('shifts an all-day series by days', () => {
		const i = inst({ all_day: true, recurring: true, start: '2026-03-23', end: '2026-03-24', recurrence_id: '2026-03-23' });
		expect(seriesShift(i, '2026-01-05', { start: new Date(2026, 2, 25), end: new Date(2026, 2, 27), allDay: true })).toEqual({ start: '2026-01-07', end: '2026-01-09' });
	});
});

describe('drawing', () => {
	it('draws an instance in its calendar colour, read-only ones fixed', () => {
		const e = toCalendarEvent(inst({ recurrence_id: 'r' }), cal());
		expect(e).toMatchObject({ id: '7:r', title: 'Standup', backgroundColor: '#22c55e', editable: true, allDay: false });
		expect(toCalendarEvent(inst(), cal({ read_only: true, source: 'feed' })).editable).toBe(false);
		expect(toCalendarEvent(inst({ title: '' }), undefined).title).toBe('(no title)');
	});
	it('draws a task due on a day all day, one due at a time for half an hour', () => {
		expect(taskChip({ id: 3, title: 'Pay rent', status: 'todo', due: '2026-03-25', due_at: '2026-03-24T23:00:00Z', all_day: true })).toMatchObject({
			id: 'task-3',
			start: '2026-03-25',
			end: '2026-03-26',
			allDay: true,
			editable: false
		});
		expect(taskChip({ id: 4, title: 'Call', status: 'todo', due: '2026-03-25T14:00:00+01:00', due_at: '2026-03-25T13:00:00Z', all_day: false })).toMatchObject({
			start: '2026-03-25T14:00:00+01:00',
			end: '2026-03-25T14:30:00+01:00',
			allDay: false
		});
	});
	it('writes on a calendar colour in whichever of near-black and white contrasts more', () => {
		expect(textOn('#22c55e')).toBe('#18181b'); // green: white would be 2.3:1
		expect(textOn('#f59e0b')).toBe('#18181b');
		expect(textOn('#6366f1')).toBe('#ffffff');
		expect(textOn('#1e3a8a')).toBe('#ffffff');
		expect(textOn('not a colour')).toBe('#ffffff');
		expect(toCalendarEvent(inst(), cal()).textColor).toBe('#18181b');
	});
	it('leads a task chip to the task', () => {
		expect(taskHref({ id: 12, title: 'Pay rent & bills' })).toBe('/tasks?q=Pay+rent+%26+bills&task=12');
	});
	it('knows a calendar change on the progress socket', () => {
		expect(isCalendarChange({ type: 'calendar', calendar_id: 2, what: 'events' })).toBe(true);
		expect(isCalendarChange({ type: 'document', document_id: 2 })).toBe(false);
		expect(isCalendarChange(null)).toBe(false);
	});
});

describe('feeds', () => {
	it('takes https, http and webcal addresses', () => {
		expect(normaliseFeedURL('  webcal://example.org/cal.ics ')).toEqual({ url: 'webcal://example.org/cal.ics' });
		expect(normaliseFeedURL('https://example.org/a.ics?x=1')).toEqual({ url: 'https://example.org/a.ics?x=1' });
	});
	it('refuses what is not a feed address, saying why', () => {
		for (const v of ['', 'example.org/cal.ics', 'ftp://example.org/cal.ics', 'file:///etc/passwd', 'javascript:alert(1)']) {
			expect('error' in normaliseFeedURL(v), v).toBe(true);
		}
	});
	it('offers a private feed as https and webcal', () => {
		expect(feedLinks('https://aiwfe.local:8443/api/v1/calendar/feed/abc.ics')).toEqual({
			https: 'https://aiwfe.local:8443/api/v1/calendar/feed/abc.ics',
			webcal: 'webcal://aiwfe.local:8443/api/v1/calendar/feed/abc.ics'
		});
	});
	it('says how a feed is doing', () => {
		const fmt = (s: string) => s.slice(0, 10);
		const feed = { url: 'https://x/a.ics', error: '', refreshed_at: null, checked_at: null, next_at: null, interval_seconds: 1800 };
		expect(feedState(cal({ source: 'feed', feed }), fmt)).toEqual({ tone: 'pending', text: 'Not fetched yet' });
		expect(feedState(cal({ source: 'feed', feed: { ...feed, refreshed_at: '2026-03-01T10:00:00Z' } }), fmt)).toEqual({ tone: 'ok', text: 'Updated 2026-03-01' });
		expect(feedState(cal({ source: 'feed', feed: { ...feed, refreshed_at: '2026-03-01T10:00:00Z', error: 'HTTP 500' } }), fmt)).toEqual({ tone: 'error', text: 'HTTP 500' });
	});
});

describe('the editor draft', () => {
	const rec = inst({ recurring: true, recurrence_id: '2026-03-23T09:00:00-04:00' });
	it('makes a new timed draft in the browser zone and an all-day one with an inclusive last day', () => {
		expect(newDraft(1, new Date(2026, 2, 24, 9), new Date(2026, 2, 24, 10), false)).toMatchObject({ start: '2026-03-24T09:00', end: '2026-03-24T10:00', timezone: 'Europe/Berlin' });
		expect(newDraft(1, new Date(2026, 2, 24), new Date(2026, 2, 26), true)).toMatchObject({ start: '2026-03-24', end: '2026-03-25', all_day: true });
	});
	it('reads an instance in its own zone', () => {
		expect(instanceDraft(rec, 'FREQ=WEEKLY')).toMatchObject({ start: '2026-03-23T09:00', end: '2026-03-23T10:00', timezone: 'America/New_York', rrule: 'FREQ=WEEKLY' });
	});
	it('creates with times, rule and an exclusive all-day end', () => {
		const d = { ...newDraft(2, new Date(2026, 2, 24), null, true), title: ' Trip ', rrule: 'FREQ=YEARLY' };
		expect(createInput(d)).toMatchObject({ calendar_id: 2, title: 'Trip', all_day: true, start: '2026-03-24', end: '2026-03-25', rrule: 'FREQ=YEARLY' });
	});
	it('saves one instance without a rule, and the series without moving it when the times are kept', () => {
		const d = { ...instanceDraft(rec, 'FREQ=WEEKLY'), title: 'Standup (moved)' };
		expect(updateInput(d, rec, 'this', '2026-01-05T09:00:00-05:00')).not.toHaveProperty('rrule');
		const all = updateInput(d, rec, 'all', '2026-01-05T09:00:00-05:00');
		expect(all).toMatchObject({ title: 'Standup (moved)', rrule: 'FREQ=WEEKLY' });
		expect(all).not.toHaveProperty('start');
	});
	it('moves the series by as much as the instance moved', () => {
		const d = { ...instanceDraft(rec, 'FREQ=WEEKLY'), start: '2026-03-24T11:00', end: '2026-03-24T11:45' };
		expect(updateInput(d, rec, 'all', '2026-01-05T09:00:00-05:00')).toMatchObject({ start: '2026-01-06T11:00', end: '2026-01-06T11:45', timezone: 'America/New_York' });
		expect(updateInput(d, rec, 'following', '2026-01-05T09:00:00-05:00')).toMatchObject({ start: '2026-03-24T11:00', end: '2026-03-24T11:45', rrule: 'FREQ=WEEKLY' });
	});
	it('refuses a draft without a title or ending before it starts', () => {
		expect(draftProblem({ ...instanceDraft(rec, ''), title: ' ' })).toMatch(/title/);
		expect(draftProblem({ ...instanceDraft(rec, ''), end: '2026-03-23T08:00' })).toMatch(/before/);
		expect(draftProblem(instanceDraft(rec, ''))).toBeNull();
	});
	it('words reminders', () => {
		expect([0, 10, 60, 120, 1440, 10080].map(reminderLabel)).toEqual(['At the start', '10 minutes before', '1 hour before', '2 hours before', '1 day before', '1 week before']);
	});
});

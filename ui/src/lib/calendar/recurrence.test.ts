import { describe, expect, it } from 'vitest';
import { NO_RECURRENCE, type Recurrence, addWall, describeRecurrence, parseRRule, toRRule, wallIn, wallMinutes, zonedToInstant } from './recurrence';

const rec = (r: Partial<Recurrence>): Recurrence => ({ ...NO_RECURRENCE, ...r });

describe('presets ↔ RRULE', () => {
	const cases: { name: string; r: Partial<Recurrence>; allDay: boolean; zone?: string; rule: string }[] = [
		{ name: 'daily', r: { freq: 'DAILY' }, allDay: false, rule: 'FREQ=DAILY' },
		{ name: 'every 2 days', r: { freq: 'DAILY', interval: 2 }, allDay: false, rule: 'FREQ=DAILY;INTERVAL=2' },
		{ name: 'weekly on days, in week order', r: { freq: 'WEEKLY', byday: ['MO', 'WE', 'FR'] }, allDay: false, rule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR' },
		{ name: 'monthly, 10 times', r: { freq: 'MONTHLY', ends: 'count', count: 10 }, allDay: false, rule: 'FREQ=MONTHLY;COUNT=10' },
		{ name: 'yearly all-day until a date', r: { freq: 'YEARLY', ends: 'until', until: '2030-12-31' }, allDay: true, rule: 'FREQ=YEARLY;UNTIL=20301231' },
		{
			name: 'timed until: the end of that day in Berlin (winter, UTC+1)',
			r: { freq: 'WEEKLY', ends: 'until', until: '2026-12-31' },
			allDay: false,
			zone: 'Europe/Berlin',
			rule: 'FREQ=WEEKLY;UNTIL=20261231T225959Z'
		},
		{
			name: 'timed until: the end of that day in New York (summer, UTC-4)',
			r: { freq: 'DAILY', ends: 'until', until: '2026-07-01' },
			allDay: false,
			zone: 'America/New_York',
			rule: 'FREQ=DAILY;UNTIL=20260702T035959Z'
		}
	];
	for (const c of cases) {
		it(c.name, () => {
			const r = rec(c.r);
			const rule = toRRule(r, c.allDay, c.zone);
			expect(rule).toBe(c.rule);
			const back = parseRRule(rule, c.zone);
			expect({ ...back, raw: '' }).toEqual({ ...r, raw: '' });
		});
	}

	it('no rule is no recurrence, both ways', () => {
		expect(parseRRule('').freq).toBe('none');
		expect(toRRule(rec({ freq: 'none' }), false)).toBe('');
	});

	it('keeps what the presets cannot say as a custom rule, unchanged', () => {
		for (const rule of ['FREQ=MONTHLY;BYDAY=1MO', 'FREQ=MONTHLY;BYMONTHDAY=-1', 'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'FREQ=HOURLY', 'FREQ=DAILY;BYDAY=MO', 'garbage', 'FREQ=DAILY;INTERVAL=0']) {
			const r = parseRRule(rule);
			expect(r.freq, rule).toBe('custom');
			expect(toRRule(r, false)).toBe(rule);
		}
	});

	it('takes RRULE: prefixes and lower case', () => {
		expect(parseRRule('RRULE:freq=weekly;byday=tu').byday).toEqual(['TU']);
		expect(toRRule(rec({ freq: 'custom', raw: 'RRULE:FREQ=DAILY;BYHOUR=9' }), false)).toBe('FREQ=DAILY;BYHOUR=9');
	});

	it('reads a floating or date UNTIL as that day', () => {
		expect(parseRRule('FREQ=DAILY;UNTIL=20270105').until).toBe('2027-01-05');
		expect(parseRRule('FREQ=DAILY;UNTIL=20270105T090000').until).toBe('2027-01-05');
	});

	it('says it in words', () => {
		expect(describeRecurrence(rec({ freq: 'WEEKLY', byday: ['MO', 'WE'], ends: 'count', count: 3 }))).toBe('Weekly on Mon, Wed · 3 times');
		expect(describeRecurrence(rec({ freq: 'MONTHLY', interval: 2 }))).toBe('Every 2 months');
		expect(describeRecurrence(rec({}))).toBe('Does not repeat');
	});
});

describe('wall times in zones', () => {
	it('reads an instant in a zone', () => {
		const t = new Date('2026-03-29T01:30:00Z'); // Berlin has just sprung forward
		expect(wallIn(t, 'Europe/Berlin')).toBe('2026-03-29T03:30:00');
		expect(wallIn(t, 'America/New_York')).toBe('2026-03-28T21:30:00');
		expect(wallIn(t, 'Asia/Kolkata')).toBe('2026-03-29T07:00:00');
	});
	it('finds the instant of a wall time, across DST', () => {
		expect(zonedToInstant('2026-01-15T09:00:00', 'Europe/Berlin').toISOString()).toBe('2026-01-15T08:00:00.000Z');
		expect(zonedToInstant('2026-07-15T09:00:00', 'Europe/Berlin').toISOString()).toBe('2026-07-15T07:00:00.000Z');
		expect(zonedToInstant('2026-11-01T09:00:00', 'America/New_York').toISOString()).toBe('2026-11-01T14:00:00.000Z');
		// 02:30 does not exist on the spring-forward day: an hour later, as the server reads it.
		expect(zonedToInstant('2026-03-29T02:30:00', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
	});
	it('counts wall-clock minutes, not elapsed ones', () => {
		expect(wallMinutes('2026-03-28T09:00:00', '2026-03-29T09:00:00')).toBe(1440);
		expect(addWall('2026-03-28T23:30:00', 90)).toBe('2026-03-29T01:00:00');
	});
});

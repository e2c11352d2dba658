import { describe, expect, it } from 'vitest';
import {
	addDays,
	dayIn,
	dueFromParts,
	dueGroup,
	dueParts,
	formatDue,
	groupByDue,
	isoWeekday,
	safeZone,
	weekStart
} from './due';
import type { Task, TaskStatus } from './types';

const t = (id: number, due: string | null, status: TaskStatus = 'todo', position = 0) => ({ id, due, status, position });

describe('calendar days', () => {
	it('adds days across months, years and leap days', () => {
		expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
		expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
		expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
	});

	it('knows ISO weekdays and the Monday of a week', () => {
		expect(isoWeekday('2026-12-02')).toBe(3); // a Wednesday
		expect(isoWeekday('2026-12-06')).toBe(7);
		expect(weekStart('2026-12-06')).toBe('2026-11-30');
		expect(weekStart('2026-11-30')).toBe('2026-11-30');
	});

	it('reads the day of an instant on the wall clock of a zone', () => {
		const at = new Date('2026-12-02T23:30:00Z');
		expect(dayIn(at, 'UTC')).toBe('2026-12-02');
		expect(dayIn(at, 'Europe/Berlin')).toBe('2026-12-03');
		expect(dayIn(at, 'America/New_York')).toBe('2026-12-02');
		expect(dayIn(new Date('2026-12-02T03:00:00Z'), 'America/Los_Angeles')).toBe('2026-12-01');
	});

	it('finds the day right on both sides of midnight in zones a quarter or half hour off', () => {
		// Kathmandu is UTC+5:45: midnight is 18:15 UTC; Adelaide UTC+10:30 in December.
		expect(dayIn(new Date('2026-12-02T18:14:59Z'), 'Asia/Kathmandu')).toBe('2026-12-02');
		expect(dayIn(new Date('2026-12-02T18:15:00Z'), 'Asia/Kathmandu')).toBe('2026-12-03');
		expect(dayIn(new Date('2026-12-02T13:29:59Z'), 'Australia/Adelaide')).toBe('2026-12-02');
		expect(dayIn(new Date('2026-12-02T13:30:00Z'), 'Australia/Adelaide')).toBe('2026-12-03');
		// Across Berlin's spring change the same instant a second apart still reads right.
		expect(dayIn(new Date('2026-03-28T22:59:59Z'), 'Europe/Berlin')).toBe('2026-03-28');
		expect(dayIn(new Date('2026-03-28T23:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
	});

	it('falls back to UTC for a zone the browser does not know', () => {
		expect(safeZone('Mars/Olympus')).toBe('UTC');
		expect(safeZone('')).toBe('UTC');
		expect(safeZone('Asia/Tokyo')).toBe('Asia/Tokyo');
	});
});

describe('dueGroup', () => {
	// Wednesday 2 December 2026, 23:30 UTC: already Thursday in Berlin and Tokyo, still
	// Wednesday in New York.
	const now = new Date('2026-12-02T23:30:00Z');

	it.each([
		// [due, zone, group]
		[null, 'UTC', 'none'],
		['2026-12-01', 'UTC', 'overdue'],
		['2026-12-02', 'UTC', 'today'],
		['2026-12-02', 'Europe/Berlin', 'overdue'], // Berlin's today is the 3rd
		['2026-12-03', 'Europe/Berlin', 'today'],
		['2026-12-03', 'America/New_York', 'week'],
		['2026-12-06', 'UTC', 'week'], // Sunday ends the ISO week
		['2026-12-07', 'UTC', 'later'],
		['2026-12-06', 'Asia/Tokyo', 'week'],
		['2026-12-07', 'Asia/Tokyo', 'later'],
		// Instants: past is overdue even on today's date; later today is today.
		['2026-12-02T23:00:00Z', 'UTC', 'overdue'],
		['2026-12-02T23:45:00Z', 'UTC', 'today'],
		// 01:00 UTC on the 3rd is the evening of the 2nd in New York: today there.
		['2026-12-03T01:00:00Z', 'America/New_York', 'today'],
		['2026-12-03T01:00:00Z', 'UTC', 'week'],
		['2026-12-03T00:15:00+01:00', 'Europe/Berlin', 'overdue'], // 23:15 UTC: today there, but past
		['not a date', 'UTC', 'none']
	] as const)('%s in %s is %s', (due, tz, group) => {
		expect(dueGroup(t(1, due), now, tz)).toBe(group);
	});

	it('puts done and cancelled tasks in their own group whatever their date', () => {
		expect(dueGroup(t(1, '2020-01-01', 'done'), now, 'UTC')).toBe('closed');
		expect(dueGroup(t(1, null, 'cancelled'), now, 'UTC')).toBe('closed');
		expect(dueGroup(t(1, '2020-01-01', 'in_progress'), now, 'UTC')).toBe('overdue');
	});

	it('moves tasks to the next group when the day changes in the zone, not in UTC', () => {
		const task = t(1, '2026-03-29');
		// 23:30 UTC on Saturday the 28th is already Sunday the 29th in Berlin (UTC+1 then).
		expect(dueGroup(task, new Date('2026-03-28T23:30:00Z'), 'Europe/Berlin')).toBe('today');
		expect(dueGroup(task, new Date('2026-03-28T23:30:00Z'), 'UTC')).toBe('week');
		// The day after the spring change, 22:30 UTC is 00:30 on the 30th in Berlin.
		expect(dueGroup(task, new Date('2026-03-29T22:30:00Z'), 'Europe/Berlin')).toBe('overdue');
		expect(dueGroup(task, new Date('2026-03-29T22:30:00Z'), 'UTC')).toBe('today');
	});
});

describe('groupByDue', () => {
	it('orders groups and sorts each by due, then position, then id; empty groups are left out', () => {
		const now = new Date('2026-12-02T12:00:00Z');
		const tasks = [
			t(1, null, 'todo', 2),
			t(2, '2026-12-02T15:00:00Z'),
			t(3, '2026-12-02'),
			t(4, '2026-11-20'),
			t(5, null, 'todo', 1),
			t(6, '2027-01-10'),
			t(7, '2026-12-05'),
			t(8, '2026-12-01', 'done'),
			t(9, '2026-12-04'),
			t(10, null, 'todo', 1)
		];
		const groups = groupByDue(tasks, now, 'UTC');
		expect(groups.map((g) => [g.key, g.tasks.map((x) => x.id)])).toEqual([
			['overdue', [4]],
			['today', [3, 2]], // the whole day before its 15:00
			['week', [9, 7]],
			['later', [6]],
			['none', [5, 10, 1]],
			['closed', [8]]
		]);
		expect(groups[0].label).toBe('Overdue');
		expect(groupByDue([], now, 'UTC')).toEqual([]);
	});

	it('groups the same tasks differently in two zones at the same moment', () => {
		const now = new Date('2026-12-06T23:30:00Z'); // Sunday in UTC, Monday in Berlin
		const tasks: Pick<Task, 'id' | 'due' | 'status' | 'position'>[] = [t(1, '2026-12-06'), t(2, '2026-12-07')];
		const keys = (tz: string) => groupByDue(tasks, now, tz).map((g) => [g.key, g.tasks.map((x) => x.id)]);
		expect(keys('UTC')).toEqual([
			['today', [1]],
			['later', [2]]
		]);
		expect(keys('Europe/Berlin')).toEqual([
			['overdue', [1]],
			['today', [2]]
		]);
	});
});

describe('formatDue', () => {
	const now = new Date('2026-12-02T12:00:00Z');
	it('says today, tomorrow, yesterday, a weekday, or a date', () => {
		expect(formatDue('2026-12-02', now, 'UTC')).toBe('Today');
		expect(formatDue('2026-12-03', now, 'UTC')).toBe('Tomorrow');
		expect(formatDue('2026-12-01', now, 'UTC')).toBe('Yesterday');
		expect(formatDue('2026-12-05', now, 'UTC')).toMatch(/Saturday/);
		expect(formatDue('', now, 'UTC')).toBe('');
		expect(formatDue(null, now, 'UTC')).toBe('');
	});

	it('shows an instant on the zone’s wall clock', () => {
		expect(formatDue('2026-12-02T23:30:00Z', now, 'Europe/Berlin')).toMatch(/^Tomorrow .*(00|12).30/);
		expect(formatDue('2026-12-02T23:30:00Z', now, 'UTC')).toMatch(/^Today .*(23|11).30/);
	});
});

describe('the drawer’s date and time', () => {
	it('reads a due into the zone’s wall clock and writes a wall-clock date-time back', () => {
		expect(dueParts('2026-12-01T14:00:00Z', 'America/New_York')).toEqual({ day: '2026-12-01', time: '09:00' });
		expect(dueParts('2026-12-01T09:00:00+01:00', 'Europe/Berlin')).toEqual({ day: '2026-12-01', time: '09:00' });
		expect(dueParts('2026-12-01T23:30:00Z', 'Europe/Berlin')).toEqual({ day: '2026-12-02', time: '00:30' });
		expect(dueParts('2026-12-01', 'America/New_York')).toEqual({ day: '2026-12-01', time: '' });
		expect(dueParts(null, 'UTC')).toEqual({ day: '', time: '' });
		expect(dueParts('garbage', 'UTC')).toEqual({ day: '', time: '' });
		expect(dueFromParts('2026-12-01', '09:00')).toBe('2026-12-01T09:00');
		expect(dueFromParts('2026-12-01', '')).toBe('2026-12-01');
		expect(dueFromParts('', '09:00')).toBeNull();
	});
});

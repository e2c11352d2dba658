import { describe, expect, it } from 'vitest';
import { chartStart, donePerWeek, niceMax, openPerCategory } from './stats';
import { sourceLink } from './source';
import type { Category, TaskStatus } from './types';

describe('donePerWeek', () => {
	const now = new Date('2026-12-02T12:00:00Z'); // the week of Monday 30 November
	const done = (completed_at: string | null, status: TaskStatus = 'done') => ({ status, completed_at });

	it('counts completions per ISO week in the zone, oldest first, zero weeks included', () => {
		const bars = donePerWeek(
			[
				done('2026-12-01T10:00:00Z'),
				done('2026-11-30T00:30:00Z'),
				done('2026-11-29T23:30:00Z'), // Sunday in UTC, Monday 00:30 in Berlin
				done('2026-11-20T10:00:00Z'),
				done('2026-01-01T10:00:00Z'), // too old
				done(null),
				done('2026-12-01T10:00:00Z', 'todo') // reopened
			],
			now,
			'UTC',
			4
		);
		expect(bars.map((b) => [b.key, b.value])).toEqual([
			['2026-11-09', 0],
			['2026-11-16', 1],
			['2026-11-23', 1],
			['2026-11-30', 2]
		]);
		const berlin = donePerWeek([done('2026-11-29T23:30:00Z')], now, 'Europe/Berlin', 2);
		expect(berlin.map((b) => b.value)).toEqual([0, 1]);
	});
});

describe('chartStart', () => {
	it('is at or before the start of the oldest week in any zone', () => {
		const now = new Date('2026-12-02T12:00:00Z');
		// The oldest of 8 weeks starts Monday 12 October 2026.
		expect(chartStart(now, 'UTC').toISOString()).toBe('2026-10-11T00:00:00.000Z');
		expect(chartStart(now, 'Pacific/Kiritimati').getTime()).toBeLessThanOrEqual(new Date('2026-10-11T10:00:00Z').getTime());
		expect(chartStart(now, 'UTC', 1).toISOString()).toBe('2026-11-29T00:00:00.000Z');
		const bars = donePerWeek([], now, 'UTC');
		expect(bars[0].key).toBe('2026-10-12');
	});
});

describe('openPerCategory', () => {
	const cats: Category[] = [
		{ id: 1, name: 'Home', colour: '#22c55e', weight: 1 },
		{ id: 2, name: 'Work', colour: '#6366f1', weight: 2 },
		{ id: 3, name: 'Empty', colour: '#000000', weight: 1 }
	];
	it('counts open tasks, most first, with uncategorised (and unknown categories) last', () => {
		const t = (category_id: number | null, status: TaskStatus = 'todo') => ({ category_id, status });
		const bars = openPerCategory([t(1), t(2), t(2, 'in_progress'), t(2, 'done'), t(null), t(99), t(1, 'cancelled')], cats);
		expect(bars.map((b) => [b.label, b.value, b.color])).toEqual([
			['Work', 2, '#6366f1'],
			['Home', 1, '#22c55e'],
			['No category', 2, undefined]
		]);
		expect(openPerCategory([], cats)).toEqual([]);
	});
});

describe('niceMax', () => {
	it.each([
		[0, 1],
		[1, 1],
		[3, 5],
		[7, 10],
		[12, 20],
		[51, 100]
	])('%i → %i', (max, want) => expect(niceMax(max)).toBe(want));
});

describe('sourceLink', () => {
	it('links a conversation, a document page and an event', () => {
		expect(sourceLink({ conversation_id: 4, message_id: 9 })).toEqual({ href: '/?c=4', label: 'the conversation' });
		expect(sourceLink({ document_id: 2, page: 3 })?.href).toBe('/documents/2?page=3');
		expect(sourceLink({ document_id: 2 })?.href).toBe('/documents/2?page=1');
		expect(sourceLink({ event_id: 8 })?.href).toBe('/calendar?event=8');
		expect(sourceLink({ conversation_id: 4, title: 'Weekend plans' })?.label).toBe('“Weekend plans”');
		expect(sourceLink({ document_id: 2, page: 3, title: 'lease.pdf' })?.label).toBe('“lease.pdf”, page 3');
		expect(sourceLink({})).toBeNull();
		expect(sourceLink(null)).toBeNull();
	});
});

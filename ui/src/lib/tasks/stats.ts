// What the page's small chart shows: tasks done per week (ISO weeks in the user's zone) and
// open tasks per category.
import { addDays, dayIn, safeZone, weekStart } from './due';
import type { Category, Task } from './types';

export interface Bar {
	key: string;
	label: string;
	value: number;
	color?: string;
}

/** The weeks the chart shows. */
export const CHART_WEEKS = 8;

/**
 * The first instant the chart counts: the Monday that starts the oldest of its weeks, at
 * midnight UTC less a day (so it is never after that Monday's start in any zone).
 */
export function chartStart(now: Date, tz: string, weeks = CHART_WEEKS): Date {
	const first = addDays(weekStart(dayIn(now, safeZone(tz))), -7 * (weeks - 1) - 1);
	return new Date(first + 'T00:00:00Z');
}

const shortDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** The last `weeks` ISO weeks up to now's, oldest first, each with the tasks completed in it. */
export function donePerWeek(
	tasks: readonly Pick<Task, 'status' | 'completed_at'>[],
	now: Date,
	tz: string,
	weeks = CHART_WEEKS
): Bar[] {
	const zone = safeZone(tz);
	const last = weekStart(dayIn(now, zone));
	const starts = Array.from({ length: weeks }, (_, i) => addDays(last, -7 * (weeks - 1 - i)));
	const counts = new Map(starts.map((s) => [s, 0]));
	for (const t of tasks) {
		if (t.status !== 'done' || !t.completed_at) continue;
		const at = new Date(t.completed_at);
		if (Number.isNaN(at.getTime())) continue;
		const w = weekStart(dayIn(at, zone));
		if (counts.has(w)) counts.set(w, counts.get(w)! + 1);
	}
	return starts.map((s) => {
		const [y, m, d] = s.split('-').map(Number);
		return { key: s, label: shortDay.format(new Date(Date.UTC(y, m - 1, d, 12))), value: counts.get(s)! };
	});
}

/** Open tasks (to do, in progress) per category, the most first; those without one last. */
export function openPerCategory(
	tasks: readonly Pick<Task, 'status' | 'category_id'>[],
	categories: readonly Category[]
): Bar[] {
	const counts = new Map<number | null, number>();
	for (const t of tasks) {
		if (t.status !== 'todo' && t.status !== 'in_progress') continue;
		const known = t.category_id !== null && categories.some((c) => c.id === t.category_id);
		const k = known ? t.category_id : null;
		counts.set(k, (counts.get(k) ?? 0) + 1);
	}
	const bars: Bar[] = categories
		.filter((c) => counts.has(c.id))
		.map((c) => ({ key: String(c.id), label: c.name, value: counts.get(c.id)!, color: c.colour }))
		.sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
	if (counts.has(null)) bars.push({ key: 'none', label: 'No category', value: counts.get(null)! });
	return bars;
}

/** A round top for a bar chart's axis: 1, 2, 5, 10, 20, 50… at or above max (at least 1). */
export function niceMax(max: number): number {
	if (max <= 1) return 1;
	const p = 10 ** Math.floor(Math.log10(max));
	for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
	return 10 * p;
}

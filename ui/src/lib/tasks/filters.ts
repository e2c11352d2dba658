// The list's filters, their query for GET /api/v1/tasks, and their place in the page's URL
// (so a filtered view can be bookmarked and survives a reload).
import { addDays, dayIn, safeZone, weekStart } from './due';
import type { TaskStatus } from './types';

export type StatusFilter = '' | 'open' | TaskStatus;
export type DueFilter = '' | 'overdue' | 'today' | 'week' | 'none';

export interface Filters {
	status: StatusFilter;
	/** A category id, "none" (tasks without one), or "" (any). */
	category: string;
	tag: string;
	due: DueFilter;
	q: string;
}

export const NO_FILTERS: Filters = { status: '', category: '', tag: '', due: '', q: '' };

export function isFiltered(f: Filters): boolean {
	return !!(f.status || f.category || f.tag.trim() || f.due || f.q.trim());
}

/**
 * The query string of GET /api/v1/tasks for the filters, page and size: due ranges are days in
 * the user's zone (today, and the rest of this ISO week), computed at `now`.
 */
export function taskQuery(f: Filters, now: Date, tz: string, page = 1, perPage = 100): string {
	const p = new URLSearchParams();
	if (f.status === 'open') p.set('status', 'todo,in_progress');
	else if (f.status) p.set('status', f.status);
	if (f.category === 'none') p.set('category_id', 'none');
	else if (/^\d+$/.test(f.category)) p.set('category_id', f.category);
	const tag = f.tag.trim().replace(/^#/, '');
	if (tag) p.set('tag', tag);
	// due_after is inclusive and due_before exclusive; a day means its start in the user's zone.
	const today = dayIn(now, safeZone(tz));
	switch (f.due) {
		case 'overdue':
			p.set('overdue', 'true');
			break;
		case 'today':
			p.set('due_after', today);
			p.set('due_before', addDays(today, 1));
			break;
		case 'week':
			p.set('due_after', today);
			p.set('due_before', addDays(weekStart(today), 7));
			break;
		// 'none': the API has no such filter; keep() drops dated tasks from its answer.
	}
	const q = f.q.trim();
	if (q) p.set('q', q);
	p.set('page', String(page));
	p.set('per_page', String(perPage));
	return p.toString();
}

/** What the server cannot filter by: tasks without a date, for the "No date" filter. */
export function keep(f: Filters, t: { due: string | null }): boolean {
	return f.due !== 'none' || t.due === null;
}

const STATUS_VALUES = new Set(['open', 'todo', 'in_progress', 'done', 'cancelled']);
const DUE_VALUES = new Set(['overdue', 'today', 'week', 'none']);

/** The filters a page URL's search names (unknown values are ignored). */
export function filtersFromURL(sp: URLSearchParams): Filters {
	const status = sp.get('status') ?? '';
	const due = sp.get('due') ?? '';
	const category = sp.get('category') ?? '';
	return {
		status: (STATUS_VALUES.has(status) ? status : '') as StatusFilter,
		category: category === 'none' || /^\d+$/.test(category) ? category : '',
		tag: sp.get('tag') ?? '',
		due: (DUE_VALUES.has(due) ? due : '') as DueFilter,
		q: sp.get('q') ?? ''
	};
}

/** The page URL's search for the filters (and the view), "" when nothing is set. */
export function filtersToURL(f: Filters, view: string): string {
	const p = new URLSearchParams();
	if (view && view !== 'list') p.set('view', view);
	if (f.status) p.set('status', f.status);
	if (f.category) p.set('category', f.category);
	if (f.tag.trim()) p.set('tag', f.tag.trim());
	if (f.due) p.set('due', f.due);
	if (f.q.trim()) p.set('q', f.q.trim());
	const s = p.toString();
	return s ? '?' + s : '';
}

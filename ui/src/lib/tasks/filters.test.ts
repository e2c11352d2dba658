import { describe, expect, it } from 'vitest';
import { NO_FILTERS, filtersFromURL, filtersToURL, isFiltered, keep, taskQuery, type Filters } from './filters';

const f = (over: Partial<Filters>): Filters => ({ ...NO_FILTERS, ...over });
// Wednesday 2 December 2026, 23:30 UTC: Thursday the 3rd in Berlin.
const now = new Date('2026-12-02T23:30:00Z');

describe('taskQuery', () => {
	it.each([
		[f({}), 'UTC', 'page=1&per_page=100'],
		[f({ status: 'done' }), 'UTC', 'status=done&page=1&per_page=100'],
		[f({ status: 'open' }), 'UTC', 'status=todo%2Cin_progress&page=1&per_page=100'],
		[f({ category: '7' }), 'UTC', 'category_id=7&page=1&per_page=100'],
		[f({ category: 'none' }), 'UTC', 'category_id=none&page=1&per_page=100'],
		[f({ category: 'x; drop' }), 'UTC', 'page=1&per_page=100'],
		[f({ tag: ' #home ' }), 'UTC', 'tag=home&page=1&per_page=100'],
		[f({ due: 'overdue' }), 'UTC', 'overdue=true&page=1&per_page=100'],
		// due_before is exclusive: today is [today, tomorrow), this week up to next Monday.
		[f({ due: 'today' }), 'UTC', 'due_after=2026-12-02&due_before=2026-12-03&page=1&per_page=100'],
		[f({ due: 'today' }), 'Europe/Berlin', 'due_after=2026-12-03&due_before=2026-12-04&page=1&per_page=100'],
		[f({ due: 'week' }), 'UTC', 'due_after=2026-12-02&due_before=2026-12-07&page=1&per_page=100'],
		[f({ due: 'week' }), 'Europe/Berlin', 'due_after=2026-12-03&due_before=2026-12-07&page=1&per_page=100'],
		[f({ due: 'today' }), 'America/New_York', 'due_after=2026-12-02&due_before=2026-12-03&page=1&per_page=100'],
		[f({ due: 'none' }), 'UTC', 'page=1&per_page=100'],
		[f({ q: '  rent & bills ' }), 'UTC', 'q=rent+%26+bills&page=1&per_page=100'],
		[
			f({ status: 'todo', category: '3', tag: 'work', due: 'overdue', q: 'report' }),
			'UTC',
			'status=todo&category_id=3&tag=work&overdue=true&q=report&page=1&per_page=100'
		]
	])('%o in %s → %s', (filters, tz, want) => {
		expect(taskQuery(filters, now, tz)).toBe(want);
	});

	it('leaves "no date" to the page: only undated tasks are kept', () => {
		expect(keep(f({ due: 'none' }), { due: null })).toBe(true);
		expect(keep(f({ due: 'none' }), { due: '2026-12-02' })).toBe(false);
		expect(keep(f({ due: 'today' }), { due: '2026-12-02' })).toBe(true);
		expect(keep(NO_FILTERS, { due: null })).toBe(true);
	});

	it('pages', () => {
		expect(taskQuery(NO_FILTERS, now, 'UTC', 3, 50)).toBe('page=3&per_page=50');
	});
});

describe('filters in the page URL', () => {
	it('round-trips every filter and the view', () => {
		const all = f({ status: 'open', category: 'none', tag: 'home', due: 'week', q: 'rent' });
		const url = filtersToURL(all, 'board');
		expect(url).toBe('?view=board&status=open&category=none&tag=home&due=week&q=rent');
		expect(filtersFromURL(new URLSearchParams(url))).toEqual(all);
	});

	it('is empty for no filters on the list, and ignores unknown values', () => {
		expect(filtersToURL(NO_FILTERS, 'list')).toBe('');
		expect(filtersFromURL(new URLSearchParams('status=bogus&due=yesterday&category=abc&tag=x'))).toEqual(f({ tag: 'x' }));
	});

	it('knows whether anything filters', () => {
		expect(isFiltered(NO_FILTERS)).toBe(false);
		expect(isFiltered(f({ q: '  ' }))).toBe(false);
		expect(isFiltered(f({ tag: 'a' }))).toBe(true);
	});
});

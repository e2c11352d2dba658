// The tasks API through lib/api.ts: one function per call the page makes.
import { api } from '$lib/api';
import type { BulkResult, Category, FindingSettings, Opportunity, OpportunityEdit, ParsedTask, Task, TaskInput, TaskList, TaskStatus } from './types';

const BASE = '/api/v1/tasks';

/** Every task matching a query (taskQuery without page and per_page), in pages of 100. */
export async function listAll(query: URLSearchParams | string, maxPages = 50): Promise<Task[]> {
	const all: Task[] = [];
	for (let page = 1; page <= maxPages; page++) {
		const p = new URLSearchParams(query);
		p.set('page', String(page));
		p.set('per_page', '100');
		const r = await api<TaskList>('GET', `${BASE}?${p}`);
		const items = r.items ?? [];
		all.push(...items);
		if (items.length === 0 || all.length >= r.total) break;
	}
	return all;
}

/**
 * Done and cancelled tasks changed since `since` (an instant), newest change first: pages
 * are read until one reaches back past it (a task is completed no later than its last change).
 */
export async function listClosedSince(since: Date, maxPages = 50): Promise<Task[]> {
	const out: Task[] = [];
	for (let page = 1; page <= maxPages; page++) {
		const p = new URLSearchParams({ status: 'done,cancelled', sort: 'updated', order: 'desc', page: String(page), per_page: '100' });
		const r = await api<TaskList>('GET', `${BASE}?${p}`);
		const items = r.items ?? [];
		const recent = items.filter((t) => new Date(t.updated_at).getTime() >= since.getTime());
		out.push(...recent);
		if (recent.length < items.length || items.length === 0 || page * 100 >= r.total) break;
	}
	return out;
}

/** A task's subtasks, in manual order. */
export async function listSubtasks(parentId: number): Promise<Task[]> {
	return listAll(new URLSearchParams({ parent_id: String(parentId), sort: 'position' }));
}

export const getTask = (id: number) => api<Task>('GET', `${BASE}/${id}`);
export const createTask = (t: TaskInput) => api<Task>('POST', BASE, t);
export const updateTask = (id: number, t: TaskInput) => api<Task>('PATCH', `${BASE}/${id}`, t);
export const deleteTask = (id: number) => api<void>('DELETE', `${BASE}/${id}`);

export type BulkChange = { status: TaskStatus } | { category_id: number | null } | { delete: true };

/** One change for many tasks, all or nothing. */
export const bulk = (ids: number[], change: BulkChange) => api<BulkResult>('POST', `${BASE}/bulk`, { ids, ...change });

export const parse = (text: string) => api<ParsedTask>('POST', `${BASE}/parse`, { text });

export const listCategories = async () => (await api<{ items: Category[] }>('GET', `${BASE}/categories`)).items ?? [];
export const createCategory = (c: Pick<Category, 'name' | 'colour' | 'weight'>) => api<Category>('POST', `${BASE}/categories`, c);
export const updateCategory = (id: number, c: Partial<Pick<Category, 'name' | 'colour' | 'weight'>>) => api<Category>('PATCH', `${BASE}/categories/${id}`, c);
/** Its tasks move to no category; the answer says how many. */
export const deleteCategory = (id: number) => api<{ id: number; tasks_moved: number }>('DELETE', `${BASE}/categories/${id}`);

export const listOpportunities = async () => (await api<{ items: Opportunity[] }>('GET', `${BASE}/opportunities`)).items ?? [];
/** Creates the task (with the person's edits) and answers it with the opportunity. */
export const acceptOpportunity = (id: number, edits: OpportunityEdit) =>
	api<{ task: Task; opportunity: Opportunity }>('POST', `${BASE}/opportunities/${id}/accept`, edits);
export const dismissOpportunity = (id: number) => api<Opportunity>('POST', `${BASE}/opportunities/${id}/dismiss`);

export const findingSettings = () => api<FindingSettings>('GET', `${BASE}/opportunities/settings`);
export const saveFindingSettings = (s: Partial<FindingSettings>) => api<FindingSettings>('PUT', `${BASE}/opportunities/settings`, s);

/** The names of the user's document collections ("" for documents without one), from their documents. */
export async function documentCollections(maxPages = 10): Promise<string[]> {
	const names = new Set<string>();
	for (let page = 1; page <= maxPages; page++) {
		const r = await api<{ items: { collection: string }[]; total: number }>('GET', `/api/v1/documents?per_page=100&page=${page}`);
		for (const d of r.items ?? []) names.add(d.collection ?? '');
		if ((r.items ?? []).length === 0 || page * 100 >= r.total) break;
	}
	return [...names].sort();
}

/** Whether a progress frame says proposals were found in the background. */
export function isFoundEvent(f: Record<string, unknown>): boolean {
	const d = f.data as { type?: unknown } | undefined;
	return f.type === 'event' && !!d && d.type === 'opportunities';
}

/** The user's time zone (their profile's), for due groups and the wall clock of dues. */
export async function profileZone(): Promise<string> {
	const p = await api<{ timezone?: string }>('GET', '/api/v1/profile');
	return p.timezone || 'UTC';
}

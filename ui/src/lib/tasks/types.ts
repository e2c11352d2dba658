// The tasks API's shapes (docs/openapi.json: /tasks, /tasks/categories, /tasks/parse,
// /tasks/opportunities).

export type TaskStatus = 'todo' | 'in_progress' | 'done' | 'cancelled';
export type Priority = 'none' | 'low' | 'medium' | 'high' | 'urgent';
export type SourceKind = 'manual' | 'opportunity' | 'assessment' | 'chat';

export const STATUSES: readonly TaskStatus[] = ['todo', 'in_progress', 'done', 'cancelled'];
export const PRIORITIES: readonly Priority[] = ['none', 'low', 'medium', 'high', 'urgent'];

export const STATUS_LABEL: Record<TaskStatus, string> = {
	todo: 'To do',
	in_progress: 'In progress',
	done: 'Done',
	cancelled: 'Cancelled'
};

export const PRIORITY_LABEL: Record<Priority, string> = {
	none: 'No priority',
	low: 'Low',
	medium: 'Medium',
	high: 'High',
	urgent: 'Urgent'
};

/** Where a task came from: a conversation (and message), a document (and page), an event; {} for none. */
export interface SourceRef {
	conversation_id?: number | null;
	message_id?: number | null;
	document_id?: number | null;
	page?: number | null;
	event_id?: number | null;
}

export interface Task {
	id: number;
	title: string;
	notes: string;
	status: TaskStatus;
	priority: Priority;
	/** "YYYY-MM-DD" (a day in the user's time zone) or an RFC 3339 date-time; null: no date. */
	due: string | null;
	/** The instant the due orders by (a day's start in the user's zone). */
	due_at: string | null;
	all_day: boolean;
	/** Open and past its due (the server's word, at the time of the answer). */
	overdue: boolean;
	estimated_minutes: number | null;
	category_id: number | null;
	tags: string[];
	parent_id: number | null;
	subtask_count: number;
	/** Manual order: any number; a list sorts by it ascending. */
	position: number;
	/** An RRULE (subset), "" when the task does not repeat. */
	recurrence: string;
	/** The next occurrence, made when this recurring task was completed. */
	next_task_id: number | null;
	completed_at: string | null;
	source: SourceKind | string;
	source_ref: SourceRef | null;
	created_at: string;
	updated_at: string;
}

export interface TaskList {
	items: Task[];
	total: number;
	page: number;
	per_page: number;
}

export interface Category {
	id: number;
	name: string;
	/** "#rrggbb", or "" for none. */
	colour: string;
	/** How much the category counts in planning (0 to 10, default 1). */
	weight: number;
	task_count?: number;
	open_count?: number;
}

/** The answer of POST /tasks/parse: a task to confirm before it is created. */
export interface ParsedTask {
	title: string;
	due: string | null;
	recurrence: string;
	/** The category's name as written (#home); category_id when one of the user's matches. */
	category: string;
	category_id: number | null;
	priority: Priority;
	tags: string[];
	/** "rules" or "model": who understood the text. */
	parsed_by: 'rules' | 'model' | string;
}

export interface Opportunity {
	id: number;
	title: string;
	notes: string;
	due: string | null;
	priority: Priority;
	/** The sentence that justified the proposal. */
	evidence: string;
	source_ref: SourceRef | null;
	created_at: string;
}

/** What a task create or update sends (every field optional on PATCH). */
export interface TaskInput {
	title?: string;
	notes?: string;
	status?: TaskStatus;
	priority?: Priority;
	/** A day, a wall-clock date-time in the user's zone ("2026-12-31T09:00"), or RFC 3339; null clears. */
	due?: string | null;
	estimated_minutes?: number | null;
	category_id?: number | null;
	tags?: string[];
	parent_id?: number | null;
	position?: number;
	recurrence?: string;
}

/** The answer of POST /tasks/bulk. */
export interface BulkResult {
	updated: number;
	deleted: number;
	/** Next occurrences of recurring tasks completed. */
	created: number;
}

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

/** Where a task came from: a conversation (and message), a document (and page), an event. */
export interface TaskSource {
	kind: SourceKind | string;
	conversation_id?: number | null;
	message_id?: number | null;
	document_id?: number | null;
	page?: number | null;
	event_id?: number | null;
	opportunity_id?: number | null;
}

export interface Task {
	id: number;
	title: string;
	notes: string;
	status: TaskStatus;
	priority: Priority;
	/** "YYYY-MM-DD" (a day in the user's time zone) or an RFC 3339 instant; null: no date. */
	due: string | null;
	estimated_minutes: number | null;
	category_id: number | null;
	tags: string[];
	parent_id: number | null;
	position: number;
	/** An RRULE (subset), "" when the task does not repeat. */
	recurrence: string;
	completed_at: string | null;
	source: TaskSource;
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
	/** "#rrggbb". */
	color: string;
	/** How much the category counts in planning. */
	weight: number;
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
	source: TaskSource;
	created_at: string;
}

/** What a task create or update sends (every field optional on PATCH). */
export interface TaskInput {
	title?: string;
	notes?: string;
	status?: TaskStatus;
	priority?: Priority;
	due?: string | null;
	estimated_minutes?: number | null;
	category_id?: number | null;
	tags?: string[];
	parent_id?: number | null;
	position?: number;
	recurrence?: string;
}

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
	/** Opportunities: the conversation's title, the document's name or the event's title. */
	title?: string;
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

/** One stretch of a quick-add line the rules recognised. */
export interface ParsedPart {
	kind: 'due' | 'time' | 'recurrence' | 'category' | 'priority' | 'tag' | string;
	text: string;
	start: number;
	end: number;
}

/** The answer of POST /tasks/parse: a task to confirm before it is created (nothing is saved). */
export interface ParsedTask {
	title: string;
	/** A day, or RFC 3339 with the zone's offset when a time was given; absent or "" for none. */
	due?: string;
	due_has_time?: boolean;
	recurrence?: string;
	/** The category's name as written (#home); category_id when one of the user's has it. */
	category?: string;
	category_id: number | null;
	priority: Priority;
	tags: string[];
	parts: ParsedPart[];
	/** "rules" or "model": who understood the text. */
	parsed_by: 'rules' | 'model' | string;
	model?: string;
	/** The fields the model filled in. */
	refined?: string[];
	/** Why the model's answer was not used. */
	model_error?: string;
	timezone?: string;
}

/** A task the model (or the rules) proposed, waiting to be accepted or dismissed. */
export interface Opportunity {
	id: number;
	title: string;
	notes: string;
	/** "" for none. */
	due: string;
	priority: Priority;
	/** A category's name ("" none); accepting makes it when the user has none by that name. */
	category: string;
	source: SourceRef & { kind: 'conversation' | 'document' | 'event' | string };
	/** The sentence that justified the proposal, as written. */
	evidence: string;
	proposed_by: 'model' | 'rules' | string;
	model?: string;
	status: 'open' | 'accepted' | 'dismissed' | string;
	task_id: number | null;
	created_at: string;
}

/** What accepting may change first. */
export interface OpportunityEdit {
	title?: string;
	notes?: string;
	due?: string;
	priority?: Priority;
	category?: string;
}

/** Where the model looks for tasks by itself (GET/PUT /tasks/opportunities/settings). */
export interface FindingSettings {
	/** Collections whose new documents are read ("" is documents without a collection). */
	document_collections: string[];
	/** A conversation is read once it has gone quiet. */
	conversations_when_quiet: boolean;
}

/** A progress event: proposals found in the background. */
export interface FoundEvent {
	type: 'opportunities';
	source: 'document' | 'conversation' | string;
	document_id?: number;
	conversation_id?: number;
	count: number;
	proposed_by: string;
}

/** The answer of "find tasks in this chat" (POST /conversations/{id}/opportunities). */
export interface Proposed {
	items: Opportunity[];
	proposed_by: string;
	model?: string;
	/** Why the rules answered, or why there is nothing. */
	reason?: string;
	/** Left out as the same as an open task or an earlier proposal. */
	duplicates: number;
	rejected: number;
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

// What the calendar API answers (app/calendar: Calendar, Instance, Event, ImportResult).

export interface FeedStatus {
	url: string;
	error: string;
	refreshed_at: string | null;
	checked_at: string | null;
	next_at: string | null;
	interval_seconds: number;
}

export interface Cal {
	id: number;
	name: string;
	colour: string;
	timezone: string;
	source: 'local' | 'feed' | 'google';
	read_only: boolean;
	feed?: FeedStatus;
	private_feed: boolean;
	private_feed_created_at?: string;
	seq: number;
}

export interface Attendee {
	email: string;
	name?: string;
	role?: string;
	status?: string;
}

/** One occurrence in a range (GET /calendar/events). */
export interface Instance {
	event_id: number;
	recurrence_id: string;
	start: string;
	end: string;
	recurring: boolean;
	override: boolean;
	calendar_id: number;
	uid: string;
	title: string;
	description: string;
	location: string;
	status: string;
	all_day: boolean;
	timezone: string;
	category: string;
	weight: number;
	reminders: number[];
	read_only: boolean;
}

/** A stored event: a series (or single event) with its overrides. */
export interface CalEvent {
	id: number;
	calendar_id: number;
	uid: string;
	recurrence_id?: string;
	title: string;
	description: string;
	location: string;
	status: string;
	all_day: boolean;
	start: string;
	end: string;
	timezone: string;
	rrule: string;
	rdates: string[];
	exdates: string[];
	category: string;
	weight: number;
	reminders: number[];
	read_only: boolean;
	overrides?: CalEvent[];
}

/** The body of POST /calendar/events and PATCH /calendar/events/{id} (absent: unchanged). */
export interface EventInput {
	calendar_id?: number;
	title?: string;
	description?: string;
	location?: string;
	all_day?: boolean;
	start?: string;
	end?: string;
	timezone?: string;
	rrule?: string;
	category?: string;
	weight?: number;
	reminders?: number[];
}

export interface ImportResult {
	created: number;
	updated: number;
	skipped: number;
	deleted: number;
	errors: { uid: string; summary: string; message: string }[];
}

/** A task with a due date, shown read-only on the calendar. */
export interface DueTask {
	id: number;
	title: string;
	status: string;
	due: string | null;
	due_at: string | null;
	all_day: boolean;
}

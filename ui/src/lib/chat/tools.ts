// Tool calls in chat (docs/chat-tools.md): what a proposed call will do, the fields a person may
// edit before approving it, and what a settled call did. Plain functions, tested without a socket.
import type { ToolCall } from './types';

export const TASK_PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] as const;

/** What the card lets a person edit in a proposed create_task. */
export interface TaskFields {
	title: string;
	/** YYYY-MM-DD or ''. */
	date: string;
	/** HH:MM or '' (a due day without a time). */
	time: string;
	priority: string;
}

const dateRe = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?/;

/** The editable fields of a create_task proposal. */
export function taskFields(args: Record<string, unknown>): TaskFields {
	const due = typeof args.due === 'string' ? args.due : '';
	const m = dateRe.exec(due);
	const priority = typeof args.priority === 'string' && (TASK_PRIORITIES as readonly string[]).includes(args.priority) ? args.priority : 'none';
	return {
		title: typeof args.title === 'string' ? args.title : '',
		date: m?.[1] ?? '',
		time: m?.[2] ?? '',
		priority
	};
}

/**
 * The arguments to approve a create_task with, from the proposal's and the edited fields:
 * the fields replace the model's, its other arguments (notes) stay. An error names what to fix.
 */
export function taskArguments(
	proposed: Record<string, unknown>,
	f: TaskFields
): { arguments: Record<string, unknown> } | { error: string } {
	const title = f.title.trim();
	if (!title) return { error: 'The task needs a title.' };
	if (title.length > 500) return { error: 'The title is longer than 500 characters.' };
	if (f.time && !f.date) return { error: 'A time needs a date.' };
	if (f.date && !/^\d{4}-\d{2}-\d{2}$/.test(f.date)) return { error: 'The date must be YYYY-MM-DD.' };
	if (f.time && !/^\d{2}:\d{2}$/.test(f.time)) return { error: 'The time must be HH:MM.' };
	const out: Record<string, unknown> = { ...proposed, title };
	delete out.due;
	delete out.priority;
	if (f.date) out.due = f.time ? `${f.date}T${f.time}` : f.date;
	if (f.priority && f.priority !== 'none') out.priority = f.priority;
	return { arguments: out };
}

/** Whether the edited fields differ from the proposal (approving as proposed sends no arguments). */
export function fieldsChanged(proposed: Record<string, unknown>, f: TaskFields): boolean {
	const p = taskFields(proposed);
	return p.title.trim() !== f.title.trim() || p.date !== f.date || p.time !== f.time || p.priority !== f.priority;
}

/** A tool's name as a person reads it. */
export function toolLabel(name: string): string {
	switch (name) {
		case 'create_task':
			return 'Create a task';
		case 'update_task':
			return 'Change a task';
		case 'list_tasks':
			return 'Look up tasks';
		case 'create_event':
			return 'Add an event';
		case 'list_events':
			return 'Look up the calendar';
		default:
			return name.replaceAll('_', ' ');
	}
}

function resultTask(result: unknown): { id?: number; title?: string } | undefined {
	if (result && typeof result === 'object' && 'task' in result) {
		const t = (result as { task: unknown }).task;
		if (t && typeof t === 'object') return t as { id?: number; title?: string };
	}
	return undefined;
}

/** What a settled call did, in a few words ("Created task #12"); '' while it waits. */
export function toolOutcome(c: ToolCall): string {
	switch (c.status) {
		case 'pending':
			return '';
		case 'sending':
			return 'Sending your answer…';
		case 'declined':
			return 'Declined: nothing was changed.';
		case 'cancelled':
			return 'Not run: the reply was stopped before you decided.';
		case 'failed':
			return `Failed: ${c.error || 'the tool failed'}.`;
		case 'done': {
			const t = resultTask(c.result);
			if (c.name === 'create_task' && t?.id) return `Created task #${t.id}`;
			if (c.name === 'update_task' && t?.id) return `Updated task #${t.id}`;
			if (c.name === 'create_event') return 'Added to your calendar';
			if (c.name === 'list_events' && c.result && typeof c.result === 'object' && 'total' in c.result) {
				const n = Number((c.result as { total: unknown }).total) || 0;
				return n === 1 ? 'Found 1 event' : `Found ${n} events`;
			}
			if (c.result && typeof c.result === 'object' && 'total' in c.result) {
				const n = Number((c.result as { total: unknown }).total) || 0;
				return n === 1 ? 'Found 1 task' : `Found ${n} tasks`;
			}
			return 'Done';
		}
		default:
			return '';
	}
}

/** The task a settled call created or changed, for a link to it. */
export function toolTaskId(c: ToolCall): number | undefined {
	return c.status === 'done' ? resultTask(c.result)?.id : undefined;
}

/** Puts a call into a message's list: replaces the one with its id, else appends. */
export function upsertCall(list: ToolCall[] | undefined, call: ToolCall): ToolCall[] {
	const out = list ? [...list] : [];
	const i = out.findIndex((c) => c.id === call.id);
	if (i >= 0) out[i] = { ...out[i], ...call };
	else out.push(call);
	return out;
}

// The page's keyboard shortcuts: one table (shown in the help dialog and the page) and the
// function that reads a key press into an action.

export type Action = 'new' | 'search' | 'next' | 'prev' | 'done' | 'edit' | 'help' | 'board' | 'list' | 'close';

export interface Shortcut {
	key: string;
	action: Action;
	label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
	{ key: 'n', action: 'new', label: 'New task (focus the quick-add bar)' },
	{ key: '/', action: 'search', label: 'Search tasks' },
	{ key: 'j', action: 'next', label: 'Select the next task' },
	{ key: 'k', action: 'prev', label: 'Select the previous task' },
	{ key: 'x', action: 'done', label: 'Mark the selected task done (again: to do)' },
	{ key: 'e', action: 'edit', label: 'Open the selected task' },
	{ key: 'b', action: 'board', label: 'Board view' },
	{ key: 'l', action: 'list', label: 'List view' },
	{ key: '?', action: 'help', label: 'Show these shortcuts' },
	{ key: 'Escape', action: 'close', label: 'Close the drawer or this help' }
];

const BY_KEY = new Map(SHORTCUTS.map((s) => [s.key, s.action]));

export interface KeyPress {
	key: string;
	ctrlKey?: boolean;
	metaKey?: boolean;
	altKey?: boolean;
	isComposing?: boolean;
	/** The element the key went to. */
	target?: { tagName?: string; isContentEditable?: boolean; type?: string } | null;
}

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'url', 'tel', 'number', 'password', 'date', 'time', 'datetime-local', '']);

/** Whether the key goes into something the person types in (the shortcuts stay out of the way). */
export function typing(target: KeyPress['target']): boolean {
	if (!target) return false;
	if (target.isContentEditable) return true;
	const tag = (target.tagName ?? '').toUpperCase();
	if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
	return tag === 'INPUT' && TEXT_INPUTS.has((target.type ?? '').toLowerCase());
}

/**
 * The action of a key press, or null: never with Ctrl, Cmd or Alt (the browser's and the
 * system's own shortcuts), never while typing, except Escape, which always closes.
 */
export function actionFor(e: KeyPress): Action | null {
	if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return null;
	if (e.key === 'Escape') return 'close';
	if (typing(e.target)) return null;
	return BY_KEY.get(e.key) ?? null;
}

/**
 * The selection after j (+1) or k (-1) through the visible order: the first (or last) task
 * when none is selected or the selected one is gone, and it stops at either end.
 */
export function step(order: readonly number[], current: number | null, by: 1 | -1): number | null {
	if (order.length === 0) return null;
	const i = current === null ? -1 : order.indexOf(current);
	if (i < 0) return by === 1 ? order[0] : order[order.length - 1];
	return order[Math.max(0, Math.min(order.length - 1, i + by))];
}

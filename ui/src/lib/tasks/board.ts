// The board: columns by status, and what a move (dragged, or with the keyboard) changes.
import type { Task, TaskStatus } from './types';

export const COLUMNS: readonly TaskStatus[] = ['todo', 'in_progress', 'done'];

export type Columns<T> = Record<TaskStatus, T[]>;

type Card = Pick<Task, 'id' | 'status' | 'position'>;

function byPosition(a: Card, b: Card): number {
	return a.position - b.position || a.id - b.id;
}

/** Tasks into their status columns, each in manual order. Cancelled tasks are not on the board. */
export function toColumns<T extends Card>(tasks: readonly T[]): Columns<T> {
	const cols: Columns<T> = { todo: [], in_progress: [], done: [], cancelled: [] };
	for (const t of tasks) cols[t.status]?.push(t);
	for (const s of COLUMNS) cols[s].sort(byPosition);
	return cols;
}

export interface Move {
	id: number;
	to: TaskStatus;
	/** Where in the target column, counted without the moved card. */
	index: number;
}

/** Where a card is: its column and index, or null. */
export function locate<T extends Card>(cols: Columns<T>, id: number): { status: TaskStatus; index: number } | null {
	for (const s of COLUMNS) {
		const i = cols[s].findIndex((t) => t.id === id);
		if (i >= 0) return { status: s, index: i };
	}
	return null;
}

/**
 * A position that sorts between two neighbours (positions are numbers of any size; the server
 * keeps what it is sent): the middle, one less than the first, one more than the last.
 */
export function positionBetween(before: number | undefined, after: number | undefined): number {
	if (before === undefined && after === undefined) return 0;
	if (before === undefined) return Math.floor(after! - 1);
	if (after === undefined) return Math.floor(before + 1);
	return (before + after) / 2;
}

/**
 * The columns after a move, and what to send for the moved card (PATCH /tasks/{id}): its
 * status when it changed and a position between its new neighbours (no other card changes).
 * Null when the card is unknown or the move would leave everything where it was.
 */
export function applyMove<T extends Card>(
	cols: Columns<T>,
	m: Move
): { cols: Columns<T>; patch: { status?: TaskStatus; position: number } } | null {
	const from = locate(cols, m.id);
	if (!from || !COLUMNS.includes(m.to)) return null;
	const card = cols[from.status][from.index];
	const rest = cols[from.status].filter((t) => t.id !== m.id);
	const target = from.status === m.to ? rest : [...cols[m.to]];
	const index = Math.max(0, Math.min(m.index, target.length));
	if (from.status === m.to && index === from.index) return null;
	const position = positionBetween(target[index - 1]?.position, target[index]?.position);
	target.splice(index, 0, { ...card, status: m.to, position } as T);
	const next: Columns<T> = { ...cols, [m.to]: target };
	if (from.status !== m.to) next[from.status] = rest;
	const patch: { status?: TaskStatus; position: number } = { position };
	if (from.status !== m.to) patch.status = m.to;
	return { cols: next, patch };
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The move an arrow key asks for while a card is picked up: up and down within the column,
 * left and right to the neighbouring column at the same height (or its end). Null at an edge.
 */
export function keyMove<T extends Card>(cols: Columns<T>, id: number, dir: Direction): Move | null {
	const at = locate(cols, id);
	if (!at) return null;
	const col = COLUMNS.indexOf(at.status);
	if (dir === 'up') return at.index === 0 ? null : { id, to: at.status, index: at.index - 1 };
	if (dir === 'down') return at.index >= cols[at.status].length - 1 ? null : { id, to: at.status, index: at.index + 1 };
	const c = col + (dir === 'left' ? -1 : 1);
	if (c < 0 || c >= COLUMNS.length) return null;
	const to = COLUMNS[c];
	return { id, to, index: Math.min(at.index, cols[to].length) };
}

/**
 * Where a card dropped at pointer height y lands in a column: before the first card whose
 * middle is below y. `mids` are the middles of the column's cards other than the dragged one,
 * top to bottom.
 */
export function dropIndex(mids: readonly number[], y: number): number {
	const i = mids.findIndex((m) => y < m);
	return i < 0 ? mids.length : i;
}

import { describe, expect, it } from 'vitest';
import { applyMove, dropIndex, keyMove, locate, positionBetween, toColumns, type Columns } from './board';
import type { TaskStatus } from './types';

type C = { id: number; status: TaskStatus; position: number };
const c = (id: number, status: TaskStatus, position: number): C => ({ id, status, position });
const ids = (cols: Columns<C>) => ({
	todo: cols.todo.map((t) => t.id),
	in_progress: cols.in_progress.map((t) => t.id),
	done: cols.done.map((t) => t.id)
});

const tasks = [c(1, 'todo', 1), c(2, 'todo', 2), c(3, 'todo', 3), c(4, 'in_progress', 4), c(5, 'done', 5), c(6, 'cancelled', 6)];

describe('toColumns', () => {
	it('sorts each column by position, then id, and leaves cancelled tasks off the board', () => {
		const cols = toColumns([c(9, 'todo', 1), c(8, 'todo', 1), c(7, 'todo', 0), c(6, 'cancelled', 0)]);
		expect(ids(cols)).toEqual({ todo: [7, 8, 9], in_progress: [], done: [] });
	});
});

describe('applyMove', () => {
	const cols = toColumns(tasks);

	it('moves a card to another column before the first, with a position below it', () => {
		const r = applyMove(cols, { id: 2, to: 'in_progress', index: 0 })!;
		expect(ids(r.cols)).toEqual({ todo: [1, 3], in_progress: [2, 4], done: [5] });
		expect(r.patch).toEqual({ status: 'in_progress', position: 3 });
		expect(r.cols.in_progress.map((t) => [t.id, t.status, t.position])).toEqual([
			[2, 'in_progress', 3],
			[4, 'in_progress', 4]
		]);
		// No other card changes, and the input is not changed.
		expect(r.cols.todo.map((t) => t.position)).toEqual([1, 3]);
		expect(ids(cols)).toEqual({ todo: [1, 2, 3], in_progress: [4], done: [5] });
	});

	it('reorders within a column (between two cards: the middle) without sending the status', () => {
		const r = applyMove(cols, { id: 1, to: 'todo', index: 1 })!;
		expect(ids(r.cols).todo).toEqual([2, 1, 3]);
		expect(r.patch).toEqual({ position: 2.5 });
		const last = applyMove(cols, { id: 1, to: 'todo', index: 2 })!;
		expect(ids(last.cols).todo).toEqual([2, 3, 1]);
		expect(last.patch).toEqual({ position: 4 });
	});

	it('clamps an index past the end to the end, and keeps the order after the server sorts', () => {
		const r = applyMove(cols, { id: 1, to: 'done', index: 99 })!;
		expect(ids(r.cols).done).toEqual([5, 1]);
		expect(r.patch).toEqual({ status: 'done', position: 6 });
		// What the server answers next is sorted by position: the same order.
		const again = toColumns(Object.values(r.cols).flat());
		expect(ids(again)).toEqual(ids(r.cols));
	});

	it('lands in an empty column at 0', () => {
		const r = applyMove(toColumns([c(1, 'todo', 7)]), { id: 1, to: 'done', index: 0 })!;
		expect(r.patch).toEqual({ status: 'done', position: 0 });
	});

	it('is null for a move that changes nothing, an unknown card or column', () => {
		expect(applyMove(cols, { id: 2, to: 'todo', index: 1 })).toBeNull();
		expect(applyMove(cols, { id: 42, to: 'todo', index: 0 })).toBeNull();
		expect(applyMove(cols, { id: 6, to: 'todo', index: 0 })).toBeNull(); // cancelled: not on the board
		expect(applyMove(cols, { id: 1, to: 'cancelled', index: 0 })).toBeNull();
	});
});

describe('keyMove', () => {
	const cols = toColumns(tasks);
	it('moves up and down in the column and stops at its ends', () => {
		expect(keyMove(cols, 2, 'up')).toEqual({ id: 2, to: 'todo', index: 0 });
		expect(keyMove(cols, 2, 'down')).toEqual({ id: 2, to: 'todo', index: 2 });
		expect(keyMove(cols, 1, 'up')).toBeNull();
		expect(keyMove(cols, 3, 'down')).toBeNull();
	});

	it('moves to the neighbouring column at the same height, or its end', () => {
		expect(keyMove(cols, 3, 'right')).toEqual({ id: 3, to: 'in_progress', index: 1 });
		expect(keyMove(cols, 1, 'right')).toEqual({ id: 1, to: 'in_progress', index: 0 });
		expect(keyMove(cols, 4, 'left')).toEqual({ id: 4, to: 'todo', index: 0 });
		expect(keyMove(cols, 1, 'left')).toBeNull();
		expect(keyMove(cols, 5, 'right')).toBeNull();
		expect(keyMove(cols, 42, 'right')).toBeNull();
	});

	it('walks a card across the board with the keyboard', () => {
		let cur = toColumns(tasks);
		for (const dir of ['right', 'right'] as const) {
			const m = keyMove(cur, 1, dir)!;
			cur = applyMove(cur, m)!.cols;
		}
		expect(locate(cur, 1)).toEqual({ status: 'done', index: 0 });
		expect(ids(cur)).toEqual({ todo: [2, 3], in_progress: [4], done: [1, 5] });
	});
});

describe('positionBetween', () => {
	it('halves the gap between neighbours and steps past the ends', () => {
		expect(positionBetween(1, 2)).toBe(1.5);
		expect(positionBetween(undefined, 2)).toBe(1);
		expect(positionBetween(undefined, 2.5)).toBe(1);
		expect(positionBetween(4, undefined)).toBe(5);
		expect(positionBetween(-3.5, undefined)).toBe(-3);
		expect(positionBetween(undefined, undefined)).toBe(0);
	});
});

describe('dropIndex', () => {
	it('lands before the first card whose middle is below the pointer', () => {
		const mids = [100, 160, 220];
		expect(dropIndex(mids, 50)).toBe(0);
		expect(dropIndex(mids, 130)).toBe(1);
		expect(dropIndex(mids, 219)).toBe(2);
		expect(dropIndex(mids, 500)).toBe(3);
		expect(dropIndex([], 10)).toBe(0);
	});
});

import { describe, expect, it } from 'vitest';
import { SHORTCUTS, actionFor, step, typing } from './shortcuts';

const input = (type = 'text') => ({ tagName: 'INPUT', type });

describe('actionFor', () => {
	it.each([
		['n', 'new'],
		['/', 'search'],
		['j', 'next'],
		['k', 'prev'],
		['x', 'done'],
		['e', 'edit'],
		['?', 'help'],
		['b', 'board'],
		['l', 'list'],
		['Escape', 'close'],
		['q', null],
		['N', null]
	])('%s → %s', (key, action) => {
		expect(actionFor({ key, target: { tagName: 'BODY' } })).toBe(action);
	});

	it('stays out of the way while typing, except Escape', () => {
		for (const target of [input(), input('search'), input('date'), { tagName: 'TEXTAREA' }, { tagName: 'SELECT' }, { tagName: 'DIV', isContentEditable: true }]) {
			expect(actionFor({ key: 'x', target })).toBeNull();
			expect(actionFor({ key: 'Escape', target })).toBe('close');
		}
		// A checkbox or a button is not typing: x on a focused row's checkbox still works.
		expect(actionFor({ key: 'x', target: input('checkbox') })).toBe('done');
		expect(actionFor({ key: 'j', target: { tagName: 'BUTTON' } })).toBe('next');
	});

	it('never takes the browser’s or the system’s shortcuts', () => {
		expect(actionFor({ key: 'n', ctrlKey: true })).toBeNull();
		expect(actionFor({ key: 'e', metaKey: true })).toBeNull();
		expect(actionFor({ key: 'x', altKey: true })).toBeNull();
		expect(actionFor({ key: 'n', isComposing: true })).toBeNull();
	});

	it('lists every action once in the help table', () => {
		const keys = SHORTCUTS.map((s) => s.key);
		expect(new Set(keys).size).toBe(keys.length);
		expect(typing(null)).toBe(false);
	});
});

describe('step', () => {
	const order = [5, 3, 9];
	it('starts at the first or last task', () => {
		expect(step(order, null, 1)).toBe(5);
		expect(step(order, null, -1)).toBe(9);
		expect(step(order, 42, 1)).toBe(5); // the selected one is gone
	});
	it('moves and stops at either end', () => {
		expect(step(order, 5, 1)).toBe(3);
		expect(step(order, 3, -1)).toBe(5);
		expect(step(order, 9, 1)).toBe(9);
		expect(step(order, 5, -1)).toBe(5);
		expect(step([], 5, 1)).toBeNull();
	});
});

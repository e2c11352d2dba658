import { describe, expect, it } from 'vitest';
import { mergePull, mergePullSnapshot, pullPercent } from './pulls';
import type { PullState } from './types';

const p = (x: Partial<PullState>): PullState => ({ type: 'pull', model: 'm', status: 'pulling', done: false, ...x });

describe('pulls', () => {
	it('keeps one entry per model', () => {
		let list: PullState[] = [];
		list = mergePull(list, p({ model: 'a', percent: 10 }));
		list = mergePull(list, p({ model: 'b' }));
		list = mergePull(list, p({ model: 'a', percent: 50 }));
		expect(list.map((x) => [x.model, x.percent])).toEqual([
			['a', 50],
			['b', undefined]
		]);
	});
	it('computes the bar', () => {
		expect(pullPercent(p({ status: 'success', done: true }))).toBe(100);
		expect(pullPercent(p({ percent: 39.6 }))).toBe(39.6);
		expect(pullPercent(p({ total: 200, completed: 50 }))).toBe(25);
		expect(pullPercent(p({}))).toBeNull();
	});
	it('keeps events that beat the POST answer', () => {
		const ev = p({ model: 'a', status: 'error', done: true, started_at: 't1' });
		const snap = p({ model: 'a', status: 'starting', started_at: 't1' });
		expect(mergePullSnapshot([ev], snap)[0].status).toBe('error');
		const again = p({ model: 'a', status: 'starting', started_at: 't2' });
		expect(mergePullSnapshot([ev], again)[0].status).toBe('starting');
		expect(mergePullSnapshot([], snap)).toHaveLength(1);
	});
});

import { describe, expect, it } from 'vitest';
import { dismiss, enqueue, failed, progressed, requeue, sent, started, toStart, uploadPercent } from './uploads';

const f = (name: string, size = 100) => ({ name, size });

describe('upload queue', () => {
	it('runs at most two at a time, oldest first, and moves on as they finish', () => {
		let q = enqueue([], [f('a'), f('b'), f('c')], 'notes', 1);
		expect(q.map((i) => [i.key, i.phase, i.collection])).toEqual([
			[1, 'waiting', 'notes'],
			[2, 'waiting', 'notes'],
			[3, 'waiting', 'notes']
		]);
		let next = toStart(q);
		expect(next.map((i) => i.name)).toEqual(['a', 'b']);
		for (const i of next) q = started(q, i.key);
		expect(toStart(q)).toEqual([]);

		q = progressed(q, 1, 60, 120);
		expect(uploadPercent(q[0])).toBe(50);
		q = sent(q, 1, 42);
		expect(q[0]).toMatchObject({ phase: 'sent', docId: 42 });
		expect(uploadPercent(q[0])).toBe(100);

		next = toStart(q);
		expect(next.map((i) => i.name)).toEqual(['c']);
	});

	it('keeps a failed upload with its reason, for a retry', () => {
		let q = started(enqueue([], [f('big.pdf')], '', 5), 5);
		q = progressed(q, 5, 30, 100);
		q = failed(q, 5, 'The file is larger than the server accepts.');
		expect(q[0]).toMatchObject({ phase: 'error', error: 'The file is larger than the server accepts.' });
		// A late progress event after the failure changes nothing.
		expect(progressed(q, 5, 90, 100)).toEqual(q);
		q = requeue(q, 5);
		expect(q[0]).toMatchObject({ phase: 'waiting', loaded: 0, error: null });
		expect(toStart(q).map((i) => i.key)).toEqual([5]);
		expect(dismiss(q, 5)).toEqual([]);
	});

	it('clamps progress to the request size', () => {
		let q = started(enqueue([], [f('a', 10)], '', 1), 1);
		q = progressed(q, 1, 500, 200);
		expect(uploadPercent(q[0])).toBe(100);
		expect(uploadPercent({ phase: 'waiting', loaded: 0, total: 0 })).toBe(0);
	});
});

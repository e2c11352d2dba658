import { describe, expect, it } from 'vitest';
import { failureText, ingestPercent, isDocProgress, mergeEvent, mergeProgress, stageText } from './progress';
import type { Doc, DocProgress } from './types';

const doc = (id: number, over: Partial<Doc> = {}): Doc => ({
	id,
	name: `d${id}.txt`,
	collection: '',
	title: '',
	format: '',
	status: 'queued',
	error: '',
	pages: 0,
	chunks: 0,
	size: 10,
	created_at: '',
	updated_at: '',
	indexed_at: null,
	...over
});

const ev = (id: number, over: Partial<DocProgress>): DocProgress => ({
	type: 'document',
	document_id: id,
	name: `d${id}.txt`,
	status: 'processing',
	stage: 'extracting',
	pages: 0,
	chunks_done: 0,
	chunks_total: 0,
	...over
});

describe('mergeProgress', () => {
	it('moves a document through its stages to ready', () => {
		let docs = [doc(1), doc(2)];
		for (const e of [
			ev(1, { stage: 'extracting' }),
			ev(1, { stage: 'embedding', pages: 3, chunks_total: 4, chunks_done: 2 }),
			ev(1, { status: 'ready', stage: 'ready', pages: 3, chunks_total: 4, chunks_done: 4 })
		]) {
			const r = mergeProgress(docs, e);
			expect(r.known).toBe(true);
			docs = r.docs;
		}
		expect(docs[0]).toMatchObject({ status: 'ready', pages: 3, chunks: 4, error: '' });
		expect(docs[1]).toEqual(doc(2));
	});

	it('keeps the reason of a failure, and clears it when a retry succeeds', () => {
		let docs = mergeProgress([doc(1)], ev(1, { status: 'failed', stage: 'failed', error: 'This type of file is not supported.' })).docs;
		expect(failureText(docs[0])).toBe('This type of file is not supported.');
		docs = mergeProgress(docs, ev(1, { status: 'queued', stage: 'queued' })).docs;
		docs = mergeProgress(docs, ev(1, { status: 'ready', stage: 'ready' })).docs;
		expect(docs[0].error).toBe('');
	});

	it('says when the document is not in the list (uploaded elsewhere)', () => {
		const docs = [doc(1)];
		const r = mergeProgress(docs, ev(9, {}));
		expect(r.known).toBe(false);
		expect(r.docs).toBe(docs);
	});

	it('recognises only document events', () => {
		expect(isDocProgress({ type: 'pull', model: 'x' })).toBe(false);
		expect(isDocProgress(ev(1, {}))).toBe(true);
		expect(isDocProgress(null)).toBe(false);
	});

	it('keeps the latest event per document', () => {
		const m = mergeEvent(mergeEvent({}, ev(1, { stage: 'extracting' })), ev(1, { stage: 'indexing' }));
		expect(m[1].stage).toBe('indexing');
	});
});

describe('ingestPercent and stageText', () => {
	it.each([
		{ status: 'queued', e: undefined, pct: 0, text: 'Waiting to be indexed.' },
		{ status: 'processing', e: undefined, pct: null, text: 'Being indexed.' },
		{ status: 'processing', e: ev(1, { stage: 'extracting' }), pct: 5, text: 'Reading the text of the file.' },
		{ status: 'processing', e: ev(1, { stage: 'embedding', chunks_done: 5, chunks_total: 10, pages: 2 }), pct: 53, text: 'Embedding passages: 5 of 10 done (2 pages).' },
		{ status: 'processing', e: ev(1, { stage: 'embedding', chunks_done: 12, chunks_total: 10 }), pct: 95, text: 'Embedding passages: 12 of 10 done.' },
		{ status: 'processing', e: ev(1, { stage: 'indexing', pages: 1 }), pct: 95, text: 'Saving the index (1 page).' },
		{ status: 'queued', e: ev(1, { status: 'queued', stage: 'retrying', error: 'model server down' }), pct: null, text: 'This attempt failed and will be retried: Model server down.' },
		{ status: 'ready', e: undefined, pct: 100, text: '' },
		{ status: 'failed', e: undefined, pct: null, text: '' }
	] as const)('$status $e.stage', ({ status, e, pct, text }) => {
		expect(ingestPercent(status, e)).toBe(pct);
		expect(stageText(status, e)).toBe(text);
	});

	it('never shows an empty reason', () => {
		expect(failureText({ status: 'failed', error: '' })).toMatch(/\.$/);
		expect(failureText({ status: 'needs_ocr', error: '' })).toContain('OCR');
		expect(failureText({ status: 'failed', error: 'the file is damaged' })).toBe('The file is damaged.');
	});
});

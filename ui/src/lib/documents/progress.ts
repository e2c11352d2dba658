// Ingestion progress: `document` events from /api/v1/ws/progress merged into the list the page
// shows, and the words and bar for each state.
import type { Doc, DocProgress, DocStatus } from './types';

export function isDocProgress(data: unknown): data is DocProgress {
	return (
		!!data &&
		typeof data === 'object' &&
		(data as { type?: unknown }).type === 'document' &&
		typeof (data as { document_id?: unknown }).document_id === 'number'
	);
}

/** Whether the document is still on its way (a bar, not a final status). */
export function inFlight(status: DocStatus): boolean {
	return status === 'queued' || status === 'processing';
}

/**
 * Applies an event to the documents: the one it names gets its status, pages and error
 * (`known` is false when it is not in the list: uploaded in another tab, so re-read the list).
 * A finished document stays finished when a late event of an earlier stage arrives after a
 * REST answer that already said so.
 */
export function mergeProgress(docs: Doc[], ev: DocProgress): { docs: Doc[]; known: boolean } {
	const i = docs.findIndex((d) => d.id === ev.document_id);
	if (i < 0) return { docs, known: false };
	const d = docs[i];
	const next: Doc = {
		...d,
		status: ev.status,
		name: ev.name || d.name,
		pages: ev.pages || d.pages,
		chunks: ev.status === 'ready' && ev.chunks_total ? ev.chunks_total : d.chunks,
		error: ev.status === 'failed' || ev.status === 'needs_ocr' ? (ev.error ?? d.error) : ev.status === 'ready' ? '' : d.error
	};
	const out = docs.slice();
	out[i] = next;
	return { docs: out, known: true };
}

/** Keeps the latest event per document (for the stage line and the bar). */
export function mergeEvent(events: Record<number, DocProgress>, ev: DocProgress): Record<number, DocProgress> {
	return { ...events, [ev.document_id]: ev };
}

/**
 * How far ingestion is, 0–100, or null when there is nothing to measure yet (a bar without a
 * value: the browser shows it as busy). Embedding is most of the work, so it gets most of the bar.
 */
export function ingestPercent(status: DocStatus, ev: DocProgress | undefined): number | null {
	if (status === 'ready') return 100;
	if (!inFlight(status)) return null;
	if (!ev) return status === 'queued' ? 0 : null;
	switch (ev.stage) {
		case 'queued':
			return 0;
		case 'extracting':
			return 5;
		case 'embedding':
			return ev.chunks_total > 0 ? Math.round(10 + (85 * Math.min(ev.chunks_done, ev.chunks_total)) / ev.chunks_total) : 10;
		case 'indexing':
			return 95;
		case 'ready':
			return 100;
		default:
			return null;
	}
}

const STATUS_LABEL: Record<DocStatus, string> = {
	queued: 'Queued',
	processing: 'Processing',
	ready: 'Ready',
	failed: 'Failed',
	needs_ocr: 'Needs OCR'
};

export function statusLabel(s: DocStatus): string {
	return STATUS_LABEL[s] ?? s;
}

export function statusTone(s: DocStatus): 'ok' | 'warn' | 'bad' | 'info' | 'neutral' {
	switch (s) {
		case 'ready':
			return 'ok';
		case 'failed':
			return 'bad';
		case 'needs_ocr':
			return 'warn';
		case 'processing':
			return 'info';
		default:
			return 'neutral';
	}
}

/** A sentence on where ingestion is. */
export function stageText(status: DocStatus, ev: DocProgress | undefined): string {
	if (status === 'queued' && (!ev || ev.stage === 'queued')) return 'Waiting to be indexed.';
	if (!ev) return status === 'processing' ? 'Being indexed.' : '';
	const pages = ev.pages > 0 ? ` (${ev.pages} ${ev.pages === 1 ? 'page' : 'pages'})` : '';
	switch (ev.stage) {
		case 'extracting':
			return 'Reading the text of the file.';
		case 'embedding':
			return `Embedding passages: ${ev.chunks_done} of ${ev.chunks_total} done${pages}.`;
		case 'indexing':
			return `Saving the index${pages}.`;
		case 'retrying':
			return ev.error ? `This attempt failed and will be retried: ${sentence(ev.error)}` : 'This attempt failed and will be retried.';
		default:
			return '';
	}
}

/** Why a document failed, as a sentence (the server's words, or a fallback). */
export function failureText(d: Pick<Doc, 'status' | 'error'>): string {
	if (d.error) return sentence(d.error);
	if (d.status === 'needs_ocr') return 'The file has no readable text layer; it needs OCR.';
	return 'Indexing failed, and the server gave no reason.';
}

/** A message as a sentence: a capital first letter and a full stop. */
export function sentence(s: string): string {
	const t = s.trim();
	if (!t) return t;
	const first = t[0].toLocaleUpperCase() + t.slice(1);
	return /[.!?]$/.test(first) ? first : first + '.';
}

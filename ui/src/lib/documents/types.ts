// The documents API's shapes (docs/openapi.json, docs/websocket.md).

export type DocStatus = 'queued' | 'processing' | 'ready' | 'failed' | 'needs_ocr';

export interface Doc {
	id: number;
	name: string;
	collection: string;
	title: string;
	format: string;
	status: DocStatus;
	error: string;
	pages: number;
	chunks: number;
	size: number;
	created_at: string;
	updated_at: string;
	indexed_at: string | null;
}

export interface DocList {
	items: Doc[];
	total: number;
	page: number;
	per_page: number;
}

/** A `document` event on /api/v1/ws/progress. */
export interface DocProgress {
	type: 'document';
	document_id: number;
	name: string;
	status: DocStatus;
	/** queued, extracting, embedding, indexing, ready, retrying or failed. */
	stage: string;
	pages: number;
	chunks_done: number;
	chunks_total: number;
	error?: string;
}

export interface SearchResult {
	document_id: number;
	document_name: string;
	chunk_id: number;
	page: number;
	heading: string;
	text: string;
	score: number;
	/** Code-point offsets of the passage in its page's text. */
	start: number;
	end: number;
}

export interface PageContent {
	document_id: number;
	page: number;
	pages: number;
	text: string;
}

export interface Embedder {
	model: string;
	builtin: boolean;
}

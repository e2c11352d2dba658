// Highlighting in documents: a passage given by code-point offsets (what the server counts,
// so an emoji or a non-Latin letter is one, not two UTF-16 units) and the words of a query in
// a search result.

export interface Segment {
	text: string;
	hit: boolean;
}

/**
 * Splits `text` at code-point offsets [start, end) into the text before, the passage and the
 * text after. Offsets are clamped to the text; an empty or inverted range gives no passage.
 */
export function sliceByCodePoints(
	text: string,
	start: number,
	end: number
): { before: string; match: string; after: string } {
	const cps = Array.from(text);
	const s = clamp(Math.floor(start), 0, cps.length);
	const e = clamp(Math.floor(end), s, cps.length);
	return {
		before: cps.slice(0, s).join(''),
		match: cps.slice(s, e).join(''),
		after: cps.slice(e).join('')
	};
}

function clamp(n: number, lo: number, hi: number): number {
	if (!Number.isFinite(n)) return lo;
	return Math.min(Math.max(n, lo), hi);
}

/** The words of a query worth highlighting: letters and digits, two or more, lower case. */
export function queryWords(query: string): string[] {
	const words = query.toLocaleLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
	return [...new Set(words.filter((w) => Array.from(w).length >= 2))];
}

function escapeRe(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `text` split into segments, the query's words (and words starting with them: "whale" marks
 * "whales") marked as hits. Case-insensitive; the text itself is never changed, so the
 * segments join back to it.
 */
export function highlightWords(text: string, query: string): Segment[] {
	const words = queryWords(query).sort((a, b) => b.length - a.length);
	if (words.length === 0 || text === '') return text ? [{ text, hit: false }] : [];
	// A word starts where no letter or digit precedes it; it runs on to the end of the word.
	const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escapeRe).join('|')})[\\p{L}\\p{N}]*`, 'giu');
	const out: Segment[] = [];
	let last = 0;
	for (const m of text.matchAll(re)) {
		const i = m.index ?? 0;
		if (i > last) out.push({ text: text.slice(last, i), hit: false });
		out.push({ text: m[0], hit: true });
		last = i + m[0].length;
	}
	if (last < text.length) out.push({ text: text.slice(last), hit: false });
	return out;
}

/** The viewer's URL for a passage (the contract chat citations link to). */
export function viewerHref(id: number, page: number, start?: number, end?: number): string {
	const q = new URLSearchParams({ page: String(page) });
	if (start !== undefined && end !== undefined && end > start) {
		q.set('start', String(start));
		q.set('end', String(end));
	}
	return `/documents/${id}?${q}`;
}

/** Reads the viewer's query: page (≥ 1, default 1) and the passage, when both offsets are sound. */
export function parseViewerQuery(params: URLSearchParams): { page: number; start?: number; end?: number } {
	const int = (v: string | null) => (v !== null && /^\d+$/.test(v) ? Number(v) : undefined);
	const page = Math.max(int(params.get('page')) ?? 1, 1);
	const start = int(params.get('start'));
	const end = int(params.get('end'));
	if (start === undefined || end === undefined || end <= start) return { page };
	return { page, start, end };
}

/**
 * A window of about `max` code points of the passage around its first hit, with "…" where it
 * was cut, so the highlighted words are on screen even in a long passage. Cuts fall at spaces
 * when there is one near.
 */
export function excerpt(text: string, query: string, max = 320): Segment[] {
	const cps = Array.from(text);
	if (cps.length <= max) return highlightWords(text, query);
	const hits = highlightWords(text, query);
	let first = 0; // code points before the first hit
	for (const s of hits) {
		if (s.hit) break;
		first += Array.from(s.text).length;
	}
	if (!hits.some((s) => s.hit)) first = 0;
	let start = Math.max(0, Math.min(first - Math.floor(max / 4), cps.length - max));
	let end = Math.min(cps.length, start + max);
	const from = Math.max(0, start - 20);
	const back = cps.slice(from, start).lastIndexOf(' ');
	if (start > 0 && back >= 0) start = from + back + 1;
	const fwd = cps.slice(end, end + 20).indexOf(' ');
	if (end < cps.length && fwd >= 0) end += fwd;
	const out = highlightWords(cps.slice(start, end).join(''), query);
	if (start > 0) out.unshift({ text: '…', hit: false });
	if (end < cps.length) out.push({ text: '…', hit: false });
	return out;
}

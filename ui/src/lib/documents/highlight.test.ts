import { describe, expect, it } from 'vitest';
import { excerpt, highlightWords, parseViewerQuery, queryWords, sliceByCodePoints, viewerHref } from './highlight';

describe('sliceByCodePoints', () => {
	it.each([
		// The server counts code points: an emoji is one, not two UTF-16 units.
		{ name: 'ascii', text: 'Humpback whales sing', start: 9, end: 15, match: 'whales' },
		{ name: 'emoji before', text: '🐋 whales sing', start: 2, end: 8, match: 'whales' },
		{ name: 'accents and emoji', text: 'Ça 🎵 chante: baleine', start: 5, end: 11, match: 'chante' },
		{ name: 'cjk', text: '鯨の歌は長い', start: 2, end: 3, match: '歌' },
		{ name: 'end past the text', text: 'ab', start: 1, end: 99, match: 'b' },
		{ name: 'inverted', text: 'abc', start: 2, end: 1, match: '' },
		{ name: 'negative start', text: 'abc', start: -4, end: 1, match: 'a' }
	])('$name', ({ text, start, end, match }) => {
		const r = sliceByCodePoints(text, start, end);
		expect(r.match).toBe(match);
		expect(r.before + r.match + r.after).toBe(text);
	});

	it('would cut an emoji in half if it counted UTF-16 units', () => {
		// The naive slice gives "whale" plus half a surrogate pair; ours gives the word.
		const text = '🐋 whales';
		expect(text.slice(2, 8)).not.toBe('whales');
		expect(sliceByCodePoints(text, 2, 8).match).toBe('whales');
	});
});

describe('highlightWords', () => {
	const hits = (text: string, q: string) =>
		highlightWords(text, q)
			.filter((s) => s.hit)
			.map((s) => s.text);

	it.each([
		{ text: 'Humpback whales sing long songs.', q: 'whale songs', want: ['whales', 'songs'] },
		{ text: 'WHALES and Whales', q: 'whales', want: ['WHALES', 'Whales'] },
		{ text: 'Über die Straße gehen', q: 'straße über', want: ['Über', 'Straße'] },
		{ text: 'narwhal whale', q: 'whale', want: ['whale'] },
		{ text: 'a.b (c) [d]*', q: '(c) a.b', want: [] },
		{ text: 'nothing here', q: '', want: [] }
	])('$q in $text', ({ text, q, want }) => {
		expect(hits(text, q)).toEqual(want);
		expect(
			highlightWords(text, q)
				.map((s) => s.text)
				.join('')
		).toBe(text);
	});

	it('takes the query literally', () => {
		expect(queryWords('"NEAR( OR * .*')).toEqual(['near', 'or']);
	});
});

describe('viewer URL', () => {
	it('round-trips page and passage', () => {
		const href = viewerHref(7, 3, 10, 42);
		expect(href).toBe('/documents/7?page=3&start=10&end=42');
		expect(parseViewerQuery(new URL(href, 'http://x').searchParams)).toEqual({ page: 3, start: 10, end: 42 });
	});
	it.each([
		{ q: '', want: { page: 1 } },
		{ q: 'page=0', want: { page: 1 } },
		{ q: 'page=x&start=1&end=2', want: { page: 1, start: 1, end: 2 } },
		{ q: 'page=2&start=5', want: { page: 2 } },
		{ q: 'page=2&start=5&end=5', want: { page: 2 } },
		{ q: 'page=2&start=-1&end=5', want: { page: 2 } }
	])('?$q', ({ q, want }) => {
		expect(parseViewerQuery(new URLSearchParams(q))).toEqual(want);
	});
});

describe('excerpt', () => {
	const long = 'Le café du port 🐋 ouvre à l’aube. '.repeat(30) + 'Les baleines chantent la nuit. ' + 'Le pain lève. '.repeat(30);

	it('keeps the first hit on screen in a long passage', () => {
		const segs = excerpt(long, 'baleines');
		const text = segs.map((s) => s.text).join('');
		expect(segs.filter((s) => s.hit).map((s) => s.text)).toEqual(['baleines']);
		expect(text.startsWith('…') && text.endsWith('…')).toBe(true);
		expect(Array.from(text).length).toBeLessThanOrEqual(320 + 2 + 40);
		// Cut at spaces: no word is split at either end.
		expect(text.slice(1, -1)).toBe(text.slice(1, -1).trim());
		expect(long).toContain(text.slice(1, -1).trim());
	});

	it('keeps a short passage whole, and a passage without hits from its start', () => {
		expect(excerpt('short whales', 'whales').map((s) => s.text).join('')).toBe('short whales');
		const none = excerpt(long, 'zebra').map((s) => s.text).join('');
		expect(none.startsWith('Le café')).toBe(true);
		expect(none.endsWith('…')).toBe(true);
	});
});

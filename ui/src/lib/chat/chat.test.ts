import { describe, expect, it } from 'vitest';
import { ChatStore, errorHint, errorLink, indexingNote, progressText, sourceHref, sourceLabel } from './chat.svelte';
import type { Source } from './types';

/** Animation frames the test runs by hand. */
let frames: (() => void)[] = [];
function nextFrame(): void {
	const run = frames;
	frames = [];
	for (const fn of run) fn();
}

function store(): ChatStore {
	frames = [];
	const s = new ChatStore({ frame: (fn) => frames.push(fn) });
	// No socket in unit tests: sends succeed as if it were open.
	s.socket.send = () => true;
	return s;
}

describe('ChatStore.apply', () => {
	it('streams a reply into a new conversation', () => {
		const s = store();
		const created: number[] = [];
		s.onCreated = (id) => created.push(id);
		expect(s.send('  hi  ')).toBe(true);
		expect(s.pending).toBe(true);
		expect(s.messages).toHaveLength(1);
		expect(s.messages[0]).toMatchObject({ role: 'user', content: 'hi' });

		s.apply({ type: 'start', conversation_id: 7, message_id: 11, model: 'demo', mode: 'general', created: true });
		expect(created).toEqual([7]);
		expect(s.currentId).toBe(7);
		expect(s.pending).toBe(false);
		expect(s.streamingId).toBe(11);
		expect(s.busy).toBe(true);

		s.apply({ type: 'thinking', content: 'The user ' });
		s.apply({ type: 'thinking', content: 'greets me' });
		nextFrame();
		expect(s.messages[1].thinking).toBe('The user greets me');
		s.apply({ type: 'token', content: 'Hel' });
		s.apply({ type: 'token', content: 'lo' });
		nextFrame();
		expect(s.messages[1].content).toBe('Hello');

		s.apply({
			type: 'done',
			conversation_id: 7,
			message_id: 11,
			status: 'complete',
			usage: { prompt_tokens: 3, completion_tokens: 2 },
			timing: { tokens_per_second: 40 },
			stopped: false,
			demo: true
		});
		expect(s.streamingId).toBeNull();
		expect(s.busy).toBe(false);
		expect(s.messages[1]).toMatchObject({ status: 'complete', demo: true, completion_tokens: 2 });
		expect(s.messages[1].timing?.tokens_per_second).toBe(40);
	});

	it('shows streamed text at most once per animation frame', () => {
		const s = store();
		s.send('hi');
		s.apply({ type: 'start', conversation_id: 7, message_id: 11, model: 'demo', mode: 'general', created: true });
		const reply = s.messages[1];
		for (let i = 0; i < 100; i++) s.apply({ type: 'token', content: `w${i} ` });
		// Nothing re-rendered per token: the text waits for the frame, which is asked once.
		expect(reply.content).toBe('');
		expect(frames).toHaveLength(1);
		nextFrame();
		expect(reply.content.split(' ')).toHaveLength(101);
		expect(frames).toHaveLength(0);

		s.apply({ type: 'token', content: 'last' });
		// done shows what is held at once, without waiting for the frame.
		s.apply({ type: 'done', conversation_id: 7, message_id: 11, status: 'complete', stopped: false, demo: true });
		expect(reply.content.endsWith('w99 last')).toBe(true);
		nextFrame();
		expect(reply.content.endsWith('w99 last')).toBe(true);
	});

	it('keeps held text when the reply breaks off', () => {
		const s = store();
		s.currentId = 3;
		s.send('x');
		s.apply({ type: 'start', conversation_id: 3, message_id: 9, model: 'm', mode: 'general', created: false });
		s.apply({ type: 'token', content: 'half a ' });
		s.apply({ type: 'error', code: 'llm_unavailable', message: 'down', conversation_id: 3, message_id: 9 });
		expect(s.messages.at(-1)).toMatchObject({ content: 'half a ', status: 'partial', error: 'down' });
	});

	it('refuses a second send while a reply streams', () => {
		const s = store();
		s.send('one');
		expect(s.send('two')).toBe(false);
	});

	it('marks a stopped reply partial', () => {
		const s = store();
		s.currentId = 3;
		s.send('x');
		s.apply({ type: 'start', conversation_id: 3, message_id: 5, model: 'm', mode: 'general', created: false });
		s.apply({ type: 'token', content: 'part' });
		s.apply({ type: 'done', conversation_id: 3, message_id: 5, status: 'partial', stopped: true, demo: false });
		expect(s.messages.at(-1)).toMatchObject({ status: 'partial', stopped: true, content: 'part' });
	});

	it('shows an error on its message, or in the composer without a start', () => {
		const s = store();
		s.currentId = 3;
		s.send('x');
		s.apply({ type: 'error', code: 'model_not_found', message: 'model "x" is not installed' });
		expect(s.pending).toBe(false);
		expect(s.composerError?.code).toBe('model_not_found');

		s.send('y');
		s.apply({ type: 'start', conversation_id: 3, message_id: 9, model: 'm', mode: 'general', created: false });
		s.apply({ type: 'error', code: 'llm_unavailable', message: 'down', conversation_id: 3, message_id: 9 });
		expect(s.messages.at(-1)).toMatchObject({ status: 'error', error: 'down', error_code: 'llm_unavailable' });
		expect(s.busy).toBe(false);
	});

	it('takes the title frame', () => {
		const s = store();
		s.conversations = [
			{ id: 1, title: 'hello', mode: 'general', model: '', pinned: false, created_at: '', updated_at: '', message_count: 2 }
		];
		s.apply({ type: 'title', conversation_id: 1, title: 'Greeting' });
		expect(s.conversations[0].title).toBe('Greeting');
	});

	it('drops the last reply when regenerating', () => {
		const s = store();
		s.currentId = 3;
		s.send('x');
		s.apply({ type: 'start', conversation_id: 3, message_id: 5, model: 'm', mode: 'general', created: false });
		s.apply({ type: 'done', conversation_id: 3, message_id: 5, status: 'complete', stopped: false, demo: false });
		expect(s.regenerate()).toBe(true);
		expect(s.messages.map((m) => m.role)).toEqual(['user']);
		expect(s.pending).toBe(true);
	});
});

describe('errorHint and errorLink', () => {
	it('adds a hint only where the server message has none', () => {
		expect(errorHint('conflict')).toContain('stop it first');
		expect(errorHint('model_not_found')).toBe('');
		expect(errorHint('whatever')).toBe('');
	});
	it.each([
		['model_not_found', false, '/settings#models'],
		['model_not_found', true, '/settings#models'],
		['llm_unavailable', true, '/admin?tab=model-server'],
		['llm_unavailable', false, null],
		['conflict', true, null]
	] as const)('%s (admin %s) links to %s', (code, admin, href) => {
		expect(errorLink(code, admin)?.href ?? null).toBe(href);
	});
});

const src: Source = {
	n: 1,
	document_id: 4,
	document_name: 'notes.txt',
	chunk_id: 17,
	page: 2,
	text: 'Humpback whales sing.',
	start: 10,
	end: 31,
	cited: true
};

describe('replies from documents', () => {
	it('sends use_documents and takes the final text and sources from done', () => {
		const s = store();
		const sent: Record<string, unknown>[] = [];
		s.socket.send = (f) => {
			sent.push(f as Record<string, unknown>);
			return true;
		};
		s.send('plain');
		expect(sent[0].use_documents).toBeUndefined();
		s.apply({ type: 'start', conversation_id: 7, message_id: 11, model: 'demo', mode: 'general', created: true });
		s.apply({ type: 'done', conversation_id: 7, message_id: 11, status: 'complete', stopped: false, demo: true });
		expect(s.messages[1].sources).toBeUndefined();

		s.useDocuments = true;
		s.send('whales?');
		expect(sent[1].use_documents).toBe(true);
		s.apply({ type: 'start', conversation_id: 7, message_id: 13, model: 'demo', mode: 'general', created: false });
		s.apply({ type: 'token', content: 'They sing [1] [9].' });
		nextFrame();
		s.apply({
			type: 'done',
			conversation_id: 7,
			message_id: 13,
			status: 'complete',
			stopped: false,
			demo: true,
			content: 'They sing [1].',
			sources: [src],
			indexing: 2
		});
		expect(s.messages[3]).toMatchObject({ content: 'They sing [1].', sources: [src], no_sources: false, indexing: 2 });
	});

	it('marks a reply with nothing found', () => {
		const s = store();
		s.send('moon?');
		s.apply({ type: 'start', conversation_id: 7, message_id: 11, model: 'demo', mode: 'documents', created: true });
		s.apply({ type: 'token', content: 'No matching passages.' });
		s.apply({ type: 'done', conversation_id: 7, message_id: 11, status: 'complete', stopped: false, demo: false, content: 'No matching passages.', sources: [], no_sources: true });
		expect(s.messages[1]).toMatchObject({ no_sources: true, sources: [], content: 'No matching passages.' });
	});

	it('links a citation to the page and passage', () => {
		expect(sourceHref(src)).toBe('/documents/4?page=2&start=10&end=31');
		expect(sourceLabel(src)).toBe('notes.txt · p. 2');
		expect(indexingNote(0)).toBe('');
		expect(indexingNote(1)).toBe('1 document is still being indexed.');
		expect(indexingNote(3)).toBe('3 documents are still being indexed.');
	});

	it('links a web source to its page, labelled with title and site', () => {
		const web = { n: 1, document_id: 0, document_name: '', chunk_id: 0, page: 0, text: 'x', start: 0, end: 0, cited: true,
			url: 'https://example.org/whales?x=1', title: 'Whale songs' };
		expect(sourceHref(web)).toBe('https://example.org/whales?x=1');
		expect(sourceLabel(web)).toBe('Whale songs · example.org');
		expect(sourceLabel({ ...web, title: '' })).toBe('example.org');
	});

	it('shows a research reply\'s progress, and why it went without the web', () => {
		const s = store();
		s.send('whales?');
		s.apply({ type: 'start', conversation_id: 7, message_id: 11, model: 'demo', mode: 'research', created: true });
		s.apply({ type: 'progress', stage: 'searching', query: 'whales?' });
		expect(s.messages[1].progress).toBe('Searching the web…');
		s.apply({ type: 'progress', stage: 'reading', pages: 3, results: 8 });
		expect(s.messages[1].progress).toBe('Reading 3 pages…');
		s.apply({ type: 'progress', stage: 'unavailable', message: 'Web search is off.' });
		expect(s.messages[1].research_note).toBe('Web search is off.');
		expect(progressText({ stage: 'retrieving', pages: 3, read: 2 })).toBe('Read 2 of 3 pages; finding the relevant passages…');
	});
});

// State of the chat dashboard: the conversation list, the open conversation and the reply
// streaming into it over /api/v1/ws/chat. The frame handling is plain code (`apply`) so it is
// tested without a socket.
import { api } from '$lib/api';
import { viewerHref } from '$lib/documents/highlight';
import { toFieldError } from '$lib/form.svelte';
import type { Page } from '$lib/types';
import { LiveSocket } from './socket.svelte';
import { upsertCall } from './tools';
import type { ChatMessage, ChatMode, Conversation, Model, ResearchProgress, ServerFrame, Source, ToolCall } from './types';

export const NEW_CHAT_TITLE = 'New chat';

/** Where the "Use my tasks" switch is remembered. */
export const USE_TOOLS_KEY = 'aiwfe.chat.use_tools';

export interface InlineError {
	code: string;
	message: string;
}

/** What the user should do about an error code, if anything. */
export function errorHint(code: string | undefined): string {
	switch (code) {
		case 'conflict':
			return 'Wait for the reply to finish, or stop it first.';
		case 'offline':
			return 'Sending is paused until the server is back; your message stays in the box. Send it again then.';
		default:
			// The model errors' own messages say what happened and the way on.
			return '';
	}
}

/** Where a person can fix what stopped the reply, if they may. */
export function errorLink(
	code: string | undefined,
	isAdmin: boolean
): { href: string; label: string } | null {
	switch (code) {
		case 'model_not_found':
			return { href: '/settings#models', label: 'Open Settings → Models' };
		case 'llm_unavailable':
			return isAdmin ? { href: '/admin?tab=model-server', label: 'Open Admin → Model server' } : null;
		default:
			return null;
	}
}

/** Runs fn before the next repaint (tests pass one they drive themselves). */
export type FrameScheduler = (fn: () => void) => void;

const nextFrame: FrameScheduler = (fn) => {
	if (typeof requestAnimationFrame === 'function') requestAnimationFrame(fn);
	else setTimeout(fn, 16);
};

export class ChatStore {
	// --- the list ---
	conversations = $state<Conversation[]>([]);
	query = $state('');
	listLoading = $state(false);
	listError = $state<string | null>(null);

	// --- the open conversation ---
	currentId = $state<number | null>(null);
	messages = $state<ChatMessage[]>([]);
	messagesLoading = $state(false);
	messagesError = $state<string | null>(null);

	// --- the reply being written ---
	/** True from a send until its start (or an error) arrives. */
	pending = $state(false);
	/** The assistant message id streaming now. */
	streamingId = $state<number | null>(null);
	/** An error not tied to one message (bad frame, conflict, model missing before start). */
	composerError = $state<InlineError | null>(null);

	// --- pickers ---
	modes = $state<ChatMode[]>([]);
	models = $state<Model[]>([]);
	mode = $state('general');
	/** '' lets the server choose (the conversation's model or the user's assignment). */
	model = $state('');
	/** Answer from the user's documents (the documents mode always does). */
	useDocuments = $state(false);
	/** Let the model use tools (the user's tasks); changes wait for the user's approval. On unless turned off. */
	useTools = $state(true);
	/** Whether the model of the last reply could use tools (false: the model cannot call them). */
	toolsOffered = $state<boolean | null>(null);

	socket: LiveSocket;
	/** Called when a send made a new conversation (the page puts its id in the URL). */
	onCreated: (id: number) => void = () => {};

	#listSeq = 0;
	#msgSeq = 0;

	// Streamed text not on the page yet. Tokens come far more often than the screen is drawn,
	// and every change of a reply re-renders its whole Markdown (work that grows with the
	// reply), so they are gathered here and shown at most once per animation frame.
	#held = { content: '', thinking: '' };
	#frameAsked = false;
	#frame: FrameScheduler;

	#prefs: Pick<Storage, 'getItem' | 'setItem'> | null;

	constructor(opts: { frame?: FrameScheduler; prefs?: Pick<Storage, 'getItem' | 'setItem'> | null } = {}) {
		this.#frame = opts.frame ?? nextFrame;
		// The tools switch is a preference of this browser, not a secret: localStorage.
		this.#prefs = opts.prefs !== undefined ? opts.prefs : typeof localStorage === 'undefined' ? null : localStorage;
		this.useTools = this.#prefs?.getItem(USE_TOOLS_KEY) !== 'off';
		this.socket = new LiveSocket('/api/v1/ws/chat', {
			onFrame: (f) => this.apply(f as unknown as ServerFrame),
			onOpen: (reconnected) => {
				if (reconnected) void this.resync();
			},
			onDrop: () => {
				// The server keeps what arrived; the reload on reconnect shows it.
				this.#showHeld();
				this.pending = false;
				this.streamingId = null;
			}
		});
	}

	get busy(): boolean {
		return this.pending || this.streamingId !== null;
	}

	get current(): Conversation | undefined {
		return this.conversations.find((c) => c.id === this.currentId);
	}

	start(): void {
		this.socket.start();
		void this.loadList();
		void this.loadPickers();
	}

	stop(): void {
		this.socket.stop();
	}

	async loadPickers(): Promise<void> {
		const [modes, models] = await Promise.allSettled([
			api<{ items: ChatMode[] }>('GET', '/api/v1/chat-modes'),
			api<{ items: Model[] }>('GET', '/api/v1/ollama/models')
		]);
		if (modes.status === 'fulfilled') this.modes = modes.value.items ?? [];
		if (models.status === 'fulfilled') this.models = models.value.items ?? [];
	}

	async loadList(): Promise<void> {
		const seq = ++this.#listSeq;
		this.listLoading = true;
		const q = this.query.trim();
		const qs = new URLSearchParams({ per_page: '100' });
		if (q) qs.set('q', q);
		try {
			const r = await api<Page<Conversation>>('GET', `/api/v1/conversations?${qs}`);
			if (seq !== this.#listSeq) return;
			this.conversations = r.items ?? [];
			this.listError = null;
		} catch (e) {
			if (seq === this.#listSeq) this.listError = toFieldError(e).message;
		} finally {
			if (seq === this.#listSeq) this.listLoading = false;
		}
	}

	/** Opens a conversation (null: a new, empty chat). */
	async open(id: number | null): Promise<void> {
		if (id === this.currentId && (id === null || this.messages.length > 0 || this.messagesLoading)) return;
		this.currentId = id;
		this.composerError = null;
		this.messages = [];
		this.messagesError = null;
		if (id === null) return;
		const conv = this.conversations.find((c) => c.id === id);
		if (conv) this.mode = conv.mode || this.mode;
		await this.loadMessages();
	}

	async loadMessages(): Promise<void> {
		const id = this.currentId;
		if (id === null) return;
		const seq = ++this.#msgSeq;
		this.messagesLoading = true;
		try {
			const r = await api<{ items: ChatMessage[]; has_more: boolean }>(
				'GET',
				`/api/v1/conversations/${id}/messages?limit=500`
			);
			if (seq !== this.#msgSeq || id !== this.currentId) return;
			// Keep a reply that is streaming right now: REST has only what was stored.
			const live = this.messages.find((m) => m.id === this.streamingId);
			const items = (r.items ?? []).filter((m) => m.role !== 'system');
			this.messages = live ? items.map((m) => (m.id === live.id ? live : m)) : items;
			if (live && !items.some((m) => m.id === live.id)) this.messages.push(live);
			this.messagesError = null;
		} catch (e) {
			if (seq === this.#msgSeq) this.messagesError = toFieldError(e).message;
		} finally {
			if (seq === this.#msgSeq) this.messagesLoading = false;
		}
	}

	/** After a reconnect: what the server stored while we were away. */
	async resync(): Promise<void> {
		await Promise.all([this.loadList(), this.loadMessages()]);
	}

	send(text: string): boolean {
		const message = text.trim();
		if (!message || this.busy) return false;
		const frame: Record<string, unknown> = { type: 'send', message, mode: this.mode || undefined };
		if (this.currentId !== null) frame.conversation_id = this.currentId;
		if (this.model) frame.model = this.model;
		if (this.useDocuments) frame.use_documents = true;
		if (this.useTools) frame.use_tools = true;
		if (!this.socket.send(frame)) {
			this.composerError = { code: 'offline', message: 'Not connected to the server; your message was not sent.' };
			return false;
		}
		this.composerError = null;
		this.pending = true;
		this.messages.push({
			id: -Date.now(),
			conversation_id: this.currentId ?? 0,
			role: 'user',
			content: message,
			status: 'complete',
			prompt_tokens: 0,
			completion_tokens: 0,
			demo: false,
			created_at: new Date().toISOString()
		});
		return true;
	}

	/** Turns the tools switch on or off, remembered in this browser. */
	setUseTools(on: boolean): void {
		this.useTools = on;
		try {
			this.#prefs?.setItem(USE_TOOLS_KEY, on ? 'on' : 'off');
		} catch {
			// Storage full or refused (private mode): the switch still works for this page.
		}
	}

	stopReply(): void {
		this.socket.send({ type: 'stop' });
	}

	/**
	 * Answers a proposed tool call: approve (with edited arguments, or as proposed when none are
	 * given) or decline. False when it could not be sent.
	 */
	confirmTool(messageId: number, callId: string, approve: boolean, args?: Record<string, unknown>): boolean {
		const call = this.#call(messageId, callId);
		if (!call || call.status !== 'pending') return false;
		const frame: Record<string, unknown> = { type: 'tool_confirm', call_id: callId, approve };
		if (approve && args) frame.arguments = args;
		if (!this.socket.send(frame)) {
			call.error = 'Not connected to the server; your answer was not sent.';
			return false;
		}
		call.status = 'sending';
		call.error = undefined;
		return true;
	}

	#call(messageId: number, callId: string): ToolCall | undefined {
		return this.messages.find((m) => m.id === messageId)?.tool_calls?.find((c) => c.id === callId);
	}

	#callAnywhere(callId: string): ToolCall | undefined {
		for (const m of this.messages) {
			const c = m.tool_calls?.find((x) => x.id === callId);
			if (c) return c;
		}
		return undefined;
	}

	regenerate(): boolean {
		if (this.currentId === null || this.busy) return false;
		const frame: Record<string, unknown> = { type: 'regenerate', conversation_id: this.currentId };
		if (this.model) frame.model = this.model;
		if (!this.socket.send(frame)) {
			this.composerError = { code: 'offline', message: 'Not connected to the server.' };
			return false;
		}
		this.composerError = null;
		this.pending = true;
		// The server drops the last reply; so do we.
		const last = this.messages.at(-1);
		if (last?.role === 'assistant') this.messages.pop();
		return true;
	}

	/** Applies one server frame to the state. */
	apply(f: ServerFrame): void {
		switch (f.type) {
			case 'start': {
				this.pending = false;
				if (f.created || this.currentId === null) {
					this.currentId = f.conversation_id;
					for (const m of this.messages) if (m.conversation_id === 0) m.conversation_id = f.conversation_id;
					this.onCreated(f.conversation_id);
					void this.loadList();
				}
				if (f.conversation_id !== this.currentId) return;
				this.streamingId = f.message_id;
				this.messages.push({
					id: f.message_id,
					conversation_id: f.conversation_id,
					role: 'assistant',
					content: '',
					model: f.model,
					status: 'streaming',
					prompt_tokens: 0,
					completion_tokens: 0,
					demo: false,
					created_at: new Date().toISOString()
				});
				if (f.mode) this.mode = f.mode;
				this.toolsOffered = f.tools ?? null;
				return;
			}
			case 'tool_call': {
				// The text so far comes before the card.
				this.#showHeld();
				const m = this.messages.find((x) => x.id === f.message_id);
				if (!m) return;
				m.tool_calls = upsertCall(m.tool_calls, {
					id: f.call_id,
					name: f.name,
					arguments: f.arguments ?? {},
					summary: f.summary,
					confirm: true,
					status: 'pending',
					error: f.error
				});
				return;
			}
			case 'tool_result': {
				this.#showHeld();
				const m = this.messages.find((x) => x.id === f.message_id);
				if (!m) return;
				const { type: _t, call_id: _c, conversation_id: _cv, message_id: _m, ...call } = f;
				m.tool_calls = upsertCall(m.tool_calls, { ...call, error: call.error ?? undefined });
				return;
			}
			case 'progress': {
				const m = this.messages.find((x) => x.id === this.streamingId);
				if (!m) return;
				if (f.stage === 'unavailable') m.research_note = f.message;
				else m.progress = progressText(f);
				return;
			}
			case 'token': {
				this.#held.content += f.content;
				this.#showHeldSoon();
				return;
			}
			case 'thinking': {
				this.#held.thinking += f.content;
				this.#showHeldSoon();
				return;
			}
			case 'done': {
				this.#showHeld();
				const m = this.messages.find((x) => x.id === f.message_id);
				if (m) {
					m.status = f.status;
					m.stopped = f.stopped;
					m.demo = f.demo;
					m.timing = f.timing ?? null;
					m.prompt_tokens = f.usage?.prompt_tokens ?? 0;
					m.completion_tokens = f.usage?.completion_tokens ?? 0;
					if (f.sources) {
						// The stored text: the streamed one without markers that named no source.
						if (typeof f.content === 'string') m.content = f.content;
						m.sources = f.sources;
						m.no_sources = f.no_sources ?? false;
						m.indexing = f.indexing ?? 0;
					}
					// The stored calls: a proposal left waiting shows how it ended (cancelled).
					if (f.tool_calls) m.tool_calls = f.tool_calls;
				}
				if (this.streamingId === f.message_id) this.streamingId = null;
				this.pending = false;
				this.#touch(f.conversation_id);
				return;
			}
			case 'title': {
				const c = this.conversations.find((x) => x.id === f.conversation_id);
				if (c) c.title = f.title;
				else void this.loadList();
				return;
			}
			case 'error': {
				if (f.call_id) {
					// An answer to a tool call was refused (not waiting any more, answered already).
					const c = this.#callAnywhere(f.call_id);
					if (c && c.status === 'sending') c.status = 'pending';
					if (c) c.error = f.message;
					else this.composerError = { code: f.code, message: f.message };
					return;
				}
				this.#showHeld();
				const m = f.message_id ? this.messages.find((x) => x.id === f.message_id) : undefined;
				if (m) {
					m.status = m.content ? 'partial' : 'error';
					m.error = f.message;
					m.error_code = f.code;
				} else {
					this.composerError = { code: f.code, message: f.message };
				}
				if (f.message_id && this.streamingId === f.message_id) this.streamingId = null;
				if (f.code !== 'conflict') this.pending = false;
				if (f.conversation_id && this.currentId === null) {
					this.currentId = f.conversation_id;
					this.onCreated(f.conversation_id);
					void this.loadList();
				}
				return;
			}
		}
	}

	/** Shows the held text with the next animation frame. */
	#showHeldSoon(): void {
		if (this.#frameAsked) return;
		this.#frameAsked = true;
		this.#frame(() => {
			this.#frameAsked = false;
			this.#showHeld();
		});
	}

	/** Adds the held text to the streaming reply now. */
	#showHeld(): void {
		const { content, thinking } = this.#held;
		if (!content && !thinking) return;
		this.#held = { content: '', thinking: '' };
		const m = this.#streaming();
		if (!m) return;
		if (thinking) m.thinking = (m.thinking ?? '') + thinking;
		if (content) m.content += content;
	}

	#streaming(): ChatMessage | undefined {
		if (this.streamingId === null) return undefined;
		for (let i = this.messages.length - 1; i >= 0; i--) {
			if (this.messages[i].id === this.streamingId) return this.messages[i];
		}
		return undefined;
	}

	/** Moves a conversation to the top of its group after a reply. */
	#touch(id: number): void {
		const c = this.conversations.find((x) => x.id === id);
		if (c) {
			c.updated_at = new Date().toISOString();
			c.message_count += 2;
		}
	}

	async rename(c: Conversation, title: string): Promise<void> {
		const t = title.trim();
		if (!t || t === c.title) return;
		const r = await api<Conversation>('PATCH', `/api/v1/conversations/${c.id}`, { title: t });
		c.title = r.title;
	}

	async togglePin(c: Conversation): Promise<void> {
		await api<Conversation>('PATCH', `/api/v1/conversations/${c.id}`, { pinned: !c.pinned });
		await this.loadList();
	}

	async remove(c: Conversation): Promise<void> {
		await api('DELETE', `/api/v1/conversations/${c.id}`);
		this.conversations = this.conversations.filter((x) => x.id !== c.id);
		if (this.currentId === c.id) {
			this.currentId = null;
			this.messages = [];
		}
	}
}

/** Where a citation opens: a web page's address, else the document view at the page, the passage highlighted. */
export function sourceHref(s: Source): string {
	if (s.url) return s.url;
	return viewerHref(s.document_id, s.page, s.start, s.end);
}

/** A citation chip's label: "name · p. N" (no page for a one-page text is still p. 1); a web page's title and site. */
export function sourceLabel(s: Source): string {
	if (s.url) {
		let host = s.url;
		try {
			host = new URL(s.url).host;
		} catch {
			/* keep the address as it is */
		}
		return s.title ? `${s.title} · ${host}` : host;
	}
	return `${s.document_name} · p. ${s.page}`;
}

/** What a research reply is doing, in words. */
export function progressText(p: ResearchProgress): string {
	switch (p.stage) {
		case 'searching':
			return 'Searching the web…';
		case 'reading':
			return p.pages === 1 ? 'Reading 1 page…' : `Reading ${p.pages ?? 0} pages…`;
		case 'retrieving':
			return `Read ${p.read ?? 0} of ${p.pages ?? 0} pages; finding the relevant passages…`;
		default:
			return '';
	}
}

/** The note under a reply from documents about documents not searched yet. */
export function indexingNote(n: number | undefined): string {
	if (!n) return '';
	return n === 1 ? '1 document is still being indexed.' : `${n} documents are still being indexed.`;
}

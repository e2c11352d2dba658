// Shapes of the chat API (docs/websocket.md, docs/openapi.json).

export interface Conversation {
	id: number;
	title: string;
	mode: string;
	model: string;
	pinned: boolean;
	created_at: string;
	updated_at: string;
	message_count: number;
	/** With a search: the best-matching text, matches in [brackets] (ambiguous: use snippet_parts). */
	snippet?: string;
	/** The snippet in runs, the matches marked; brackets in a run's text are the message's own. */
	snippet_parts?: { text: string; match?: boolean }[];
}

export interface Timing {
	total_ms?: number;
	load_ms?: number;
	prompt_eval_ms?: number;
	eval_ms?: number;
	tokens_per_second?: number;
	first_token_ms?: number;
}

export interface Usage {
	prompt_tokens: number;
	completion_tokens: number;
}

export type MessageStatus = 'complete' | 'partial' | 'error' | 'streaming' | string;

/** A passage a reply from documents was given, numbered as its [n] marker (docs/websocket.md). */
export interface Source {
	n: number;
	document_id: number;
	document_name: string;
	chunk_id: number;
	page: number;
	heading?: string;
	text: string;
	/** Code-point offsets of the passage in the page's text. */
	start: number;
	end: number;
	/** The model wrote [n]. */
	cited: boolean;
	/** A research reply's web page (no document, page or offsets): open it. */
	url?: string;
	title?: string;
}

/** A research reply's stage while it works (docs/websocket.md, "Research replies"). */
export interface ResearchProgress {
	stage: 'searching' | 'reading' | 'retrieving' | 'unavailable' | string;
	query?: string;
	results?: number;
	pages?: number;
	read?: number;
	message?: string;
}

export interface ChatMessage {
	id: number;
	conversation_id: number;
	role: 'user' | 'assistant' | 'system' | string;
	content: string;
	model?: string;
	status: MessageStatus;
	error?: string;
	prompt_tokens: number;
	completion_tokens: number;
	timing?: Timing | null;
	demo: boolean;
	created_at: string;
	/** A reply from documents: the passages it was given ([] when none matched). */
	sources?: Source[];
	/** A reply from documents found no matching passage. */
	no_sources?: boolean;
	/** How many of the user's documents were still being indexed when it was asked. */
	indexing?: number;
	/** The tools the reply called (absent when it was offered none). */
	tool_calls?: ToolCall[];
	/** UI only: the error code of an `error` frame (e.g. model_not_found). */
	error_code?: string;
	/** UI only: the user stopped this reply. */
	stopped?: boolean;
	/** UI only: a reasoning model's thinking, streamed but never stored. */
	thinking?: string;
	/** UI only: what a research reply is doing before its first token. */
	progress?: string;
	/** UI only: why a research reply was made without the web. */
	research_note?: string;
}

/** How a tool call ended (docs/chat-tools.md); pending and sending are the UI's own. */
export type ToolCallStatus = 'done' | 'declined' | 'failed' | 'cancelled' | 'pending' | 'sending';

/** One tool call of a reply: stored with the message, proposed and settled over the socket. */
export interface ToolCall {
	id: string;
	name: string;
	arguments: Record<string, unknown>;
	summary?: string;
	/** The call needed the user's approval. */
	confirm: boolean;
	/** The user changed the arguments before approving. */
	edited?: boolean;
	status: ToolCallStatus;
	result?: unknown;
	/** Why it failed; for a pending proposal, why the edited arguments were refused. */
	error?: string;
}

export interface ChatMode {
	key: string;
	name: string;
	model_key: string;
	system_prompt: string;
	built_in: boolean;
}

export interface Model {
	name: string;
	size: number;
	family?: string;
	parameter_size?: string;
	quantization?: string;
	modified_at?: string;
}

export interface RunningModel {
	name: string;
	size: number;
	size_vram: number;
	family?: string;
	parameter_size?: string;
	expires_at?: string;
}

export interface OllamaHealth {
	status: 'ok' | 'down' | string;
	provider: string;
	latency_ms: number;
	error?: string;
}

export interface PullState {
	type: 'pull';
	model: string;
	status: string;
	digest?: string;
	total?: number;
	completed?: number;
	percent?: number;
	done: boolean;
	error?: { code: string; message: string };
	started_at?: string;
	finished_at?: string;
}

/** GET /api/v1/ollama/pulls: the caller's pulls (an administrator's: everyone's). */
export interface PullList {
	items: PullState[];
	/** Whether the caller may pull: administrators, or everyone with [llm] allow_user_pulls. */
	can_pull: boolean;
}

/** Frames the server sends on /api/v1/ws/chat. */
export type ServerFrame =
	| { type: 'start'; conversation_id: number; message_id: number; model: string; mode: string; created: boolean; tools?: boolean }
	| { type: 'token'; content: string }
	| { type: 'thinking'; content: string }
	| {
			type: 'done';
			conversation_id: number;
			message_id: number;
			status: string;
			usage?: Usage;
			timing?: Timing;
			stopped: boolean;
			demo: boolean;
			/** A reply from documents only: its final text, sources and notes. */
			content?: string;
			sources?: Source[];
			no_sources?: boolean;
			indexing?: number;
			/** The reply's tool calls, as stored (when it was offered tools). */
			tool_calls?: ToolCall[];
	  }
	| {
			type: 'tool_call';
			call_id: string;
			conversation_id: number;
			message_id: number;
			name: string;
			arguments: Record<string, unknown>;
			summary: string;
			error?: string;
	  }
	| ({ type: 'tool_result'; call_id: string; conversation_id: number; message_id: number } & ToolCall)
	| ({ type: 'progress' } & ResearchProgress)
	| { type: 'title'; conversation_id: number; title: string }
	| { type: 'error'; code: string; message: string; conversation_id?: number; message_id?: number; call_id?: string }
	| { type: 'pong' };

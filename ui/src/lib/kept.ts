// The last good answer of each API GET, kept in the tab's sessionStorage so the UI can still show
// what it loaded before while the server is briefly unreachable (read-only while offline).
// Per tab and gone when the tab closes: answers are per-person, so they never go to localStorage
// or the service worker's cache, and logout or a lost session forgets them all.

/** The part of the Web Storage API the store uses (sessionStorage in the browser, a fake in tests). */
export type KeptStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

export interface Kept {
	/** The parsed answer body. */
	body: unknown;
	/** When it was answered (ms since the epoch). */
	at: number;
}

/** Answers bigger than this (serialised, in UTF-16 code units ≈ bytes for JSON) are not kept. */
export const KEEP_MAX_BYTES = 256 * 1024;
/** At most this many answers; the least recently used goes first. */
export const KEEP_MAX_ENTRIES = 100;

const PREFIX = 'aiwfe.kept:';
const INDEX = 'aiwfe.kept.index';

export interface KeptOptions {
	maxBytes?: number;
	maxEntries?: number;
}

export class KeptStore {
	#s: KeptStorage | null;
	#maxBytes: number;
	#maxEntries: number;

	constructor(storage: KeptStorage | null | undefined, opts: KeptOptions = {}) {
		this.#s = storage ?? null;
		this.#maxBytes = opts.maxBytes ?? KEEP_MAX_BYTES;
		this.#maxEntries = opts.maxEntries ?? KEEP_MAX_ENTRIES;
	}

	/** Keys, least recently used first. A broken or missing index is an empty store. */
	#index(): string[] {
		try {
			const v: unknown = JSON.parse(this.#s?.getItem(INDEX) ?? '[]');
			return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
		} catch {
			return [];
		}
	}

	#writeIndex(keys: string[]): boolean {
		try {
			this.#s?.setItem(INDEX, JSON.stringify(keys));
			return true;
		} catch {
			return false;
		}
	}

	#drop(key: string): void {
		try {
			this.#s?.removeItem(PREFIX + key);
		} catch {
			// Storage gone (private mode, disabled): nothing to drop.
		}
	}

	/** The kept answer for key, marked as just used; null when there is none (or it is unreadable). */
	get(key: string): Kept | null {
		if (!this.#s) return null;
		let raw: string | null;
		try {
			raw = this.#s.getItem(PREFIX + key);
		} catch {
			return null;
		}
		if (raw === null) return null;
		let kept: Kept;
		try {
			const v = JSON.parse(raw) as Partial<Kept>;
			if (!v || typeof v !== 'object' || typeof v.at !== 'number') throw new Error('bad entry');
			kept = { body: v.body, at: v.at };
		} catch {
			this.delete(key);
			return null;
		}
		const keys = this.#index().filter((k) => k !== key);
		keys.push(key);
		this.#writeIndex(keys);
		return kept;
	}

	/**
	 * Keeps body as the answer for key. Too big an answer is not kept, and drops what was kept for
	 * the key (it is no longer the last answer). When the storage is full, the least recently used
	 * answers go until it fits.
	 */
	put(key: string, body: unknown, at: number): boolean {
		if (!this.#s) return false;
		let raw: string;
		try {
			raw = JSON.stringify({ at, body });
		} catch {
			this.delete(key);
			return false;
		}
		if (raw.length > this.#maxBytes) {
			this.delete(key);
			return false;
		}
		const keys = this.#index().filter((k) => k !== key);
		while (keys.length >= this.#maxEntries) this.#drop(keys.shift()!);
		for (;;) {
			try {
				this.#s.setItem(PREFIX + key, raw);
				break;
			} catch {
				// Quota: make room, oldest first; give up when nothing is left to drop.
				const oldest = keys.shift();
				if (oldest === undefined) {
					this.#writeIndex(keys);
					return false;
				}
				this.#drop(oldest);
			}
		}
		keys.push(key);
		if (!this.#writeIndex(keys)) {
			this.#drop(key);
			return false;
		}
		return true;
	}

	delete(key: string): void {
		this.#drop(key);
		const keys = this.#index();
		if (keys.includes(key)) this.#writeIndex(keys.filter((k) => k !== key));
	}

	/**
	 * Forgets the answers a change to path made stale: path itself, what lies below it (with any
	 * query), and the collection it belongs to. A PATCH of /api/v1/conversations/5 forgets that
	 * conversation, its messages and the conversation list, so the UI never shows, offline, what
	 * was true before a change the server accepted.
	 */
	forgetChanged(path: string): void {
		const target = pathOf(path);
		const parent = target.slice(0, target.lastIndexOf('/'));
		for (const key of this.#index()) {
			const p = pathOf(key);
			if (p === target || p.startsWith(target + '/') || p === parent) this.delete(key);
		}
	}

	/** Forgets every kept answer (logout, a lost session, another person signing in). */
	clear(): void {
		const s = this.#s;
		if (!s) return;
		try {
			// Every entry, also one the index lost track of (a failed index write).
			const ours: string[] = [];
			for (let i = 0; i < s.length; i++) {
				const k = s.key(i);
				if (k !== null && (k.startsWith(PREFIX) || k === INDEX)) ours.push(k);
			}
			for (const k of ours) s.removeItem(k);
		} catch {
			// Storage gone: nothing kept.
		}
	}

	/** The keys kept, least recently used first. */
	keys(): string[] {
		return this.#index();
	}
}

/** The path of a key, without its query. */
function pathOf(key: string): string {
	const q = key.indexOf('?');
	const p = q < 0 ? key : key.slice(0, q);
	return p.endsWith('/') ? p.slice(0, -1) : p;
}

// A WebSocket to the API that comes back by itself: exponential backoff with jitter after a
// drop, a token refresh when the server ended the session (4401) or refused the upgrade, a
// client ping to notice dead links, and a reconnect as soon as the browser is online again.
import { refresh } from '$lib/api';
import { backoffMs, wsUrl } from './backoff';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketHandlers {
	onFrame: (frame: Record<string, unknown>) => void;
	/** Called on every open; `reconnected` is true after a drop (re-read state over REST). */
	onOpen?: (reconnected: boolean) => void;
	/** Called when an open socket drops (before the reconnect is scheduled). */
	onDrop?: () => void;
}

const PING_EVERY_MS = 25_000;
const DEAD_AFTER_MS = 65_000;

export class LiveSocket {
	state = $state<SocketState>('closed');
	/** Seconds until the next attempt while reconnecting (for the banner). */
	retryIn = $state(0);

	#path: string;
	#h: SocketHandlers;
	#ws: WebSocket | null = null;
	#attempt = 0;
	#everOpened = false;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#ping: ReturnType<typeof setInterval> | null = null;
	#lastSeen = 0;
	#stopped = true;
	#onOnline = () => {
		if (this.state === 'reconnecting') this.#connectNow();
	};

	constructor(path: string, handlers: SocketHandlers) {
		this.#path = path;
		this.#h = handlers;
	}

	start(): void {
		if (!this.#stopped) return;
		this.#stopped = false;
		window.addEventListener('online', this.#onOnline);
		this.#open();
	}

	stop(): void {
		this.#stopped = true;
		window.removeEventListener('online', this.#onOnline);
		this.#clearTimers();
		const ws = this.#ws;
		this.#ws = null;
		if (ws) {
			ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
			ws.close(1000);
		}
		this.state = 'closed';
	}

	/** Sends a frame; false when the socket is not open. */
	send(frame: object): boolean {
		if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
		this.#ws.send(JSON.stringify(frame));
		return true;
	}

	/** Drops the link as a network failure would (tests, "reconnect now"). */
	drop(): void {
		this.#ws?.close(4000, 'client reconnect');
	}

	#clearTimers(): void {
		if (this.#timer) clearTimeout(this.#timer);
		if (this.#ping) clearInterval(this.#ping);
		this.#timer = this.#ping = null;
	}

	#connectNow(): void {
		this.#clearTimers();
		this.#open();
	}

	#open(): void {
		if (this.#stopped) return;
		this.state = this.#everOpened || this.#attempt > 0 ? 'reconnecting' : 'connecting';
		let opened = false;
		let ws: WebSocket;
		try {
			ws = new WebSocket(wsUrl(this.#path));
		} catch {
			this.#schedule(false);
			return;
		}
		this.#ws = ws;
		ws.onopen = () => {
			opened = true;
			const reconnected = this.#everOpened;
			this.#everOpened = true;
			this.#attempt = 0;
			this.#lastSeen = Date.now();
			this.state = 'open';
			this.#ping = setInterval(() => {
				if (Date.now() - this.#lastSeen > DEAD_AFTER_MS) {
					ws.close(4000, 'no answer');
					return;
				}
				this.send({ type: 'ping' });
			}, PING_EVERY_MS);
			this.#h.onOpen?.(reconnected);
		};
		ws.onmessage = (ev) => {
			this.#lastSeen = Date.now();
			let frame: unknown;
			try {
				frame = JSON.parse(String(ev.data));
			} catch {
				return;
			}
			if (frame && typeof frame === 'object') this.#h.onFrame(frame as Record<string, unknown>);
		};
		ws.onclose = (ev) => {
			if (this.#ws !== ws) return;
			this.#ws = null;
			this.#clearTimers();
			if (opened) this.#h.onDrop?.();
			if (this.#stopped) return;
			// 4401: the session ended; a refused upgrade (401) looks like a close before open.
			this.#schedule(ev.code === 4401 || !opened);
		};
	}

	#schedule(renew: boolean): void {
		if (this.#stopped) return;
		this.state = 'reconnecting';
		const delay = backoffMs(this.#attempt++);
		this.retryIn = Math.ceil(delay / 1000);
		this.#timer = setTimeout(async () => {
			this.#timer = null;
			if (renew) await refresh();
			this.#open();
		}, delay);
	}
}

// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const refresh = vi.fn(async () => true);
vi.mock('$lib/api', () => ({ refresh: () => refresh() }));

const { LiveSocket } = await import('./socket.svelte');

class FakeWS {
	static OPEN = 1;
	static all: FakeWS[] = [];
	readyState = 0;
	sent: string[] = [];
	onopen: (() => void) | null = null;
	onmessage: ((e: { data: string }) => void) | null = null;
	onclose: ((e: { code: number }) => void) | null = null;
	onerror: (() => void) | null = null;
	constructor(public url: string) {
		FakeWS.all.push(this);
	}
	send(s: string) {
		this.sent.push(s);
	}
	close(code = 1000) {
		this.readyState = 3;
		this.onclose?.({ code });
	}
	open() {
		this.readyState = 1;
		this.onopen?.();
	}
}

beforeEach(() => {
	FakeWS.all = [];
	refresh.mockClear();
	vi.useFakeTimers();
	vi.stubGlobal('WebSocket', FakeWS);
	vi.spyOn(Math, 'random').mockReturnValue(0);
});

afterEach(() => {
	vi.useRealTimers();
	vi.unstubAllGlobals();
	vi.restoreAllMocks();
});

describe('LiveSocket', () => {
	it('reconnects with growing delays and says it reconnected', async () => {
		const opens: boolean[] = [];
		const frames: unknown[] = [];
		const s = new LiveSocket('/api/v1/ws/chat', { onFrame: (f) => frames.push(f), onOpen: (r) => opens.push(r) });
		s.start();
		expect(FakeWS.all[0].url).toBe('ws://localhost:3000/api/v1/ws/chat');
		FakeWS.all[0].open();
		expect(s.state).toBe('open');
		FakeWS.all[0].onmessage?.({ data: '{"type":"pong"}' });
		expect(frames).toEqual([{ type: 'pong' }]);

		FakeWS.all[0].close(1006); // dropped
		expect(s.state).toBe('reconnecting');
		await vi.advanceTimersByTimeAsync(499);
		expect(FakeWS.all).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(1);
		expect(FakeWS.all).toHaveLength(2);

		FakeWS.all[1].close(1006); // refused before open: renew the token, wait longer
		await vi.advanceTimersByTimeAsync(999);
		expect(FakeWS.all).toHaveLength(2);
		await vi.advanceTimersByTimeAsync(1);
		expect(refresh).toHaveBeenCalledTimes(1);
		expect(FakeWS.all).toHaveLength(3);

		FakeWS.all[2].open();
		expect(opens).toEqual([false, true]);
		s.stop();
		expect(s.state).toBe('closed');
	});

	it('refreshes the token when the server ended the session (4401)', async () => {
		const s = new LiveSocket('/x', { onFrame: () => {} });
		s.start();
		FakeWS.all[0].open();
		FakeWS.all[0].close(4401);
		await vi.advanceTimersByTimeAsync(500);
		expect(refresh).toHaveBeenCalledTimes(1);
		expect(FakeWS.all).toHaveLength(2);
		s.stop();
	});

	it('does not come back after stop, and sends only when open', async () => {
		const s = new LiveSocket('/x', { onFrame: () => {} });
		s.start();
		expect(s.send({ type: 'ping' })).toBe(false);
		FakeWS.all[0].open();
		expect(s.send({ type: 'ping' })).toBe(true);
		expect(FakeWS.all[0].sent).toEqual(['{"type":"ping"}']);
		s.stop();
		await vi.advanceTimersByTimeAsync(60_000);
		expect(FakeWS.all).toHaveLength(1);
	});
});

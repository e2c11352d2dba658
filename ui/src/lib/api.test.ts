import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, PAUSED_MESSAGE, createApi, keepable, loginUrl, parseRetryAfter, safeNext, type ApiEnv } from './api';
import { KEEP_MAX_BYTES, KEEP_MAX_ENTRIES, KeptStore, type KeptStorage } from './kept';

interface Call {
	url: string;
	method: string;
	headers: Record<string, string>;
	body?: string;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
	return new Response(body === undefined ? null : JSON.stringify(body), {
		status,
		headers: { 'Content-Type': 'application/json', ...headers }
	});
}

/** A scripted server: each handler answers one request; the calls are recorded. */
function harness(
	routes: (call: Call, n: number) => Response,
	overrides: Partial<ApiEnv> = {}
) {
	const calls: Call[] = [];
	const redirects: string[] = [];
	const env: ApiEnv = {
		fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
			const call: Call = {
				url: String(input),
				method: init?.method ?? 'GET',
				headers: { ...(init?.headers as Record<string, string>) },
				body: init?.body as string | undefined
			};
			expect(init?.credentials).toBe('same-origin');
			calls.push(call);
			return routes(call, calls.length);
		}) as typeof fetch,
		cookies: () => '',
		currentPath: () => '/profile?tab=models',
		redirect: (url) => redirects.push(url),
		now: () => 1_700_000_000_000,
		setTimeout: () => 1,
		clearTimeout: () => {},
		...overrides
	};
	return { client: createApi(env), calls, redirects };
}

describe('api: CSRF', () => {
	it('does not send a CSRF header on GET', async () => {
		const { client, calls } = harness(() => json(200, { ok: true }));
		await expect(client.api('GET', '/api/v1/profile')).resolves.toEqual({ ok: true });
		expect(calls).toHaveLength(1);
		expect(calls[0].headers['X-CSRF-TOKEN']).toBeUndefined();
	});

	it('fetches the token lazily once and sends it on every unsafe method', async () => {
		const { client, calls } = harness((c) =>
			c.url === '/api/v1/auth/csrf-token' ? json(200, { csrf_token: 'tok-1' }) : json(200, {})
		);
		for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
			await client.api(m, '/api/v1/thing', m === 'DELETE' ? undefined : { a: 1 });
		}
		expect(calls.map((c) => c.url).filter((u) => u.endsWith('csrf-token'))).toHaveLength(1);
		const unsafe = calls.filter((c) => c.url === '/api/v1/thing');
		expect(unsafe).toHaveLength(4);
		for (const c of unsafe) expect(c.headers['X-CSRF-TOKEN']).toBe('tok-1');
		expect(unsafe[0].body).toBe('{"a":1}');
		expect(unsafe[0].headers['Content-Type']).toBe('application/json');
		expect(unsafe[3].body).toBeUndefined();
	});

	it('refetches the token and retries once on 403 csrf_failed', async () => {
		let tokens = 0;
		const { client, calls } = harness((c) => {
			if (c.url.endsWith('csrf-token')) return json(200, { csrf_token: `tok-${++tokens}` });
			if (c.headers['X-CSRF-TOKEN'] === 'tok-1')
				return json(403, { error: { code: 'csrf_failed', message: 'bad token' } });
			return json(200, { saved: true });
		});
		await expect(client.api('PUT', '/api/v1/profile', { theme: 'dark' })).resolves.toEqual({
			saved: true
		});
		expect(calls.map((c) => `${c.method} ${c.url} ${c.headers['X-CSRF-TOKEN'] ?? ''}`)).toEqual([
			'GET /api/v1/auth/csrf-token ',
			'PUT /api/v1/profile tok-1',
			'GET /api/v1/auth/csrf-token ',
			'PUT /api/v1/profile tok-2'
		]);
	});

	it('gives up after one CSRF retry', async () => {
		const { client, calls } = harness((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: json(403, { error: { code: 'csrf_failed', message: 'CSRF token invalid' } })
		);
		const err = (await client.api('POST', '/api/v1/x', {}).catch((e) => e)) as ApiError;
		expect(err).toBeInstanceOf(ApiError);
		expect(err.code).toBe('csrf_failed');
		expect(err.message).toBe('CSRF token invalid');
		expect(calls.filter((c) => c.url === '/api/v1/x')).toHaveLength(2);
	});

	it('does not retry a 403 with another code', async () => {
		const { client, calls } = harness((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: json(403, { error: { code: 'forbidden', message: 'Admins only' } })
		);
		await expect(client.api('DELETE', '/api/v1/admin/users/3')).rejects.toMatchObject({
			status: 403,
			code: 'forbidden'
		});
		expect(calls.filter((c) => c.url === '/api/v1/admin/users/3')).toHaveLength(1);
	});
});

describe('api: errors', () => {
	it('surfaces the server message and field', async () => {
		const { client } = harness((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: json(422, {
						error: { code: 'validation', message: 'Password too short', field: 'password' }
					})
		);
		await expect(client.api('POST', '/api/v1/auth/register', {})).rejects.toMatchObject({
			status: 422,
			code: 'validation',
			message: 'Password too short',
			field: 'password'
		});
	});

	it('reads Retry-After on 429', async () => {
		const { client } = harness((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: json(429, { error: { code: 'rate_limited', message: 'Slow down' } }, { 'Retry-After': '42' })
		);
		await expect(client.api('POST', '/api/v1/auth/jwt/login', {})).rejects.toMatchObject({
			status: 429,
			retryAfter: 42
		});
	});

	it('turns a non-JSON error and a network failure into ApiErrors', async () => {
		const { client } = harness(() => new Response('<html>bad gateway</html>', { status: 502 }));
		await expect(client.api('GET', '/api/v1/x')).rejects.toMatchObject({ status: 502 });
		const { client: down } = harness(() => json(200, {}), {
			fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch
		});
		await expect(down.api('GET', '/api/v1/x')).rejects.toMatchObject({ status: 0, code: 'network' });
	});

	it('returns undefined for an empty 204', async () => {
		const { client } = harness((c) =>
			c.url.endsWith('csrf-token') ? json(200, { csrf_token: 't' }) : new Response(null, { status: 204 })
		);
		await expect(client.api('DELETE', '/api/v1/devices/1')).resolves.toBeUndefined();
	});
});

describe('api: 401 handling', () => {
	it('refreshes once and retries the request', async () => {
		let refreshed = false;
		const { client, calls, redirects } = harness((c) => {
			if (c.url.endsWith('csrf-token')) return json(200, { csrf_token: 't' });
			if (c.url === '/api/v1/auth/refresh') {
				refreshed = true;
				return json(200, { access_token: 'new' });
			}
			return refreshed ? json(200, { user: { email: 'a@b.c' } }) : json(401, { error: { code: 'unauthorized', message: 'expired' } });
		});
		await expect(client.api('GET', '/api/v1/auth/validate')).resolves.toEqual({
			user: { email: 'a@b.c' }
		});
		expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
			'GET /api/v1/auth/validate',
			'GET /api/v1/auth/csrf-token',
			'POST /api/v1/auth/refresh',
			'GET /api/v1/auth/validate'
		]);
		expect(calls[2].headers['X-CSRF-TOKEN']).toBe('t');
		expect(redirects).toEqual([]);
	});

	it('redirects to /login with next = the current path when refresh fails', async () => {
		const { client, calls, redirects } = harness((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: json(401, { error: { code: 'unauthorized', message: 'Not signed in' } })
		);
		await expect(client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 401 });
		expect(redirects).toEqual(['/login?next=%2Fprofile%3Ftab%3Dmodels']);
		expect(calls.filter((c) => c.url === '/api/v1/auth/refresh')).toHaveLength(1);
		expect(calls.filter((c) => c.url === '/api/v1/profile')).toHaveLength(1);
	});

	it('does not redirect when told not to', async () => {
		const { client, redirects } = harness((c) =>
			c.url.endsWith('csrf-token') ? json(200, { csrf_token: 't' }) : json(401, {})
		);
		await expect(
			client.api('GET', '/api/v1/auth/validate', undefined, { redirectOn401: false })
		).rejects.toMatchObject({ status: 401 });
		expect(redirects).toEqual([]);
	});

	it('treats a 401 from login as wrong credentials: no refresh, no redirect', async () => {
		const { client, calls, redirects } = harness((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: json(401, { error: { code: 'invalid_credentials', message: 'Wrong email or password' } })
		);
		await expect(
			client.api('POST', '/api/v1/auth/jwt/login', { email: 'a', password: 'b' })
		).rejects.toMatchObject({ message: 'Wrong email or password' });
		expect(calls.some((c) => c.url.endsWith('/refresh'))).toBe(false);
		expect(redirects).toEqual([]);
	});

	it('shares one refresh between concurrent 401s', async () => {
		let refreshes = 0;
		const { client } = harness((c) => {
			if (c.url.endsWith('csrf-token')) return json(200, { csrf_token: 't' });
			if (c.url.endsWith('/refresh')) {
				refreshes++;
				return json(200, {});
			}
			return refreshes ? json(200, {}) : json(401, {});
		});
		await Promise.all([client.api('GET', '/api/v1/a'), client.api('GET', '/api/v1/b')]);
		expect(refreshes).toBe(1);
	});
});

describe('api: refresh timer', () => {
	it('arms a timer 5 minutes before exp, and refreshes when it fires', async () => {
		const now = 1_700_000_000_000;
		const timers: { fn: () => void; ms: number }[] = [];
		const { client, calls } = harness(
			(c) => (c.url.endsWith('csrf-token') ? json(200, { csrf_token: 't' }) : json(200, {})),
			{
				cookies: () => `theme=dark; access_expires=${now / 1000 + 3600}`,
				setTimeout: (fn, ms) => timers.push({ fn, ms }),
				now: () => now
			}
		);
		client.scheduleRefresh();
		expect(timers).toHaveLength(1);
		expect(timers[0].ms).toBe(55 * 60_000);
		timers[0].fn();
		await vi.waitFor(() => expect(calls.some((c) => c.url === '/api/v1/auth/refresh')).toBe(true));
	});

	it('two tabs never refresh with the same cookie at once: the second sees the first one\'s session', async () => {
		const now = 1_700_000_000_000;
		let jar = `access_expires=${now / 1000 + 60}`;
		// One lock shared by both "tabs", like navigator.locks.
		let tail: Promise<unknown> = Promise.resolve();
		const withLock = <T>(_name: string, fn: () => Promise<T>): Promise<T> => {
			const run = tail.then(fn);
			tail = run.catch(() => {});
			return run;
		};
		let refreshes = 0;
		const routes = (c: Call) => {
			if (c.url.endsWith('csrf-token')) return json(200, { csrf_token: 't' });
			refreshes++;
			jar = `access_expires=${now / 1000 + 3600 + refreshes}`;
			return json(200, {});
		};
		const env = { cookies: () => jar, now: () => now, withLock };
		const tabA = harness(routes, env).client;
		const tabB = harness(routes, env).client;
		const [a, b] = await Promise.all([tabA.refresh(), tabB.refresh()]);
		expect(a && b).toBe(true);
		expect(refreshes).toBe(1);
	});

	it('arms nothing without an access_expires cookie', () => {
		const setTimeout = vi.fn();
		const { client } = harness(() => json(200, {}), { cookies: () => 'csrf_token=x; access_token=a.b.c', setTimeout });
		client.scheduleRefresh();
		expect(setTimeout).not.toHaveBeenCalled();
	});
});

describe('login redirects', () => {
	it('builds next from the current path', () => {
		expect(loginUrl('/security?page=2')).toBe('/login?next=%2Fsecurity%3Fpage%3D2');
		expect(loginUrl('/')).toBe('/login');
		expect(loginUrl('/login?next=%2Fx')).toBe('/login');
	});

	it('only follows same-origin paths', () => {
		expect(safeNext('/security?page=2')).toBe('/security?page=2');
		expect(safeNext(null)).toBe('/');
		expect(safeNext('https://evil.example/')).toBe('/');
		expect(safeNext('//evil.example/')).toBe('/');
		expect(safeNext('/\\evil.example')).toBe('/');
		expect(safeNext('/login?next=/x')).toBe('/');
	});

	it('parses Retry-After seconds and dates', () => {
		expect(parseRetryAfter('120', 0)).toBe(120);
		expect(parseRetryAfter(new Date(61_000).toUTCString(), 0)).toBe(61);
		expect(parseRetryAfter('soon', 0)).toBeUndefined();
		expect(parseRetryAfter(null, 0)).toBeUndefined();
	});
});

// --- offline: the last good answers, kept in the tab ---

/** sessionStorage in memory; `quota` (total characters of keys and values) makes setItem throw as a full one does. */
class FakeStorage implements KeptStorage {
	map = new Map<string, string>();
	constructor(public quota = Infinity) {}
	get length() {
		return this.map.size;
	}
	key(i: number) {
		return [...this.map.keys()][i] ?? null;
	}
	getItem(k: string) {
		return this.map.get(k) ?? null;
	}
	setItem(k: string, v: string) {
		const used = [...this.map].reduce((n, [key, val]) => n + (key === k ? 0 : key.length + val.length), 0);
		if (used + k.length + v.length > this.quota) throw new DOMException('full', 'QuotaExceededError');
		this.map.set(k, String(v));
	}
	removeItem(k: string) {
		this.map.delete(k);
	}
	keptKeys() {
		return [...this.map.keys()].filter((k) => k.startsWith('aiwfe.kept:')).map((k) => k.slice('aiwfe.kept:'.length));
	}
}

/** A server that can go down: while `down`, every fetch fails as an unreachable one does. */
function flaky(routes: (call: Call, n: number) => Response, storage: KeptStorage | null = new FakeStorage()) {
	const state = { down: false, offline: [] as boolean[] };
	const calls: Call[] = [];
	const redirects: string[] = [];
	const client = createApi({
		fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
			if (state.down) throw new TypeError('Failed to fetch');
			const call: Call = {
				url: String(input),
				method: init?.method ?? 'GET',
				headers: { ...(init?.headers as Record<string, string>) },
				body: init?.body as string | undefined
			};
			calls.push(call);
			return routes(call, calls.length);
		}) as typeof fetch,
		cookies: () => '',
		currentPath: () => '/',
		redirect: (url) => redirects.push(url),
		now: () => 1_700_000_000_000,
		setTimeout: () => 1,
		clearTimeout: () => {},
		storage,
		onConnectivity: (o) => state.offline.push(o)
	});
	return { client, calls, redirects, state, storage: storage as FakeStorage };
}

const okRoutes = (c: Call) =>
	c.url.endsWith('csrf-token') ? json(200, { csrf_token: 't' }) : json(200, { path: c.url });

describe('api: kept answers while the server is unreachable', () => {
	it('serves the last good answer of a GET when the network fails, and marks the app offline', async () => {
		let n = 0;
		const { client, state } = flaky(() => json(200, { n: ++n }));
		await expect(client.api('GET', '/api/v1/conversations?q=')).resolves.toEqual({ n: 1 });
		await expect(client.api('GET', '/api/v1/conversations?q=')).resolves.toEqual({ n: 2 });
		expect(state.offline.at(-1)).toBe(false);
		state.down = true;
		await expect(client.api('GET', '/api/v1/conversations?q=')).resolves.toEqual({ n: 2 });
		expect(state.offline.at(-1)).toBe(true);
	});

	it('marks the app online again on any answer from the server, an error too', async () => {
		let fail = false;
		const { client, state } = flaky(() =>
			fail ? json(500, { error: { code: 'internal', message: 'boom' } }) : json(200, { ok: 1 })
		);
		await client.api('GET', '/api/v1/profile');
		state.down = true;
		await client.api('GET', '/api/v1/profile');
		expect(state.offline.at(-1)).toBe(true);
		state.down = false;
		fail = true;
		// A server error is an answer: it is surfaced, not hidden behind the kept answer.
		await expect(client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 500, code: 'internal' });
		expect(state.offline.at(-1)).toBe(false);
		// ... and it does not replace what was kept.
		state.down = true;
		await expect(client.api('GET', '/api/v1/profile')).resolves.toEqual({ ok: 1 });
	});

	it('keys by path and query: another page of a list is not served from the first', async () => {
		const { client, state } = flaky((c) => json(200, { url: c.url }));
		await client.api('GET', '/api/v1/conversations?page=1');
		state.down = true;
		await expect(client.api('GET', '/api/v1/conversations?page=1')).resolves.toEqual({
			url: '/api/v1/conversations?page=1'
		});
		const err = (await client.api('GET', '/api/v1/conversations?page=2').catch((e) => e)) as ApiError;
		expect(err).toBeInstanceOf(ApiError);
		expect(err).toMatchObject({ status: 0, code: 'network' });
		expect(err.message).toMatch(/Cannot reach the server/);
		expect(state.offline.at(-1)).toBe(true);
	});

	it('fails as before when nothing was kept, or when there is no storage at all', async () => {
		const { client, state } = flaky(okRoutes, null);
		await client.api('GET', '/api/v1/profile');
		state.down = true;
		await expect(client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 0, code: 'network' });
		expect(state.offline).toEqual([false, true]);
	});

	it('forgets a kept answer once a change to it is accepted, not when the change is refused', async () => {
		let refuse = false;
		const { client, state } = flaky((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: c.method === 'PUT' && refuse
					? json(422, { error: { code: 'invalid', message: 'bad theme' } })
					: json(200, { theme: 'light' })
		);
		await client.api('GET', '/api/v1/profile');
		refuse = true;
		await expect(client.api('PUT', '/api/v1/profile', { theme: 'x' })).rejects.toMatchObject({ status: 422 });
		state.down = true;
		await expect(client.api('GET', '/api/v1/profile')).resolves.toEqual({ theme: 'light' });
		state.down = false;
		refuse = false;
		await client.api('PUT', '/api/v1/profile', { theme: 'dark' });
		state.down = true;
		// What was kept is from before the change: better nothing than a stale profile.
		await expect(client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 0, code: 'network' });
	});

	it('refuses changes while offline with a clear message, and never answers them from what was kept', async () => {
		const { client, state, calls } = flaky(okRoutes);
		await client.api('GET', '/api/v1/profile');
		await client.api('PUT', '/api/v1/profile', { theme: 'dark' }); // the CSRF token is known now
		state.down = true;
		for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
			const err = (await client.api(m, '/api/v1/profile', m === 'DELETE' ? undefined : { a: 1 }).catch((e) => e)) as ApiError;
			expect(err, m).toBeInstanceOf(ApiError);
			expect(err).toMatchObject({ status: 0, code: 'network', message: PAUSED_MESSAGE });
			expect(err.message).toMatch(/changes are paused while offline/);
		}
		expect(state.offline.at(-1)).toBe(true);
		// Nothing queued: back online, nothing is sent by itself.
		state.down = false;
		const before = calls.length;
		await client.api('GET', '/api/v1/profile');
		expect(calls.length).toBe(before + 1);
	});

	it('says changes are paused also when the CSRF token cannot be fetched', async () => {
		const { client, state } = flaky(okRoutes);
		state.down = true;
		await expect(client.api('POST', '/api/v1/tasks', { title: 'x' })).rejects.toMatchObject({
			status: 0,
			message: PAUSED_MESSAGE
		});
	});

	it('never keeps the CSRF token, the refresh answer, or paths outside /api/v1/', async () => {
		const { client, state, storage } = flaky((c) =>
			c.url.endsWith('csrf-token') ? json(200, { csrf_token: 'secret' }) : json(200, { ok: true })
		);
		await client.api('GET', '/api/v1/auth/csrf-token');
		await client.api('GET', '/api/v1/auth/csrf-token?x=1');
		await client.api('GET', '/api/v1/auth/refresh');
		await client.api('POST', '/api/v1/auth/refresh');
		await client.api('GET', '/health');
		await client.api('POST', '/api/v1/things', {});
		expect(storage.keptKeys()).toEqual([]);
		expect([...storage.map.values()].join('')).not.toContain('secret');
		state.down = true;
		await expect(client.api('GET', '/api/v1/auth/csrf-token')).rejects.toMatchObject({ status: 0 });
		expect(keepable('/api/v1/auth/validate')).toBe(true);
		expect(keepable('/api/v1/auth/refresh#x')).toBe(false);
		expect(keepable('/api/v2/x')).toBe(false);
	});

	it('does not keep an answer over the size cap, and drops the older one for that path', async () => {
		let big = false;
		const { client, state, storage } = flaky(() => json(200, { text: big ? 'x'.repeat(KEEP_MAX_BYTES) : 'small' }));
		await client.api('GET', '/api/v1/documents/1');
		expect(storage.keptKeys()).toEqual(['/api/v1/documents/1']);
		big = true;
		await expect(client.api('GET', '/api/v1/documents/1')).resolves.toMatchObject({ text: expect.any(String) });
		expect(storage.keptKeys()).toEqual([]);
		state.down = true;
		// Not the stale small one: the last answer was not kept, so there is none.
		await expect(client.api('GET', '/api/v1/documents/1')).rejects.toMatchObject({ status: 0 });
	});

	it(`keeps at most ${KEEP_MAX_ENTRIES} answers, the least recently used going first`, async () => {
		const { client, state, storage } = flaky((c) => json(200, { url: c.url }));
		for (let i = 0; i < KEEP_MAX_ENTRIES; i++) await client.api('GET', `/api/v1/items/${i}`);
		expect(storage.keptKeys()).toHaveLength(KEEP_MAX_ENTRIES);
		// Item 0 is used again (offline), so item 1 is now the least recently used.
		state.down = true;
		await client.api('GET', '/api/v1/items/0');
		state.down = false;
		await client.api('GET', '/api/v1/items/new');
		const keys = storage.keptKeys();
		expect(keys).toHaveLength(KEEP_MAX_ENTRIES);
		expect(keys).toContain('/api/v1/items/0');
		expect(keys).toContain('/api/v1/items/new');
		expect(keys).not.toContain('/api/v1/items/1');
		state.down = true;
		await expect(client.api('GET', '/api/v1/items/1')).rejects.toMatchObject({ status: 0 });
		await expect(client.api('GET', '/api/v1/items/2')).resolves.toEqual({ url: '/api/v1/items/2' });
	});

	it('makes room in a full storage by dropping the oldest answers, and fails quietly when nothing fits', async () => {
		const storage = new FakeStorage(2_000);
		const { client, state } = flaky((c) => json(200, { url: c.url, pad: 'p'.repeat(c.url.includes('huge') ? 5_000 : 400) }), storage);
		for (let i = 0; i < 6; i++) await client.api('GET', `/api/v1/n/${i}`);
		const keys = storage.keptKeys();
		expect(keys.length).toBeGreaterThan(0);
		expect(keys.length).toBeLessThan(6);
		expect(keys.at(-1)).toBe('/api/v1/n/5');
		expect(keys).not.toContain('/api/v1/n/0');
		// Bigger than the whole storage: the request still answers, nothing breaks.
		await expect(client.api('GET', '/api/v1/huge')).resolves.toMatchObject({ url: '/api/v1/huge' });
		expect(storage.keptKeys()).not.toContain('/api/v1/huge');
		state.down = true;
		await expect(client.api('GET', '/api/v1/huge')).rejects.toMatchObject({ status: 0 });
	});

	it('forgets everything on forgetKept (logout)', async () => {
		const { client, state, storage } = flaky(okRoutes);
		await client.api('GET', '/api/v1/profile');
		await client.api('GET', '/api/v1/auth/validate');
		storage.setItem('theme', 'dark'); // not ours: left alone
		client.forgetKept();
		expect(storage.keptKeys()).toEqual([]);
		expect(storage.getItem('aiwfe.kept.index')).toBeNull();
		expect(storage.getItem('theme')).toBe('dark');
		state.down = true;
		await expect(client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 0 });
	});

	it('forgets everything when the session turns out to be signed out (401, refresh refused)', async () => {
		let signedOut = false;
		const { client, redirects, storage } = flaky((c) =>
			c.url.endsWith('csrf-token')
				? json(200, { csrf_token: 't' })
				: signedOut
					? json(401, { error: { code: 'unauthorized', message: 'Not signed in' } })
					: json(200, { ok: true })
		);
		await client.api('GET', '/api/v1/profile');
		await client.api('GET', '/api/v1/tasks');
		signedOut = true;
		await expect(client.api('GET', '/api/v1/tasks')).rejects.toMatchObject({ status: 401 });
		expect(redirects).toEqual(['/login']);
		expect(storage.keptKeys()).toEqual([]);
	});

	it('forgets also on a 401 that does not redirect (the session check), but not on a wrong password', async () => {
		let mode: 'ok' | 'badpw' | 'gone' = 'ok';
		const { client, redirects, storage } = flaky((c) => {
			if (c.url.endsWith('csrf-token')) return json(200, { csrf_token: 't' });
			if (mode === 'badpw' && c.url.endsWith('/jwt/login')) return json(401, { error: { code: 'invalid_credentials', message: 'no' } });
			if (mode === 'gone') return json(401, {});
			return json(200, { ok: true });
		});
		await client.api('GET', '/api/v1/auth/validate');
		mode = 'badpw';
		await expect(client.api('POST', '/api/v1/auth/jwt/login', { email: 'a', password: 'b' })).rejects.toMatchObject({ status: 401 });
		expect(storage.keptKeys()).toEqual(['/api/v1/auth/validate']);
		mode = 'gone';
		await expect(client.api('GET', '/api/v1/auth/validate', undefined, { redirectOn401: false })).rejects.toMatchObject({ status: 401 });
		expect(redirects).toEqual([]);
		expect(storage.keptKeys()).toEqual([]);
	});

	it('ignores a damaged entry or index, and keeps working when the storage itself throws', async () => {
		const storage = new FakeStorage();
		const { client, state } = flaky(okRoutes, storage);
		await client.api('GET', '/api/v1/profile');
		storage.setItem('aiwfe.kept:/api/v1/profile', '{not json');
		storage.setItem('aiwfe.kept.index', '"nope"');
		state.down = true;
		await expect(client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 0 });
		expect(storage.getItem('aiwfe.kept:/api/v1/profile')).toBeNull();

		const broken: KeptStorage = {
			length: 0,
			key: () => null,
			getItem: () => {
				throw new DOMException('denied', 'SecurityError');
			},
			setItem: () => {
				throw new DOMException('denied', 'SecurityError');
			},
			removeItem: () => {
				throw new DOMException('denied', 'SecurityError');
			}
		};
		const b = flaky(okRoutes, broken);
		await expect(b.client.api('GET', '/api/v1/profile')).resolves.toEqual({ path: '/api/v1/profile' });
		b.client.forgetKept();
		b.state.down = true;
		await expect(b.client.api('GET', '/api/v1/profile')).rejects.toMatchObject({ status: 0 });
	});

	it('probes /health and comes back online on any answer', async () => {
		const { client, state, calls } = flaky(() => json(503, { status: 'degraded' }));
		state.down = true;
		expect(await client.probe()).toBe(false);
		expect(state.offline).toEqual([true]);
		state.down = false;
		expect(await client.probe()).toBe(true);
		expect(state.offline).toEqual([true, false]);
		expect(calls.map((c) => c.url)).toEqual(['/health']);
	});
});

describe('KeptStore', () => {
	it('evicts the least recently used (reads count as use) at its entry cap', () => {
		const s = new FakeStorage();
		const k = new KeptStore(s, { maxEntries: 3 });
		k.put('a', 1, 1);
		k.put('b', 2, 2);
		k.put('c', 3, 3);
		expect(k.get('a')).toEqual({ body: 1, at: 1 });
		k.put('d', 4, 4);
		expect(k.keys()).toEqual(['c', 'a', 'd']);
		expect(k.get('b')).toBeNull();
		// Replacing an entry does not evict another.
		k.put('c', 33, 5);
		expect(k.keys()).toEqual(['a', 'd', 'c']);
		expect(k.get('c')).toEqual({ body: 33, at: 5 });
	});

	it.each([
		// [changed path, kept keys, keys left]
		['/api/v1/profile', ['/api/v1/profile', '/api/v1/profile/debug', '/api/v1/conversations'], ['/api/v1/conversations']],
		[
			'/api/v1/conversations/5',
			['/api/v1/conversations?q=', '/api/v1/conversations/5', '/api/v1/conversations/5/messages?page=2', '/api/v1/conversations/51', '/api/v1/chat-modes'],
			['/api/v1/conversations/51', '/api/v1/chat-modes']
		],
		['/api/v1/conversations', ['/api/v1/conversations?q=x', '/api/v1/conversations/7', '/api/v1/profile'], ['/api/v1/profile']],
		['/api/v1/profile/password', ['/api/v1/profile', '/api/v1/profiles'], ['/api/v1/profiles']]
	])('a change to %s forgets what it made stale', (path, keys, left) => {
		const k = new KeptStore(new FakeStorage());
		keys.forEach((key, i) => k.put(key, i, i));
		k.forgetChanged(path);
		expect(k.keys()).toEqual(left);
	});

	it('is an empty store without storage', () => {
		const k = new KeptStore(undefined);
		expect(k.put('a', 1, 1)).toBe(false);
		expect(k.get('a')).toBeNull();
		k.clear();
		expect(k.keys()).toEqual([]);
	});
});

describe('session: logout forgets the kept answers', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
		vi.resetModules();
	});

	it('clears sessionStorage after a logout the server accepted, not after one it refused', async () => {
		const storage = new FakeStorage();
		let refuse = true;
		vi.stubGlobal('sessionStorage', storage);
		vi.stubGlobal(
			'fetch',
			vi.fn(async (input: string, init?: RequestInit) => {
				if (input.endsWith('csrf-token')) return json(200, { csrf_token: 't' });
				if (init?.method === 'DELETE') return refuse ? json(500, { error: { code: 'internal', message: 'no' } }) : json(200, {});
				return json(200, { user: { id: 1, email: 'a@example.com', role: 'user' } });
			})
		);
		vi.resetModules();
		const { api } = await import('./api');
		const { logout, session } = await import('./session.svelte');
		await api('GET', '/api/v1/auth/validate');
		await api('GET', '/api/v1/conversations');
		expect(storage.keptKeys()).toHaveLength(2);
		await expect(logout()).rejects.toMatchObject({ status: 500 });
		expect(storage.keptKeys()).toHaveLength(2);
		refuse = false;
		await logout();
		expect(session.user).toBeNull();
		expect(storage.keptKeys()).toEqual([]);
	});
});

describe('session: a late answer does not undo a sign-in', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
		vi.resetModules();
	});

	it('keeps the person signed in when the first check answers "signed out" after the login', async () => {
		const user = { id: 1, email: 'a@example.com', role: 'user' };
		let answerSignedOut: () => void = () => {};
		vi.stubGlobal('sessionStorage', new FakeStorage());
		vi.stubGlobal('document', { cookie: '' });
		vi.stubGlobal('location', { pathname: '/login', search: '' });
		vi.stubGlobal(
			'fetch',
			vi.fn(async (input: string) => {
				if (!input.endsWith('/auth/session')) return json(500, { error: { code: 'unexpected', message: input } });
				// The page's first check: held until after the sign-in.
				await new Promise<void>((resolve) => (answerSignedOut = resolve));
				return json(200, { authenticated: false, refreshable: false });
			})
		);
		vi.resetModules();
		const { loadSession, signedIn, session } = await import('./session.svelte');
		const check = loadSession();
		await vi.waitFor(() => expect(fetch).toHaveBeenCalled());
		signedIn(user as never);
		answerSignedOut();
		await check;
		expect(session.user).toEqual(user);
		expect(session.ready).toBe(true);

		// A check asked after the sign-in still counts.
		const again = loadSession();
		await vi.waitFor(() => expect(vi.mocked(fetch).mock.calls.length).toBe(2));
		answerSignedOut();
		await again;
		expect(session.user).toBeNull();
		// Signed out with no refresh cookie: one request per check, no refresh, no CSRF token.
		expect(vi.mocked(fetch).mock.calls.map((c) => c[0])).toEqual(['/api/v1/auth/session', '/api/v1/auth/session']);
	});
});

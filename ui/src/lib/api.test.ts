import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, loginUrl, parseRetryAfter, safeNext, type ApiEnv } from './api';

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
	function token(payload: object): string {
		const b64 = (s: string) => btoa(s).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
		return `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify(payload))}.sig`;
	}

	it('arms a timer 5 minutes before exp, and refreshes when it fires', async () => {
		const now = 1_700_000_000_000;
		const timers: { fn: () => void; ms: number }[] = [];
		const { client, calls } = harness(
			(c) => (c.url.endsWith('csrf-token') ? json(200, { csrf_token: 't' }) : json(200, {})),
			{
				cookies: () => `theme=dark; access_token=${token({ exp: now / 1000 + 3600 })}`,
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

	it('two tabs never refresh with the same cookie at once: the second sees the first one\'s token', async () => {
		const now = 1_700_000_000_000;
		let jar = `access_token=${token({ exp: now / 1000 + 60 })}`;
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
			jar = `access_token=${token({ exp: now / 1000 + 3600, n: refreshes })}`;
			return json(200, {});
		};
		const env = { cookies: () => jar, now: () => now, withLock };
		const tabA = harness(routes, env).client;
		const tabB = harness(routes, env).client;
		const [a, b] = await Promise.all([tabA.refresh(), tabB.refresh()]);
		expect(a && b).toBe(true);
		expect(refreshes).toBe(1);
	});

	it('arms nothing without an access_token cookie', () => {
		const setTimeout = vi.fn();
		const { client } = harness(() => json(200, {}), { cookies: () => 'csrf_token=x', setTimeout });
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

// The one way the UI talks to the aiwfe API. Every server error is
// {"error":{"code","message","field"?}}; it arrives here as an ApiError.

import { accessExpiry, refreshDelayMs } from './expiry';
import { KeptStore, type KeptStorage } from './kept';
import { setOffline } from './connectivity.svelte';

export const CSRF_PATH = '/api/v1/auth/csrf-token';
export const REFRESH_PATH = '/api/v1/auth/refresh';

/** Endpoints whose 401 means "wrong credentials", not "session expired": no refresh, no redirect. */
const NO_REFRESH = new Set([
	'/api/v1/auth/jwt/login',
	'/api/v1/auth/login',
	'/api/v1/auth/2fa/challenge',
	'/api/v1/auth/2fa/challenge/webauthn/begin',
	'/api/v1/auth/webauthn/login/begin',
	'/api/v1/auth/webauthn/login/finish',
	'/api/v1/auth/register',
	'/api/v1/auth/logout',
	REFRESH_PATH,
	CSRF_PATH
]);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Answers never kept for offline use: one-time secrets of the session itself. */
const NEVER_KEEP = new Set([CSRF_PATH, REFRESH_PATH]);

/** Whether the answer to GET path is kept for offline use (path includes its query). */
export function keepable(path: string): boolean {
	if (!path.startsWith('/api/v1/')) return false;
	const bare = path.split(/[?#]/, 1)[0];
	return !NEVER_KEEP.has(bare);
}

export const NETWORK_MESSAGE = 'Cannot reach the server. Check your connection and try again.';
export const PAUSED_MESSAGE =
	'The server cannot be reached, so changes are paused while offline. Nothing was changed; try again once the server is back.';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly field?: string;
	/** Seconds to wait, from Retry-After on a 429. */
	readonly retryAfter?: number;

	constructor(
		status: number,
		code: string,
		message: string,
		extra: { field?: string; retryAfter?: number } = {}
	) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.field = extra.field;
		this.retryAfter = extra.retryAfter;
	}
}

export interface ApiOptions {
	/** Send the person to /login when the session cannot be renewed (default true). */
	redirectOn401?: boolean;
}

export interface ApiEnv {
	fetch: typeof fetch;
	/** The document's cookie string. */
	cookies: () => string;
	/** Where the person is now (pathname + search), to come back after login. */
	currentPath: () => string;
	redirect: (url: string) => void;
	now: () => number;
	setTimeout: (fn: () => void, ms: number) => unknown;
	clearTimeout: (handle: unknown) => void;
	/**
	 * Runs fn while holding a lock shared by every tab of this origin. The
	 * server revokes a whole session when a retired refresh token comes back,
	 * so two tabs must never refresh with the same cookie at once.
	 */
	withLock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
	/**
	 * Where the last good answer of each GET is kept for offline use (sessionStorage in the
	 * browser). Without it nothing is kept.
	 */
	storage?: KeptStorage | null;
	/** Told true when a request could not reach the server, false when the server answered. */
	onConnectivity?: (offline: boolean) => void;
}

/** `/login?next=<path>` for a person who must sign in while looking at `path`. */
export function loginUrl(path: string): string {
	if (path === '/' || path.startsWith('/login')) return '/login';
	return '/login?next=' + encodeURIComponent(path);
}

/** Where to go after login: only same-origin paths, never back to /login (no open redirect). */
export function safeNext(next: string | null | undefined): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
	if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login/')) return '/';
	return next;
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
	if (!value) return undefined;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed);
	const at = Date.parse(trimmed);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

async function readBody(res: Response): Promise<unknown> {
	const text = await res.text();
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

function toError(res: Response, body: unknown, nowMs: number): ApiError {
	const retryAfter = parseRetryAfter(res.headers.get('Retry-After'), nowMs);
	const e =
		body && typeof body === 'object' && 'error' in body
			? (body as { error: unknown }).error
			: undefined;
	if (e && typeof e === 'object') {
		const { code, message, field } = e as Record<string, unknown>;
		return new ApiError(
			res.status,
			typeof code === 'string' ? code : 'error',
			typeof message === 'string' && message ? message : `Request failed (${res.status})`,
			{ field: typeof field === 'string' ? field : undefined, retryAfter }
		);
	}
	const statusText = res.statusText ? ` ${res.statusText}` : '';
	return new ApiError(res.status, 'http_' + res.status, `The server answered ${res.status}${statusText}.`, {
		retryAfter
	});
}

export function createApi(env: ApiEnv) {
	let csrf: string | null = null;
	let csrfPending: Promise<string> | null = null;
	let refreshPending: Promise<boolean> | null = null;
	let timer: unknown = null;
	const kept = new KeptStore(env.storage);

	async function doFetch(input: string, init: RequestInit): Promise<Response> {
		let res: Response;
		try {
			res = await env.fetch(input, { ...init, credentials: 'same-origin' });
		} catch {
			env.onConnectivity?.(true);
			throw new ApiError(0, 'network', NETWORK_MESSAGE);
		}
		env.onConnectivity?.(false);
		return res;
	}

	function csrfToken(): Promise<string> {
		if (csrf) return Promise.resolve(csrf);
		csrfPending ??= (async () => {
			const res = await doFetch(CSRF_PATH, { method: 'GET', headers: { Accept: 'application/json' } });
			const body = await readBody(res);
			if (!res.ok) throw toError(res, body, env.now());
			const token = (body as { csrf_token?: unknown } | undefined)?.csrf_token;
			if (typeof token !== 'string' || !token) {
				throw new ApiError(res.status, 'bad_response', 'The server sent no CSRF token.');
			}
			csrf = token;
			return token;
		})().finally(() => {
			csrfPending = null;
		});
		return csrfPending;
	}

	/**
	 * One API request. A GET's good answer is kept; when the server cannot be reached, a GET
	 * answers what was kept before (the app is then offline, read-only) and anything else fails
	 * saying that changes are paused.
	 */
	async function api<T = unknown>(
		method: Method,
		path: string,
		body?: unknown,
		opts: ApiOptions = {}
	): Promise<T> {
		const keep = method === 'GET' && keepable(path);
		try {
			const data = await send<T>(method, path, body, opts);
			if (keep) kept.put(path, data, env.now());
			else if (!SAFE_METHODS.has(method)) kept.forgetChanged(path);
			return data;
		} catch (e) {
			if (!(e instanceof ApiError && e.status === 0 && e.code === 'network')) throw e;
			if (keep) {
				const hit = kept.get(path);
				if (hit) return hit.body as T;
			}
			if (!SAFE_METHODS.has(method)) throw new ApiError(0, 'network', PAUSED_MESSAGE);
			throw e;
		}
	}

	async function send<T>(method: Method, path: string, body: unknown, opts: ApiOptions): Promise<T> {
		const unsafe = !SAFE_METHODS.has(method);
		const renewable = !NO_REFRESH.has(path);
		let csrfRetried = false;
		let authRetried = false;

		for (;;) {
			const headers: Record<string, string> = { Accept: 'application/json' };
			if (body !== undefined) headers['Content-Type'] = 'application/json';
			if (unsafe) headers['X-CSRF-TOKEN'] = await csrfToken();

			const res = await doFetch(path, {
				method,
				headers,
				body: body === undefined ? undefined : JSON.stringify(body)
			});
			const data = await readBody(res);
			if (res.ok) return data as T;

			const err = toError(res, data, env.now());
			if (res.status === 403 && err.code === 'csrf_failed' && unsafe && !csrfRetried) {
				csrfRetried = true;
				csrf = null;
				continue;
			}
			if (res.status === 401 && renewable) {
				if (!authRetried) {
					authRetried = true;
					if (await refresh()) continue;
				}
				// Signed out: what was kept belongs to a session that is gone.
				kept.clear();
				if (opts.redirectOn401 !== false) env.redirect(loginUrl(env.currentPath()));
			}
			throw err;
		}
	}

	/** Renews the access token with the HttpOnly refresh cookie; concurrent callers share one request. */
	function refresh(): Promise<boolean> {
		const before = accessExpiry(env.cookies());
		const locked = env.withLock ?? ((_name, fn) => fn());
		refreshPending ??= locked('aiwfe-refresh', async () => {
			// Another tab may have refreshed while we waited for the lock:
			// its new session is already in the shared cookie jar.
			const exp = accessExpiry(env.cookies());
			if (exp !== null && exp !== before && exp * 1000 - env.now() > 60_000) return;
			await api('POST', REFRESH_PATH, undefined, { redirectOn401: false });
		})
			.then(
				() => {
					scheduleRefresh();
					return true;
				},
				() => false
			)
			.finally(() => {
				refreshPending = null;
			});
		return refreshPending;
	}

	/** Arms a timer to refresh a few minutes before the access token expires (access_expires). */
	function scheduleRefresh(): void {
		stopRefresh();
		const exp = accessExpiry(env.cookies());
		if (exp === null) return;
		timer = env.setTimeout(() => {
			timer = null;
			void refresh();
		}, refreshDelayMs(exp, env.now()));
	}

	function stopRefresh(): void {
		if (timer !== null) env.clearTimeout(timer);
		timer = null;
	}

	/** Forget the CSRF token (after logout, the next unsafe request fetches a fresh one). */
	function forgetCsrf(): void {
		csrf = null;
	}

	/** Forget every kept answer (logout, a lost session, another person signing in). */
	function forgetKept(): void {
		kept.clear();
	}

	/**
	 * Asks the server whether it is back (GET /health, public and cheap) while offline; any
	 * answer makes the app online again. True when it answered.
	 */
	async function probe(): Promise<boolean> {
		try {
			await doFetch('/health', { method: 'GET', headers: { Accept: 'application/json' }, cache: 'no-store' });
			return true;
		} catch {
			return false;
		}
	}

	return { api, refresh, scheduleRefresh, stopRefresh, forgetCsrf, forgetKept, probe, csrfToken };
}

/** sessionStorage when the page may use it (not in private modes that refuse it, not in node). */
function tabStorage(): KeptStorage | null {
	try {
		return typeof sessionStorage === 'undefined' ? null : sessionStorage;
	} catch {
		return null;
	}
}

// The client bound to the browser: pages import `api` (and friends) from here.
const browserClient = createApi({
	fetch: (input, init) => fetch(input, init),
	cookies: () => document.cookie,
	currentPath: () => location.pathname + location.search,
	// Loaded on use so unit tests can import this module outside SvelteKit.
	redirect: (url) => void import('$app/navigation').then(({ goto }) => goto(url, { replaceState: true })),
	now: () => Date.now(),
	setTimeout: (fn, ms) => setTimeout(fn, ms),
	clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
	withLock: (name, fn) =>
		(typeof navigator !== 'undefined' && navigator.locks ? navigator.locks.request(name, fn) : fn()) as ReturnType<typeof fn>,
	storage: tabStorage(),
	onConnectivity: (offline) => setOffline(offline)
});

export const { api, refresh, scheduleRefresh, stopRefresh, forgetCsrf, forgetKept, probe } = browserClient;
/** The CSRF token for a request `api()` cannot make (an upload through XMLHttpRequest, for its progress events). */
export const csrfToken = browserClient.csrfToken;

// Who is signed in, shared by the shell and the pages.
import { ApiError, api, forgetCsrf, forgetKept, scheduleRefresh, stopRefresh } from './api';
import type { User } from './types';

class Session {
	user = $state<User | null>(null);
	/** True once we know whether someone is signed in (or that the server could not say). */
	ready = $state(false);
	/** Why the server could not be asked, when it could not. */
	error = $state<string | null>(null);
}

export const session = new Session();

export async function loadSession(): Promise<void> {
	try {
		const r = await api<{ user: User }>('GET', '/api/v1/auth/validate', undefined, {
			redirectOn401: false
		});
		signedIn(r.user);
	} catch (e) {
		if (e instanceof ApiError && e.status === 401) {
			// Signed out: nothing kept for offline use may outlive the session.
			forgetKept();
			session.user = null;
			session.error = null;
		} else {
			session.error = e instanceof Error ? e.message : String(e);
		}
	} finally {
		session.ready = true;
	}
}

export function signedIn(user: User): void {
	session.user = user;
	session.error = null;
	session.ready = true;
	scheduleRefresh();
}

/** Ends the session on the server; throws (and stays signed in) if the server refused. */
export async function logout(): Promise<void> {
	try {
		await api('DELETE', '/api/v1/auth/logout', undefined, { redirectOn401: false });
	} catch (e) {
		// 401: the session was already gone, which is what we wanted.
		if (!(e instanceof ApiError && e.status === 401)) throw e;
	}
	session.user = null;
	stopRefresh();
	forgetCsrf();
	forgetKept();
}

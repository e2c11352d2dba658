// Who is signed in, shared by the shell and the pages.
import { ApiError, api, forgetCsrf, forgetKept, refresh, scheduleRefresh, stopRefresh } from './api';
import { SESSION_PATH, probeSession, type SessionState } from './sessionprobe';
import type { User } from './types';

class Session {
	user = $state<User | null>(null);
	/** True once we know whether someone is signed in (or that the server could not say). */
	ready = $state(false);
	/** Why the server could not be asked, when it could not. */
	error = $state<string | null>(null);
}

export const session = new Session();

// Bumped whenever someone signs in or out. A session check answers for the moment it was asked:
// the page's first check (no cookie yet, so signed out) can still be on its way when the person signs
// in on the login page, and its late "signed out" must not undo the sign-in.
let epoch = 0;

export async function loadSession(): Promise<void> {
	const asked = epoch;
	try {
		const user = await probeSession(
			() => api<SessionState>('GET', SESSION_PATH, undefined, { redirectOn401: false }),
			refresh
		);
		if (asked !== epoch) return;
		if (user) {
			signedIn(user);
		} else {
			// Signed out: nothing kept for offline use may outlive the session.
			forgetKept();
			session.user = null;
			session.error = null;
		}
	} catch (e) {
		if (asked !== epoch) return;
		session.error = e instanceof Error ? e.message : String(e);
	} finally {
		session.ready = true;
	}
}

export function signedIn(user: User): void {
	epoch++;
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
	signedOut();
}

/** Forgets the session here: the user, the refresh timer, the CSRF token and the kept answers. */
export function signedOut(): void {
	epoch++;
	session.user = null;
	stopRefresh();
	forgetCsrf();
	forgetKept();
}

// The page's one session question. GET /api/v1/auth/session answers 200 signed in or out, so a
// signed-out visit logs no failed request; the refresh (HttpOnly cookie, invisible to the page) is
// tried only when the server saw a refresh cookie.
import type { User } from './types';

export const SESSION_PATH = '/api/v1/auth/session';

export interface SessionState {
	authenticated: boolean;
	user?: User;
	/** Signed out, but a refresh cookie came along: /auth/refresh may renew the session. */
	refreshable?: boolean;
}

/** Who is signed in (null: nobody). `ask` reads the session, `renew` refreshes it (true: renewed). */
export async function probeSession(
	ask: () => Promise<SessionState>,
	renew: () => Promise<boolean>
): Promise<User | null> {
	let s = await ask();
	if (!s.authenticated && s.refreshable && (await renew())) s = await ask();
	return s.authenticated && s.user ? s.user : null;
}

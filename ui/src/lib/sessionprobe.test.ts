import { describe, expect, it } from 'vitest';
import { probeSession, type SessionState } from './sessionprobe';
import type { User } from './types';

const ada = { id: 1, email: 'ada@example.com', role: 'user' } as unknown as User;

/** A fake server: answers in turn, counting the refreshes. */
function fake(answers: SessionState[], renewed: boolean) {
	const calls = { ask: 0, renew: 0 };
	return {
		calls,
		ask: async () => answers[Math.min(calls.ask++, answers.length - 1)],
		renew: async () => {
			calls.renew++;
			return renewed;
		}
	};
}

describe('probeSession', () => {
	it.each([
		{ name: 'signed in', answers: [{ authenticated: true, user: ada }], renewed: false, want: ada, asks: 1, renews: 0 },
		{ name: 'signed out, no refresh cookie: one request, no refresh', answers: [{ authenticated: false, refreshable: false }], renewed: true, want: null, asks: 1, renews: 0 },
		{ name: 'access expired, refresh works', answers: [{ authenticated: false, refreshable: true }, { authenticated: true, user: ada }], renewed: true, want: ada, asks: 2, renews: 1 },
		{ name: 'refresh refused', answers: [{ authenticated: false, refreshable: true }], renewed: false, want: null, asks: 1, renews: 1 },
		{ name: 'authenticated without a user is nobody', answers: [{ authenticated: true }], renewed: false, want: null, asks: 1, renews: 0 }
	] as const)('$name', async ({ answers, renewed, want, asks, renews }) => {
		const f = fake([...answers] as SessionState[], renewed);
		expect(await probeSession(f.ask, f.renew)).toEqual(want);
		expect(f.calls).toEqual({ ask: asks, renew: renews });
	});
});

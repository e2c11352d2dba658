import type { PullState } from './types';

/** Merges one pull event into the list (one entry per model, newest state wins). */
export function mergePull(list: PullState[], ev: PullState): PullState[] {
	const i = list.findIndex((p) => p.model === ev.model);
	if (i < 0) return [...list, ev];
	const next = list.slice();
	next[i] = { ...list[i], ...ev };
	return next;
}

/** 0–100 for the progress bar, or null when the size is not known yet. */
export function pullPercent(p: PullState): number | null {
	if (p.status === 'success') return 100;
	if (typeof p.percent === 'number' && p.percent > 0) return Math.min(100, p.percent);
	if (p.total && p.completed !== undefined) return Math.min(100, (p.completed / p.total) * 100);
	return null;
}

/**
 * Merges a state read over REST (the POST /ollama/pull answer, GET /ollama/pulls). Progress
 * events of the same pull may have arrived before it did: they are newer and win.
 */
export function mergePullSnapshot(list: PullState[], st: PullState): PullState[] {
	const cur = list.find((p) => p.model === st.model);
	// Same pull: only a finished state moves it on (a REST list read after events were missed).
	if (cur && cur.started_at && cur.started_at === st.started_at && !(st.done && !cur.done)) return list;
	return mergePull(list, st);
}

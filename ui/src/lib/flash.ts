// A one-time notice carried across a client-side navigation, e.g. "your
// account was deleted" shown by /login. Taken once; a reload forgets it.

export type FlashTone = 'success' | 'info' | 'warning' | 'error';

export interface Flash {
	tone: FlashTone;
	message: string;
}

let pending: Flash | null = null;

export function setFlash(f: Flash): void {
	pending = f;
}

/** The pending notice, if any; it is cleared so it shows only once. */
export function takeFlash(): Flash | null {
	const f = pending;
	pending = null;
	return f;
}

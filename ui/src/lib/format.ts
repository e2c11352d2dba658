const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string | null | undefined): string {
	if (!iso) return '—';
	const d = new Date(iso);
	return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function errorMessage(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

export interface Strength {
	/** 0 (unusable) to 4 (strong). */
	score: 0 | 1 | 2 | 3 | 4;
	label: string;
	hint: string;
}

export const MIN_PASSWORD = 10;

/** A rough guide for the person typing; the server decides what it accepts. */
export function passwordStrength(pw: string): Strength {
	if (pw.length === 0) return { score: 0, label: '', hint: `At least ${MIN_PASSWORD} characters.` };
	if (pw.length < MIN_PASSWORD) {
		const left = MIN_PASSWORD - pw.length;
		return { score: 0, label: 'Too short', hint: `${left} more character${left === 1 ? '' : 's'} needed.` };
	}
	const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
	const repetitive = /^(.)\1+$/.test(pw) || /^(?:0123456789|1234567890|abcdefghij|qwertyuiop)/i.test(pw);
	if (repetitive) return { score: 1, label: 'Weak', hint: 'Avoid repeated or sequential characters.' };
	let score = 1;
	if (pw.length >= 14) score++;
	if (pw.length >= 18) score++;
	if (classes >= 3) score++;
	const s = Math.min(4, score) as Strength['score'];
	const labels = ['', 'Weak', 'Fair', 'Good', 'Strong'];
	const hint =
		s >= 4 ? 'Great.' : 'Longer is stronger: a few unrelated words make a good password.';
	return { score: s, label: labels[s], hint };
}

/** The chat composer's placeholder: the keyboard hint only where there is a keyboard to press. */
export function composerPlaceholder(touch: boolean): string {
	return touch ? 'Message' : 'Message (Enter to send, Shift+Enter for a new line)';
}

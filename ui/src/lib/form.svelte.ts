// Per-form request state: busy, the server's error (with the field it names), a success note.
import { ApiError } from './api';

export interface FieldError {
	message: string;
	field?: string;
	code?: string;
}

export function toFieldError(e: unknown): FieldError {
	if (e instanceof ApiError) {
		const wait =
			e.status === 429 && e.retryAfter !== undefined ? ` Try again in ${e.retryAfter} s.` : '';
		return { message: e.message + wait, field: e.field, code: e.code };
	}
	return { message: e instanceof Error ? e.message : String(e) };
}

export class Submitter {
	busy = $state(false);
	error = $state<FieldError | null>(null);
	success = $state<string | null>(null);

	/** Runs one request; `fn` may return the success note to show. */
	async run(fn: () => Promise<string | void>): Promise<boolean> {
		this.busy = true;
		this.error = null;
		this.success = null;
		try {
			this.success = (await fn()) || 'Saved.';
			return true;
		} catch (e) {
			this.error = toFieldError(e);
			return false;
		} finally {
			this.busy = false;
		}
	}

	invalid(field: string): true | undefined {
		return this.error?.field === field || undefined;
	}
}

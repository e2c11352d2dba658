// Requests the JSON client cannot make: an .ics import is sent as the file's own text/calendar
// body (the API's other form, besides multipart), with the API client's CSRF token and refresh.
import { ApiError, csrfToken, forgetCsrf, NETWORK_MESSAGE, refresh } from '$lib/api';
import { uploadError } from '$lib/documents/send';
import type { ImportResult } from './types';

export async function importICS(calendarId: number, file: File): Promise<ImportResult> {
	let csrfRetried = false;
	let authRetried = false;
	for (;;) {
		let res: Response;
		try {
			res = await fetch(`/api/v1/calendar/import?calendar_id=${encodeURIComponent(String(calendarId))}`, {
				method: 'POST',
				credentials: 'same-origin',
				headers: { Accept: 'application/json', 'Content-Type': 'text/calendar', 'X-CSRF-TOKEN': await csrfToken() },
				body: file
			});
		} catch {
			throw new ApiError(0, 'network', NETWORK_MESSAGE);
		}
		let body: unknown;
		try {
			body = await res.json();
		} catch {
			body = undefined;
		}
		if (res.ok) return body as ImportResult;
		const err = uploadError(res.status, body);
		if (res.status === 403 && err.code === 'csrf_failed' && !csrfRetried) {
			csrfRetried = true;
			forgetCsrf();
			continue;
		}
		if (res.status === 401 && !authRetried) {
			authRetried = true;
			if (await refresh()) continue;
		}
		throw err;
	}
}

/** The download address of a calendar's ICS, whole or for a range (dates, end exclusive). */
export function exportURL(calendarId: number, from?: string, to?: string): string {
	const base = `/api/v1/calendar/calendars/${encodeURIComponent(String(calendarId))}/export.ics`;
	if (!from || !to) return base;
	return `${base}?${new URLSearchParams({ from, to })}`;
}

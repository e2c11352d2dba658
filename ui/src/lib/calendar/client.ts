// Requests the JSON client cannot make: an .ics import is sent as the file's own text/calendar
// body (the API's other form, besides multipart), with the API client's CSRF token and refresh.
import { sendUpload } from '$lib/documents/send';
import type { ImportResult } from './types';

export async function importICS(calendarId: number, file: File): Promise<ImportResult> {
	const res = await sendUpload(async (token) => {
		try {
			const r = await fetch(`/api/v1/calendar/import?calendar_id=${encodeURIComponent(String(calendarId))}`, {
				method: 'POST',
				credentials: 'same-origin',
				headers: { Accept: 'application/json', 'Content-Type': 'text/calendar', 'X-CSRF-TOKEN': token },
				body: file
			});
			return { status: r.status, body: await r.json().catch(() => undefined) };
		} catch {
			return { status: 0, body: undefined };
		}
	});
	return res.body as ImportResult;
}

/** The download address of a calendar's ICS, whole or for a range (dates, end exclusive). */
export function exportURL(calendarId: number, from?: string, to?: string): string {
	const base = `/api/v1/calendar/calendars/${encodeURIComponent(String(calendarId))}/export.ics`;
	if (!from || !to) return base;
	return `${base}?${new URLSearchParams({ from, to })}`;
}

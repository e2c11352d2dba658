// Data rights on /profile: the JSON archive of everything of the user
// (GET /api/v1/profile/export) and the account deletion's confirmation word.

/** What the person types to confirm deleting their account (the server checks it too). */
export const CONFIRM_DELETE = 'DELETE';

/**
 * The archive's file name, as the server's Content-Disposition names it:
 * aiwfe-export-<email>-<yyyy-mm-dd>.json, unusual characters replaced.
 */
export function exportFilename(email: string, exportedAt: string | Date): string {
	const d = new Date(exportedAt);
	const day = Number.isNaN(d.getTime()) ? new Date().toISOString().slice(0, 10) : d.toISOString().slice(0, 10);
	const safe = [...email].map((c) => (/[A-Za-z0-9@._+-]/.test(c) ? c : '_')).join('');
	return `aiwfe-export-${safe}-${day}.json`;
}

/** Saves data as a JSON file through a temporary link. */
export function saveJSON(filename: string, data: unknown): void {
	const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
	const a = document.createElement('a');
	a.href = url;
	a.download = filename;
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

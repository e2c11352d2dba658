// One file's upload through XMLHttpRequest: fetch() has no upload progress events. The CSRF
// token and the silent token refresh are the API client's, as for every other change.
import { ApiError, csrfToken, forgetCsrf, NETWORK_MESSAGE, refresh } from '$lib/api';
import { sentence } from './progress';
import type { Doc } from './types';

function post(file: File, collection: string, token: string, onProgress: (loaded: number, total: number) => void) {
	return new Promise<{ status: number; body: unknown }>((resolve) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', '/api/v1/documents');
		xhr.setRequestHeader('Accept', 'application/json');
		xhr.setRequestHeader('X-CSRF-TOKEN', token);
		xhr.withCredentials = true;
		xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
		xhr.onload = () => {
			let body: unknown = undefined;
			try {
				body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
			} catch {
				body = undefined;
			}
			resolve({ status: xhr.status, body });
		};
		xhr.onerror = xhr.onabort = xhr.ontimeout = () => resolve({ status: 0, body: undefined });
		const form = new FormData();
		if (collection) form.append('collection', collection);
		form.append('file', file, file.name);
		xhr.send(form);
	});
}

/** The server's refusal as a sentence for the file's card. */
export function uploadError(status: number, body: unknown): ApiError {
	const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
	const code = e && typeof e.code === 'string' ? e.code : 'http_' + status;
	// The server's 413 speaks of the request body; the person sent a file.
	if (status === 413) return new ApiError(status, code, 'The file is larger than this server accepts for an upload.');
	if (e && typeof e.message === 'string' && e.message) return new ApiError(status, code, sentence(e.message));
	return new ApiError(status, code, `The upload failed: the server answered ${status}.`);
}

/**
 * Sends an upload made by `send` (given the CSRF token) with the API client's retries: a fresh
 * CSRF token once, a token refresh once. Resolves to the 2xx answer's body, or throws the
 * server's refusal as an ApiError.
 */
export async function sendUpload(send: (csrf: string) => Promise<{ status: number; body: unknown }>): Promise<{ status: number; body: unknown }> {
	let csrfRetried = false;
	let authRetried = false;
	for (;;) {
		const res = await send(await csrfToken());
		if (res.status === 0) throw new ApiError(0, 'network', NETWORK_MESSAGE);
		if (res.status >= 200 && res.status < 300) return res;
		const err = uploadError(res.status, res.body);
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

/** Uploads one file; resolves to the document the server created, or throws an ApiError. */
export async function uploadFile(
	file: File,
	collection: string,
	onProgress: (loaded: number, total: number) => void
): Promise<Doc> {
	const res = await sendUpload((token) => post(file, collection, token, onProgress));
	const doc = (res.body as { items?: Doc[] } | undefined)?.items?.[0];
	if (!doc) throw new ApiError(res.status, 'bad_response', 'The server did not say which document it created.');
	return doc;
}

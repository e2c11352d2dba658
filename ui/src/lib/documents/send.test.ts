import { describe, expect, it } from 'vitest';
import { uploadError } from './send';

describe('uploadError', () => {
	it.each([
		// Both of the server's 413s ("request body is too large", "a file is larger than the
		// upload limit") speak of the file.
		{ status: 413, body: { error: { code: 'payload_too_large', message: 'request body is too large' } }, want: 'The file is larger than this server accepts for an upload.' },
		{ status: 413, body: undefined, want: 'The file is larger than this server accepts for an upload.' },
		{ status: 400, body: { error: { code: 'validation_failed', message: 'a file field must carry a file name' } }, want: 'A file field must carry a file name.' },
		{ status: 415, body: { error: { code: 'unsupported_media_type', message: 'Send multipart/form-data.' } }, want: 'Send multipart/form-data.' },
		{ status: 502, body: '<html>bad gateway</html>', want: 'The upload failed: the server answered 502.' }
	])('$status $want', ({ status, body, want }) => {
		const e = uploadError(status, body);
		expect(e.message).toBe(want);
		expect(e.status).toBe(status);
	});
});

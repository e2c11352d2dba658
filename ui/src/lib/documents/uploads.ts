// The upload queue: files dropped or picked are sent one request each (so each has its own
// upload bar), a few at a time; a failed send keeps the file for a retry.

export type UploadPhase = 'waiting' | 'uploading' | 'sent' | 'error';

export interface UploadItem<F = File> {
	key: number;
	file: F;
	name: string;
	size: number;
	collection: string;
	phase: UploadPhase;
	loaded: number;
	total: number;
	error: string | null;
	/** The document the server created, once sent. */
	docId: number | null;
}

/** How many uploads run at once: enough to keep the link busy, few enough for a small server. */
export const PARALLEL_UPLOADS = 2;

export function enqueue<F extends { name: string; size: number }>(
	items: UploadItem<F>[],
	files: Iterable<F>,
	collection: string,
	firstKey: number
): UploadItem<F>[] {
	const out = items.slice();
	let key = firstKey;
	for (const file of files) {
		out.push({
			key: key++,
			file,
			name: file.name,
			size: file.size,
			collection,
			phase: 'waiting',
			loaded: 0,
			total: file.size,
			error: null,
			docId: null
		});
	}
	return out;
}

/** The waiting items to start now, oldest first, keeping at most `parallel` uploading. */
export function toStart<F>(items: UploadItem<F>[], parallel = PARALLEL_UPLOADS): UploadItem<F>[] {
	const running = items.filter((i) => i.phase === 'uploading').length;
	return items.filter((i) => i.phase === 'waiting').slice(0, Math.max(parallel - running, 0));
}

function update<F>(items: UploadItem<F>[], key: number, f: (i: UploadItem<F>) => UploadItem<F>): UploadItem<F>[] {
	return items.map((i) => (i.key === key ? f(i) : i));
}

export function started<F>(items: UploadItem<F>[], key: number): UploadItem<F>[] {
	return update(items, key, (i) => ({ ...i, phase: 'uploading', loaded: 0, error: null }));
}

/** An upload progress event; `total` is the request's size (the file and the form framing). */
export function progressed<F>(items: UploadItem<F>[], key: number, loaded: number, total: number): UploadItem<F>[] {
	return update(items, key, (i) =>
		i.phase === 'uploading' ? { ...i, loaded: Math.min(loaded, total || loaded), total: total || i.total } : i
	);
}

export function sent<F>(items: UploadItem<F>[], key: number, docId: number): UploadItem<F>[] {
	return update(items, key, (i) => ({ ...i, phase: 'sent', loaded: i.total, docId, error: null }));
}

export function failed<F>(items: UploadItem<F>[], key: number, message: string): UploadItem<F>[] {
	return update(items, key, (i) => ({ ...i, phase: 'error', error: message }));
}

/** Puts a failed upload back in the queue. */
export function requeue<F>(items: UploadItem<F>[], key: number): UploadItem<F>[] {
	return update(items, key, (i) => (i.phase === 'error' ? { ...i, phase: 'waiting', loaded: 0, error: null } : i));
}

export function dismiss<F>(items: UploadItem<F>[], key: number): UploadItem<F>[] {
	return items.filter((i) => i.key !== key);
}

/** The upload bar's value, 0–100. */
export function uploadPercent(i: Pick<UploadItem<unknown>, 'phase' | 'loaded' | 'total'>): number {
	if (i.phase === 'sent') return 100;
	if (i.phase !== 'uploading' || i.total <= 0) return 0;
	return Math.min(100, Math.round((100 * i.loaded) / i.total));
}

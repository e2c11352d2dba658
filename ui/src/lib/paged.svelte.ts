// A paginated list from the API ({items, page, per_page, total}).
import { api } from './api';
import { toFieldError } from './form.svelte';
import type { Page } from './types';

export class Paged<T> {
	items = $state<T[]>([]);
	page = $state(1);
	total = $state(0);
	loading = $state(false);
	loaded = $state(false);
	error = $state<string | null>(null);
	readonly perPage: number;
	#path: () => string;
	#seq = 0;

	/** `path` gives the endpoint with its filters; page and per_page are appended. */
	constructor(path: () => string, perPage = 20) {
		this.#path = path;
		this.perPage = perPage;
	}

	async load(page = this.page): Promise<void> {
		const seq = ++this.#seq;
		this.loading = true;
		const base = this.#path();
		const sep = base.includes('?') ? '&' : '?';
		try {
			const r = await api<Page<T>>('GET', `${base}${sep}page=${page}&per_page=${this.perPage}`);
			if (seq !== this.#seq) return; // a newer request (another page or filter) won
			this.items = r.items ?? [];
			this.total = r.total ?? this.items.length;
			this.page = r.page ?? page;
			this.error = null;
			this.loaded = true;
		} catch (e) {
			if (seq === this.#seq) this.error = toFieldError(e).message;
		} finally {
			if (seq === this.#seq) this.loading = false;
		}
	}
}

// App passwords for CalDAV (the Security page): what the API answers and how the page orders them.

export interface AppPassword {
	id: number;
	name: string;
	scope: 'dav';
	created_at: string;
	last_used_at: string | null;
	last_used_ip: string;
	revoked_at: string | null;
}

/** A just-created app password: the secret is in `password`, shown this once. */
export interface NewAppPassword extends AppPassword {
	password: string;
}

/** Active ones first, newest first within each group: the list is mostly read to find one to revoke. */
export function activeFirst(items: readonly AppPassword[]): AppPassword[] {
	return [...items].sort((a, b) => {
		if (!a.revoked_at !== !b.revoked_at) return a.revoked_at ? 1 : -1;
		return b.id - a.id;
	});
}

/** The CalDAV server address a calendar app asks for. */
export function davURL(origin: string): string {
	return origin.replace(/\/+$/, '') + '/dav/';
}

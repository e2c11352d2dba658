// Whether the API answers. The client (api.ts) sets it: a request that cannot reach the server
// makes the app offline, any answer from the server (ok or not) makes it online again. While
// offline, pages show the answers kept from before (kept.ts) and changes are paused.

class Connectivity {
	offline = $state(false);
	/** When the server stopped answering; null while online. */
	since = $state<Date | null>(null);
}

export const connectivity = new Connectivity();

export function setOffline(offline: boolean, now: Date = new Date()): void {
	if (connectivity.offline === offline) return;
	connectivity.offline = offline;
	connectivity.since = offline ? now : null;
}

/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/// <reference types="@sveltejs/kit" />
// Caches the app shell so the UI opens without the network. API answers are not cached here:
// they are per-person, and this cache is shared by every tab and outlives logout. The page keeps
// the last good answer of each GET in the tab's sessionStorage instead (src/lib/kept.ts, used by
// src/lib/api.ts): per tab, gone when it closes, cleared on logout, and shown only while the
// server is unreachable, under an "Offline" banner, with changes paused.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;

// `version` is the package version plus a digest of the sources (svelte.config.js): a new build
// gets a new cache, and the old one is dropped on activation.
const ASSETS = [...build, ...files];
const CACHE = `aiwfe-shell-${version}`;
const SHELL = '/';

async function precache(): Promise<void> {
	const cache = await caches.open(CACHE);
	await cache.addAll(ASSETS);
	// The shell page, and what it loads that the bundler's list does not name (its boot script).
	const res = await fetch(SHELL, { cache: 'no-cache' });
	if (!res.ok) throw new Error(`shell answered ${res.status}`);
	const html = await res.clone().text();
	await cache.put(SHELL, res);
	const extra = [...html.matchAll(/(?:src|href)="(\/_app\/[^"]+)"/g)].map((m) => m[1]);
	await cache.addAll(extra.filter((u) => !ASSETS.includes(u)));
}

sw.addEventListener('install', (event) => {
	event.waitUntil(precache().then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const key of await caches.keys()) {
				if (key !== CACHE && key.startsWith('aiwfe-shell-')) await caches.delete(key);
			}
			await sw.clients.claim();
		})()
	);
});

sw.addEventListener('fetch', (event) => {
	const req = event.request;
	if (req.method !== 'GET') return;
	const url = new URL(req.url);
	if (url.origin !== sw.location.origin) return;
	if (url.pathname.startsWith('/api/') || url.pathname === '/health') return;

	if (req.mode === 'navigate') {
		// Network first so a deploy shows at once; the cached shell when offline.
		event.respondWith(
			fetch(req).catch(async () => (await caches.match(SHELL, { cacheName: CACHE })) ?? Response.error())
		);
		return;
	}

	if (ASSETS.includes(url.pathname) || url.pathname.startsWith('/_app/immutable/')) {
		// Hashed or listed files never change under the same name: cache first.
		event.respondWith(
			(async () => {
				const hit = await caches.match(req, { cacheName: CACHE });
				if (hit) return hit;
				const res = await fetch(req);
				if (res.ok && url.pathname.startsWith('/_app/immutable/')) {
					const cache = await caches.open(CACHE);
					await cache.put(req, res.clone());
				}
				return res;
			})()
		);
	}
});

import adapter from '@sveltejs/adapter-static';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * A digest of everything the build is made from. The build must be byte-identical from the same
 * source (never a timestamp), yet the service worker's cache must change whenever any source
 * file does, so the version is the package version plus this digest.
 */
function sourceDigest() {
	// Tool folders that may appear in a working tree (node_modules, .svelte-kit, editors' dot
	// folders) are git-ignored and not sources: a clean clone has none, and counting them would
	// make a local build differ from the committed one.
	/** @param {string} dir @returns {string[]} */
	const walk = (dir) =>
		readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
			if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
			return e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)];
		});
	const inputs = [
		...walk(join(root, 'src')),
		...walk(join(root, 'static')),
		...['package-lock.json', 'svelte.config.js', 'vite.config.ts', 'scripts/externalize-inline-scripts.js'].map((f) => join(root, f))
	]
		.map((f) => relative(root, f).split('\\').join('/'))
		.filter((f) => !/\.test\.[jt]s$/.test(f)) // tests do not change what ships
		.sort();
	const h = createHash('sha256');
	for (const f of inputs) h.update(f + '\0').update(readFileSync(join(root, f))).update('\0');
	return h.digest('hex').slice(0, 12);
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
	kit: {
		// Pure SPA: the Go binary serves build/index.html for every path it does not know.
		adapter: adapter({
			pages: 'build',
			assets: 'build',
			fallback: 'index.html',
			precompress: false,
			strict: true
		}),
		// Absolute /_app/... URLs, so the fallback page works at any depth (/admin/users/...).
		paths: { relative: false },
				version: { name: `${pkg.version}-${sourceDigest()}` },
		// The inline bootstrap <script> SvelteKit writes is moved to an external file by
		// scripts/externalize-inline-scripts.js, so the page runs under `script-src 'self'`.
		serviceWorker: { register: true }
	}
};

export default config;

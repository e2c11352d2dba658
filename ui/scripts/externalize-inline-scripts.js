// Moves every inline <script> in the built HTML into an external, content-hashed file, so the
// app runs under the server's `Content-Security-Policy: script-src 'self'` (no hashes, no
// nonces, no 'unsafe-inline'). SvelteKit's bootstrap script reads document.currentScript, which
// works the same for a classic (non-module) external script, so it is loaded as one.
//
// Usage: node scripts/externalize-inline-scripts.js [build-dir]   (default: build)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SCRIPT = /<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi;
/** Where the moved scripts go, as a URL path under the build directory. */
export const BOOT_DIR = '/_app/immutable/boot';

/** @param {string} attrs */
function executable(attrs) {
	const type = /\stype\s*=\s*["']?([^"'\s>]+)/i.exec(attrs)?.[1]?.toLowerCase();
	return !type || type === 'text/javascript' || type === 'application/javascript' || type === 'module';
}

/**
 * Rewrites one HTML document. Returns the new HTML and the files to write (URL path → code).
 * Throws when something the CSP would block is left (an inline script or event handler).
 * @param {string} html
 * @returns {{ html: string, files: Map<string, string> }}
 */
export function externalize(html) {
	/** @type {Map<string, string>} */
	const files = new Map();
	const out = html.replace(SCRIPT, (whole, attrs = '', body) => {
		if (/\ssrc\s*=/i.test(attrs) || !executable(attrs) || !body.trim()) return whole;
		const code = body.replace(/^\n|\s+$/g, '') + '\n';
		const src = `${BOOT_DIR}/${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`;
		files.set(src, code);
		const isModule = /\stype\s*=\s*["']?module/i.test(attrs);
		return `<script${isModule ? ' type="module"' : ''} src="${src}"></script>`;
	});
	for (const m of out.matchAll(SCRIPT)) {
		if (!/\ssrc\s*=/i.test(m[1] ?? '') && executable(m[1] ?? '') && m[2].trim()) {
			throw new Error('an inline script is left');
		}
	}
	if (/<[^>]+\son[a-z]+\s*=/i.test(out)) throw new Error('an inline event handler is left');
	return { html: out, files };
}

/** @param {string} d @returns {string[]} */
function htmlFiles(d) {
	return readdirSync(d, { withFileTypes: true })
		.flatMap((e) =>
			e.isDirectory() ? htmlFiles(join(d, e.name)) : e.name.endsWith('.html') ? [join(d, e.name)] : []
		)
		.sort();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const dir = process.argv[2] ?? 'build';
	let moved = 0;
	for (const file of htmlFiles(dir)) {
		const before = readFileSync(file, 'utf8');
		let result;
		try {
			result = externalize(before);
		} catch (e) {
			throw new Error(`${file}: ${e instanceof Error ? e.message : e}`);
		}
		for (const [src, code] of result.files) {
			mkdirSync(join(dir, BOOT_DIR), { recursive: true });
			writeFileSync(join(dir, src), code);
			moved++;
		}
		if (result.html !== before) writeFileSync(file, result.html);
	}
	console.log(`externalize-inline-scripts: moved ${moved} inline script(s) out of ${dir}`);
}

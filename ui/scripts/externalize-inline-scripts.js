// Moves every inline <script> in the built HTML into an external, content-hashed file, so the
// app runs under the server's `Content-Security-Policy: script-src 'self'` (no hashes, no
// nonces, no 'unsafe-inline'). SvelteKit's bootstrap script reads document.currentScript, which
// works the same for a classic (non-module) external script, so it is loaded as one.
//
// Usage: node scripts/externalize-inline-scripts.js [build-dir]   (default: build)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.argv[2] ?? 'build';
const outDir = join(dir, '_app', 'immutable', 'boot');
const SCRIPT = /<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi;

function htmlFiles(d) {
	return readdirSync(d, { withFileTypes: true })
		.flatMap((e) => (e.isDirectory() ? htmlFiles(join(d, e.name)) : e.name.endsWith('.html') ? [join(d, e.name)] : []))
		.sort();
}

function executable(attrs) {
	const type = /\stype\s*=\s*["']?([^"'\s>]+)/i.exec(attrs)?.[1]?.toLowerCase();
	return !type || type === 'text/javascript' || type === 'application/javascript' || type === 'module';
}

let moved = 0;
for (const file of htmlFiles(dir)) {
	const html = readFileSync(file, 'utf8');
	const out = html.replace(SCRIPT, (whole, attrs = '', body) => {
		if (/\ssrc\s*=/i.test(attrs) || !executable(attrs) || !body.trim()) return whole;
		const code = body.replace(/^\n|\s+$/g, '') + '\n';
		const name = createHash('sha256').update(code).digest('hex').slice(0, 16) + '.js';
		mkdirSync(outDir, { recursive: true });
		writeFileSync(join(outDir, name), code);
		moved++;
		const src = '/' + relative(dir, join(outDir, name)).split('\\').join('/');
		const isModule = /\stype\s*=\s*["']?module/i.test(attrs);
		return `<script${isModule ? ' type="module"' : ''} src="${src}"></script>`;
	});
	// Anything the CSP would still block is a build error, not a runtime surprise.
	for (const m of out.matchAll(SCRIPT)) {
		if (!/\ssrc\s*=/i.test(m[1] ?? '') && executable(m[1] ?? '') && m[2].trim()) {
			throw new Error(`${file}: an inline script is left`);
		}
	}
	if (/<[^>]+\son[a-z]+\s*=/i.test(out)) throw new Error(`${file}: an inline event handler is left`);
	if (out !== html) writeFileSync(file, out);
}
console.log(`externalize-inline-scripts: moved ${moved} inline script(s) out of ${dir}`);

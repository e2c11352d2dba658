// Serves ui/build the way the Go binary does: index.html for unknown paths, immutable caching
// for /_app/immutable/*, and the production Content-Security-Policy, so a build can be checked
// in a browser without Go. /api/* and /health are proxied to AIWFE_API when it is set.
//
// Usage: node scripts/serve-build.js [port]    (AIWFE_API=http://127.0.0.1:8080 to proxy)
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../build', import.meta.url));
const port = Number(process.argv[2] ?? 4173);
const api = process.env.AIWFE_API;

export const CSP =
	"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'";

const types = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.webmanifest': 'application/manifest+json'
};

function file(path) {
	const full = normalize(join(root, decodeURIComponent(path)));
	if (!full.startsWith(root)) return null;
	try {
		return statSync(full).isFile() ? full : null;
	} catch {
		return null;
	}
}

createServer((req, res) => {
	const url = new URL(req.url ?? '/', 'http://x');
	if (url.pathname.startsWith('/api/') || url.pathname === '/health') {
		if (!api) {
			res.writeHead(502, { 'Content-Type': 'application/json' });
			res.end('{"error":{"code":"no_api","message":"AIWFE_API is not set"}}');
			return;
		}
		const target = new URL(req.url ?? '/', api);
		const p = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
			res.writeHead(r.statusCode ?? 502, r.headers);
			r.pipe(res);
		});
		p.on('error', () => {
			res.writeHead(502);
			res.end();
		});
		req.pipe(p);
		return;
	}
	// Like the Go server: a missing build file is a 404, any other unknown path is a page of the app.
	if (url.pathname.startsWith('/_app/') && !file(url.pathname)) {
		res.writeHead(404, { 'Content-Type': 'application/json' });
		res.end('{"error":{"code":"not_found","message":"file not found"}}');
		return;
	}
	const found = file(url.pathname) ?? join(root, 'index.html');
	const immutable = url.pathname.startsWith('/_app/immutable/');
	res.writeHead(200, {
		'Content-Type': types[extname(found)] ?? 'application/octet-stream',
		'Content-Security-Policy': CSP,
		'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
	});
	createReadStream(found).pipe(res);
}).listen(port, '127.0.0.1', () => console.log(`serving ${root} on http://127.0.0.1:${port}`));

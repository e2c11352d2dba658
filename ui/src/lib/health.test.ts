import { describe, expect, it } from 'vitest';
import { checkDetails, fetchHealth, statusTone } from './health';

const respond = (r: Response | Error) =>
	(async () => {
		if (r instanceof Error) throw r;
		return r;
	}) as unknown as typeof fetch;

describe('health', () => {
	it('accepts a degraded 503 that carries a report', async () => {
		const body = {
			status: 'degraded',
			version: '1.2.3',
			checks: { database: { status: 'ok', latency_ms: 1.234 }, ollama: { status: 'down', error: 'refused' } }
		};
		const r = await fetchHealth(respond(new Response(JSON.stringify(body), { status: 503 })));
		expect(r).toEqual({ ok: true, health: body });
	});

	it('reports unreachable on a network error or a non-report answer', async () => {
		expect((await fetchHealth(respond(new TypeError('x')))).ok).toBe(false);
		const html = await fetchHealth(respond(new Response('<html>', { status: 502 })));
		expect(html).toEqual({ ok: false, error: 'The server answered 502 without a health report.' });
		expect((await fetchHealth(respond(new Response('{"foo":1}')))).ok).toBe(false);
	});

	it('keeps a malformed check visible instead of dropping it', async () => {
		const r = await fetchHealth(respond(new Response('{"status":"ok","checks":{"cache":"fine"}}')));
		expect(r.ok && r.health.checks.cache).toEqual({ status: 'unknown', value: 'fine' });
	});

	it('maps statuses to tones', () => {
		expect(statusTone('ok')).toBe('ok');
		expect(statusTone('OK')).toBe('ok');
		expect(statusTone('degraded')).toBe('warn');
		expect(statusTone('down')).toBe('bad');
		expect(statusTone('something')).toBe('neutral');
	});

	it('renders any check field generically', () => {
		expect(
			checkDetails({ status: 'ok', latency_ms: 1.26, error: 'x', open: true, extra: { a: 1 }, note: null })
		).toEqual([
			{ label: 'Latency', value: '1.3 ms' },
			{ label: 'Error', value: 'x' },
			{ label: 'Open', value: 'yes' },
			{ label: 'Extra', value: '{"a":1}' },
			{ label: 'Note', value: '—' }
		]);
	});
});

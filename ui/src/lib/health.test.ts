import { describe, expect, it } from 'vitest';
import { checkDetails, fetchHealth, formatUptime, healthFor, seesHealthDetails, statusTone } from './health';

const respond = (r: Response | Error) =>
	(async () => {
		if (r instanceof Error) throw r;
		return r;
	}) as unknown as typeof fetch;

describe('health', () => {
	it('shows the checks, version and uptime to admins only', () => {
		const full = {
			status: 'degraded',
			version: '1.2.3',
			uptime_seconds: 42,
			checks: { ollama: { status: 'down', error: 'dial tcp 10.0.0.5:11434: refused' } }
		};
		for (const role of ['admin', 'superuser']) {
			expect(seesHealthDetails(role)).toBe(true);
			expect(healthFor(full, role)).toEqual(full);
		}
		for (const role of ['user', null, undefined]) {
			expect(seesHealthDetails(role)).toBe(false);
			expect(healthFor(full, role)).toEqual({ status: 'degraded', checks: {} });
		}
	});

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

	it('renders any check field generically, flattening details', () => {
		expect(
			checkDetails({ status: 'ok', latency_ms: 1.26, error: 'x', open: true, note: null, extra: { a: 1, b: [1, 2] } })
		).toEqual([
			{ label: 'Latency', value: '1.3 ms' },
			{ label: 'Error', value: 'x' },
			{ label: 'Open', value: 'yes' },
			{ label: 'Note', value: '—' },
			{ label: 'Extra › A', value: '1' },
			{ label: 'Extra › B', value: '1, 2' }
		]);
		expect(checkDetails({ status: 'ok', detail: { hits: 28, max_mb: 32 } })).toEqual([
			{ label: 'Hits', value: '28' },
			{ label: 'Max', value: '32 MB' }
		]);
		expect(
			checkDetails({ status: 'ok', detail: [{ names: ['localhost', '::1'], mode: 'self-signed' }] })
		).toEqual([
			{ label: 'Names', value: 'localhost, ::1' },
			{ label: 'Mode', value: 'self-signed' }
		]);
		expect(checkDetails({ status: 'ok', detail: [{ mode: 'a' }, { mode: 'b' }] })).toEqual([
			{ label: '#1 › Mode', value: 'a' },
			{ label: '#2 › Mode', value: 'b' }
		]);
	});

	it('formats uptime', () => {
		expect(formatUptime(42.7)).toBe('42 s');
		expect(formatUptime(3 * 60 + 5)).toBe('3 min');
		expect(formatUptime(2 * 3600 + 5 * 60)).toBe('2 h 5 min');
		expect(formatUptime(3 * 86400 + 4 * 3600 + 1)).toBe('3 d 4 h');
	});
});

import { describe, expect, it } from 'vitest';
import {
	needsSetup,
	nextSteps,
	statusLabel,
	statusTone,
	updateBody,
	type ModelServerStatus
} from './modelserver';

const status = (over: Partial<ModelServerStatus>): ModelServerStatus => ({
	provider: 'ollama',
	base_url: 'http://127.0.0.1:11434',
	reachable: true,
	code: 'ok',
	message: '',
	models: 2,
	demo: false,
	...over
});

describe('model server first run', () => {
	it.each([
		['answers with models', status({}), false, [], 'ok', 'Answers · 2 models'],
		['one model', status({ models: 1 }), false, [], 'ok', 'Answers · 1 model'],
		['answers, models unknown', status({ models: -1 }), false, [], 'ok', 'Answers'],
		['answers, no models', status({ models: 0 }), true, ['pull', 'demo'], 'warn', 'No models yet'],
		['demo', status({ provider: 'demo', demo: true, models: 1 }), false, [], 'warn', 'Demo model'],
		[
			'not answering',
			status({ reachable: false, code: 'unreachable', models: -1 }),
			true,
			['install', 'point', 'demo'],
			'bad',
			'Not answering'
		],
		[
			'key refused',
			status({ reachable: false, code: 'unauthorized', models: -1 }),
			true,
			['key', 'point', 'demo'],
			'bad',
			'Key refused'
		],
		[
			'other error',
			status({ reachable: false, code: 'error', models: -1 }),
			true,
			['point', 'demo'],
			'bad',
			'Not answering'
		]
	] as const)('%s', (_name, s, setup, steps, tone, label) => {
		expect(needsSetup(s)).toBe(setup);
		expect(nextSteps(s)).toEqual(steps);
		expect(statusTone(s)).toBe(tone);
		expect(statusLabel(s)).toBe(label);
	});
});

describe('updateBody', () => {
	it('sends only the provider for the demo model', () => {
		expect(updateBody('demo', 'http://x', 'k', false)).toEqual({ provider: 'demo' });
	});
	it('keeps the saved key when none was typed', () => {
		expect(updateBody('ollama', ' http://h:11434 ', '  ', false)).toEqual({
			provider: 'ollama',
			base_url: 'http://h:11434'
		});
	});
	it('sends a typed key, or an empty one to remove it', () => {
		expect(updateBody('openai', 'https://a', ' sk ', false).api_key).toBe('sk');
		expect(updateBody('openai', 'https://a', 'sk', true).api_key).toBe('');
	});
});

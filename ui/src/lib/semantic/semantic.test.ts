import { describe, expect, it } from 'vitest';
import { groupEntities, languageText, methodLabel, sentimentText, toolPath } from './semantic';

describe('semantic tools', () => {
	it('names the endpoint', () => {
		expect(toolPath('keywords')).toBe('/api/v1/semantic/keywords');
	});
	it('says how an answer was made', () => {
		expect(methodLabel({ method: 'model', model: 'llama3.2:3b' })).toBe('by llama3.2:3b');
		expect(methodLabel({ method: 'fallback', note: 'x' })).toBe('by rules (no model)');
	});
	it('reads sentiment and language', () => {
		expect(sentimentText({ method: 'fallback', label: 'positive', score: 0.6234 })).toBe('positive (0.62)');
		expect(languageText({ method: 'fallback', language: 'de', name: 'German', confidence: 0.981 })).toBe('German (de), 98 %');
	});
	it('groups entities by type, known types first, empty groups left out', () => {
		const e = (text: string, type: string) => ({ text, type, start: 0, end: 1, count: 1 });
		expect(groupEntities([e('Berlin', 'place'), e('Alice', 'person'), e('2026', 'date')]).map((g) => g.type)).toEqual([
			'person',
			'place',
			'date'
		]);
	});
});

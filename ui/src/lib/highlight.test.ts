import { describe, expect, it } from 'vitest';
import { highlightCode, languageOf, loadLanguage } from './highlight';

describe('languageOf', () => {
	it.each([
		['go', 'go'],
		['golang', 'go'],
		['Python', 'python'],
		['py', 'python'],
		['sh', 'bash'],
		['ts', 'typescript'],
		['html', 'xml'],
		['toml', 'ini'],
		['c++', 'cpp'],
		[' yml ', 'yaml'],
		['', null],
		[null, null],
		['brainfuck', null],
		['constructor', null], // not a key of the plain objects' prototype
		['__proto__', null]
	])('%j → %j', (lang, want) => {
		expect(languageOf(lang)).toBe(want);
	});
});

describe('highlightCode', () => {
	it('is plain text (null) until the language has loaded, then highlighted', async () => {
		expect(highlightCode('package main', 'go')).toBeNull();
		expect(await loadLanguage('go')).toBe(true);
		expect(highlightCode('package main', 'go')).toContain('<span class="hljs-keyword">package</span>');
	});

	it('offers no highlighting for an unknown language', async () => {
		expect(await loadLanguage('cobol-ish')).toBe(false);
		expect(highlightCode('x', 'cobol-ish')).toBeNull();
	});
});

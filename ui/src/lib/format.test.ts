import { describe, expect, it } from 'vitest';
import { composerPlaceholder, formatDate, passwordStrength } from './format';

describe('passwordStrength', () => {
	it('demands the minimum length', () => {
		expect(passwordStrength('').score).toBe(0);
		expect(passwordStrength('abc').hint).toBe('7 more characters needed.');
		expect(passwordStrength('abcdefghi').hint).toBe('1 more character needed.');
	});
	it('grows with length and variety, and punishes repetition', () => {
		expect(passwordStrength('aaaaaaaaaaaa').score).toBe(1);
		expect(passwordStrength('1234567890').score).toBe(1);
		expect(passwordStrength('plainwords').score).toBe(1);
		expect(passwordStrength('plainwordslonger').score).toBe(2);
		expect(passwordStrength('Correct-Horse-Battery-9').score).toBe(4);
	});
});

describe('formatDate', () => {
	it('keeps unparseable input and marks missing values', () => {
		expect(formatDate(null)).toBe('—');
		expect(formatDate('not a date')).toBe('not a date');
		expect(formatDate('2026-01-02T03:04:05Z')).toMatch(/2026/);
	});
});

describe('composerPlaceholder', () => {
	it('mentions Shift+Enter only with a real keyboard', () => {
		expect(composerPlaceholder(false)).toContain('Shift+Enter');
		expect(composerPlaceholder(true)).not.toMatch(/shift|enter/i);
	});
});

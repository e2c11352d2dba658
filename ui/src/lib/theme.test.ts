import { describe, expect, it } from 'vitest';
import {
	THEME_KEY,
	applyTheme,
	loadThemePref,
	resolveTheme,
	saveThemePref,
	toggledPref
} from './theme';

function memoryStorage(initial: Record<string, string> = {}) {
	const m = new Map(Object.entries(initial));
	return {
		getItem: (k: string) => m.get(k) ?? null,
		setItem: (k: string, v: string) => void m.set(k, v),
		removeItem: (k: string) => void m.delete(k),
		map: m
	};
}

describe('theme', () => {
	it('defaults to system, and ignores junk in storage', () => {
		expect(loadThemePref(memoryStorage())).toBe('system');
		expect(loadThemePref(memoryStorage({ [THEME_KEY]: 'purple' }))).toBe('system');
		expect(loadThemePref(undefined)).toBe('system');
		const throwing = {
			getItem: () => {
				throw new Error('denied');
			},
			setItem: () => {},
			removeItem: () => {}
		};
		expect(loadThemePref(throwing)).toBe('system');
	});

	it('remembers an explicit choice and forgets it for system', () => {
		const s = memoryStorage();
		saveThemePref(s, 'dark');
		expect(loadThemePref(s)).toBe('dark');
		expect(s.map.get(THEME_KEY)).toBe('dark');
		saveThemePref(s, 'system');
		expect(s.map.has(THEME_KEY)).toBe(false);
	});

	it('follows prefers-color-scheme only for system', () => {
		expect(resolveTheme('system', true)).toBe('dark');
		expect(resolveTheme('system', false)).toBe('light');
		expect(resolveTheme('light', true)).toBe('light');
		expect(resolveTheme('dark', false)).toBe('dark');
	});

	it('toggles to the opposite of what is shown', () => {
		expect(toggledPref('system', true)).toBe('light');
		expect(toggledPref('system', false)).toBe('dark');
		expect(toggledPref('dark', false)).toBe('light');
		expect(toggledPref('light', true)).toBe('dark');
	});

	it('applies the class and color-scheme to the root element', () => {
		const classes = new Set<string>();
		const root = {
			classList: { toggle: (c: string, on: boolean) => void (on ? classes.add(c) : classes.delete(c)) },
			style: { colorScheme: '' }
		} as unknown as HTMLElement;
		applyTheme(root, 'dark');
		expect(classes.has('dark')).toBe(true);
		expect(root.style.colorScheme).toBe('dark');
		applyTheme(root, 'light');
		expect(classes.has('dark')).toBe(false);
		expect(root.style.colorScheme).toBe('light');
	});
});

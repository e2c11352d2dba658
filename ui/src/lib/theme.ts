// Theme preference: what the person chose ('system' follows prefers-color-scheme).
// static/theme-init.js applies the same rule before first paint; keep the two in step.

export type ThemePref = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'aiwfe-theme';

interface StorageLike {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
	removeItem(key: string): void;
}

export function isThemePref(v: unknown): v is ThemePref {
	return v === 'system' || v === 'light' || v === 'dark';
}

export function loadThemePref(storage: StorageLike | undefined): ThemePref {
	try {
		const v = storage?.getItem(THEME_KEY);
		return isThemePref(v) ? v : 'system';
	} catch {
		return 'system'; // storage can throw (privacy modes); fall back to the default
	}
}

export function saveThemePref(storage: StorageLike | undefined, pref: ThemePref): void {
	try {
		if (pref === 'system') storage?.removeItem(THEME_KEY);
		else storage?.setItem(THEME_KEY, pref);
	} catch {
		/* not remembered, still applied */
	}
}

export function resolveTheme(pref: ThemePref, systemPrefersDark: boolean): Theme {
	if (pref === 'system') return systemPrefersDark ? 'dark' : 'light';
	return pref;
}

/** The preference a one-click toggle switches to: the opposite of what is shown now. */
export function toggledPref(pref: ThemePref, systemPrefersDark: boolean): ThemePref {
	return resolveTheme(pref, systemPrefersDark) === 'dark' ? 'light' : 'dark';
}

export function applyTheme(root: HTMLElement, theme: Theme): void {
	root.classList.toggle('dark', theme === 'dark');
	root.style.colorScheme = theme;
}

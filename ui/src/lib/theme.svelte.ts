// The live theme state for components; the rules live in theme.ts.
import {
	applyTheme,
	loadThemePref,
	resolveTheme,
	saveThemePref,
	toggledPref,
	type Theme,
	type ThemePref
} from './theme';

class ThemeState {
	pref = $state<ThemePref>('system');
	systemDark = $state(false);
	resolved: Theme = $derived(resolveTheme(this.pref, this.systemDark));
}

export const theme = new ThemeState();

/** Reads the stored choice and follows the system setting; returns a cleanup. */
export function initTheme(): () => void {
	theme.pref = loadThemePref(localStorage);
	const mq = matchMedia('(prefers-color-scheme: dark)');
	theme.systemDark = mq.matches;
	const onChange = (e: MediaQueryListEvent) => (theme.systemDark = e.matches);
	mq.addEventListener('change', onChange);
	return () => mq.removeEventListener('change', onChange);
}

export function setThemePref(pref: ThemePref): void {
	theme.pref = pref;
	saveThemePref(localStorage, pref);
}

export function toggleTheme(): void {
	setThemePref(toggledPref(theme.pref, theme.systemDark));
}

export function applyCurrentTheme(): void {
	applyTheme(document.documentElement, theme.resolved);
}

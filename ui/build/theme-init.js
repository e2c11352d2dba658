// Applies the remembered theme before first paint (no flash). Same rule as src/lib/theme.ts.
(function () {
	var pref = null;
	try {
		pref = localStorage.getItem('aiwfe-theme');
	} catch (e) {}
	var dark =
		pref === 'dark' ||
		(pref !== 'light' && window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches);
	document.documentElement.classList.toggle('dark', dark);
	document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
})();

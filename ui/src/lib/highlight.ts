// Syntax highlighting of code blocks with highlight.js, loaded on first use: the core and each
// language are chunks of their own, so a chat without code loads none of it and a Go block loads
// only Go. Until its language has arrived a block shows as plain text; subscribers (the Markdown
// component) are told to render again once it has.
//
// highlight.js escapes the code it wraps in <span class="hljs-…">; the Markdown renderer still
// passes the result through DOMPurify like everything else, so a highlighter bug cannot add markup.
import type { HLJSApi, LanguageFn } from 'highlight.js';

type Loader = () => Promise<{ default: LanguageFn }>;

/** The languages offered, each its own chunk (a static list: the bundler must see the imports). */
const LOADERS: Record<string, Loader> = {
	bash: () => import('highlight.js/lib/languages/bash'),
	c: () => import('highlight.js/lib/languages/c'),
	cpp: () => import('highlight.js/lib/languages/cpp'),
	csharp: () => import('highlight.js/lib/languages/csharp'),
	css: () => import('highlight.js/lib/languages/css'),
	diff: () => import('highlight.js/lib/languages/diff'),
	dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
	go: () => import('highlight.js/lib/languages/go'),
	ini: () => import('highlight.js/lib/languages/ini'),
	java: () => import('highlight.js/lib/languages/java'),
	javascript: () => import('highlight.js/lib/languages/javascript'),
	json: () => import('highlight.js/lib/languages/json'),
	kotlin: () => import('highlight.js/lib/languages/kotlin'),
	lua: () => import('highlight.js/lib/languages/lua'),
	makefile: () => import('highlight.js/lib/languages/makefile'),
	markdown: () => import('highlight.js/lib/languages/markdown'),
	php: () => import('highlight.js/lib/languages/php'),
	plaintext: () => import('highlight.js/lib/languages/plaintext'),
	powershell: () => import('highlight.js/lib/languages/powershell'),
	python: () => import('highlight.js/lib/languages/python'),
	ruby: () => import('highlight.js/lib/languages/ruby'),
	rust: () => import('highlight.js/lib/languages/rust'),
	scss: () => import('highlight.js/lib/languages/scss'),
	sql: () => import('highlight.js/lib/languages/sql'),
	swift: () => import('highlight.js/lib/languages/swift'),
	typescript: () => import('highlight.js/lib/languages/typescript'),
	xml: () => import('highlight.js/lib/languages/xml'),
	yaml: () => import('highlight.js/lib/languages/yaml')
};

/** What models write after ``` besides the names above. */
const ALIASES: Record<string, string> = {
	sh: 'bash',
	shell: 'bash',
	zsh: 'bash',
	console: 'bash',
	'c++': 'cpp',
	cc: 'cpp',
	h: 'c',
	hpp: 'cpp',
	cs: 'csharp',
	'c#': 'csharp',
	docker: 'dockerfile',
	golang: 'go',
	toml: 'ini',
	js: 'javascript',
	jsx: 'javascript',
	mjs: 'javascript',
	node: 'javascript',
	jsonc: 'json',
	kt: 'kotlin',
	make: 'makefile',
	md: 'markdown',
	patch: 'diff',
	ps1: 'powershell',
	text: 'plaintext',
	txt: 'plaintext',
	py: 'python',
	python3: 'python',
	rb: 'ruby',
	rs: 'rust',
	ts: 'typescript',
	tsx: 'typescript',
	html: 'xml',
	svg: 'xml',
	svelte: 'xml',
	yml: 'yaml'
};

/** The highlight.js language for a fence's info word, or null when it is not one we offer. */
export function languageOf(lang: string | null | undefined): string | null {
	const key = (lang ?? '').trim().toLowerCase();
	if (!key) return null;
	const name = ALIASES[key] ?? key;
	return Object.hasOwn(LOADERS, name) ? name : null;
}

let hljs: HLJSApi | null = null;
let core: Promise<HLJSApi> | null = null;
const loaded = new Set<string>();
const loading = new Map<string, Promise<boolean>>();
const listeners = new Set<() => void>();

/** Calls fn whenever a language has loaded (render again); returns the unsubscribe. */
export function onHighlighterChange(fn: () => void): () => void {
	listeners.add(fn);
	return () => listeners.delete(fn);
}

/** Loads the core and the language (once); true when it can now be highlighted. */
export function loadLanguage(name: string): Promise<boolean> {
	const lang = languageOf(name);
	if (!lang) return Promise.resolve(false);
	if (loaded.has(lang)) return Promise.resolve(true);
	let p = loading.get(lang);
	if (!p) {
		core ??= import('highlight.js/lib/core').then((m) => (hljs = m.default));
		p = Promise.all([core, LOADERS[lang]()])
			.then(([h, def]) => {
				h.registerLanguage(lang, def.default);
				loaded.add(lang);
				for (const fn of listeners) fn();
				return true;
			})
			.catch(() => {
				// A chunk that failed to load (offline): plain text, and a later block may try again.
				loading.delete(lang);
				return false;
			});
		loading.set(lang, p);
	}
	return p;
}

/**
 * The code as highlighted HTML when its language is loaded; otherwise null (show it as plain
 * text) after starting the load. Never throws: a highlighter error means plain text.
 */
export function highlightCode(code: string, lang: string | null | undefined): string | null {
	const name = languageOf(lang);
	if (!name) return null;
	if (!hljs || !loaded.has(name)) {
		void loadLanguage(name);
		return null;
	}
	try {
		return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
	} catch {
		return null;
	}
}

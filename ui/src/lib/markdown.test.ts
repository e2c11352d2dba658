// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { MarkdownBlocks, codeOfButton, renderMarkdown, sanitizeHtml } from './markdown';
import { loadLanguage, onHighlighterChange } from './highlight';

declare global {
	interface Window {
		__pwned?: number;
	}
}

function mount(html: string): HTMLElement {
	const div = document.createElement('div');
	div.innerHTML = html;
	document.body.appendChild(div);
	return div;
}

afterEach(() => {
	document.body.innerHTML = '';
	delete window.__pwned;
});

describe('renderMarkdown', () => {
	it('renders ordinary Markdown', () => {
		const html = renderMarkdown('# Title\n\nSome **bold** and `code`.\n\n- a\n- b');
		expect(html).toContain('<h1>Title</h1>');
		expect(html).toContain('<strong>bold</strong>');
		expect(html).toContain('<code>code</code>');
		expect(html).toContain('<li>a</li>');
	});

	it('shows the model\'s raw HTML as text, never as markup', () => {
		const attacks = [
			'<script>window.__pwned = 1</script>',
			'<img src=x onerror="window.__pwned = 1">',
			'before <img src=x onerror=window.__pwned=1> after',
			'<svg onload="window.__pwned=1"></svg>',
			'<iframe src="javascript:window.__pwned=1"></iframe>',
			'<a href="javascript:window.__pwned=1">x</a>',
			'<div style="background:url(javascript:1)" onclick="window.__pwned=1">y</div>'
		];
		for (const a of attacks) {
			const html = renderMarkdown(a);
			const el = mount(html);
			expect(el.querySelector('script, img, svg, iframe, [onerror], [onload], [onclick], [style]')).toBeNull();
			for (const link of el.querySelectorAll('a')) {
				expect(link.getAttribute('href') ?? '').not.toMatch(/^\s*javascript:/i);
			}
			expect(html).not.toMatch(/<(script|img|svg|iframe)/i);
		}
		expect(window.__pwned).toBeUndefined();
	});

	it('keeps the text of raw HTML visible', () => {
		const el = mount(renderMarkdown('look: <img src=x onerror=alert(1)>'));
		expect(el.textContent).toContain('<img src=x onerror=alert(1)>');
	});

	it('drops javascript: links written in Markdown', () => {
		const el = mount(renderMarkdown('[click](javascript:window.__pwned=1) [ok](https://example.com)'));
		const links = [...el.querySelectorAll('a')];
		expect(links.some((a) => /javascript:/i.test(a.getAttribute('href') ?? ''))).toBe(false);
		const ok = links.find((a) => a.getAttribute('href') === 'https://example.com');
		expect(ok?.getAttribute('rel')).toContain('noopener');
		expect(ok?.getAttribute('target')).toBe('_blank');
	});

	it('does not load remote images', () => {
		const el = mount(renderMarkdown('![tracker](https://evil.example/p.gif)'));
		expect(el.querySelector('img')).toBeNull();
		expect(el.querySelector('a')?.textContent).toBe('tracker');
	});

	it('wraps code blocks with a copy button and escapes their content', () => {
		const el = mount(renderMarkdown('```html\n<script>window.__pwned=1</script>\n```'));
		expect(el.querySelector('script')).toBeNull();
		const button = el.querySelector('[data-copy-code]');
		expect(button).not.toBeNull();
		expect(el.querySelector('.code-lang')?.textContent).toBe('html');
		// "hljs language-html" once highlight.js has loaded, plain "language-html" before.
		expect(el.querySelector('pre code')?.className).toMatch(/(^|\s)language-html$/);
		expect(codeOfButton(button!)).toBe('<script>window.__pwned=1</script>');
	});

	it('escapes a hostile code language', () => {
		const el = mount(renderMarkdown('```"><img src=x onerror=window.__pwned=1>\nx\n```'));
		expect(el.querySelector('img')).toBeNull();
	});

	it('renders half-streamed Markdown without throwing', () => {
		expect(() => renderMarkdown('```py\nprint(')).not.toThrow();
		expect(renderMarkdown('**bo')).toContain('**bo');
		expect(renderMarkdown('')).toBe('');
	});
});

describe('sanitizeHtml', () => {
	it('removes scripts and event handlers from HTML', () => {
		const out = sanitizeHtml('<p onclick="x()">hi<script>x()</script><img src=x onerror=x()></p>');
		expect(out).toBe('<p>hi</p>');
	});
});

describe('highlighted code blocks', () => {
	// Markup a model could put in code: closing the block, handlers, scripts, styles.
	const hostile = [
		'</code></pre><img src=x onerror="window.__pwned=1">',
		'<script>window.__pwned=2</script><style>body{display:none}</style>',
		'<a href="javascript:window.__pwned=3" onclick="window.__pwned=4">x</a>',
		'<span class="hljs-keyword" style="position:fixed" onmouseover="window.__pwned=5">y</span>'
	].join('\n');

	it.each(['html', 'javascript', 'markdown'])('highlights %s and lets no markup through', async (lang) => {
		expect(await loadLanguage(lang)).toBe(true);
		const el = mount(renderMarkdown('```' + lang + '\n' + hostile + '\n```'));
		const code = el.querySelector('pre code')!;
		expect(code.className).toBe(`hljs language-${lang}`);
		expect(code.querySelector('[class^="hljs-"]')).not.toBeNull();
		// Only the highlighter's spans, with nothing but a class: no other element, no handler, no style.
		for (const e of code.querySelectorAll('*')) {
			expect(e.tagName).toBe('SPAN');
			expect([...e.attributes].map((a) => a.name)).toEqual(['class']);
			// hljs-<token>, or language-<name> around an embedded language (CSS in HTML).
			expect(e.getAttribute('class')).toMatch(/^(hljs-[\w -]+|language-\w+)$/);
		}
		expect(el.querySelectorAll('img, script, style, a').length).toBe(0);
		// The text is the code exactly as written.
		expect(code.textContent).toBe(hostile);
	});

	it('shows a language it does not offer as plain, escaped text', () => {
		const el = mount(renderMarkdown('```brainfuck\n<b>+++</b>\n```'));
		expect(el.querySelector('pre code')?.className).toBe('language-brainfuck');
		expect(el.querySelector('pre code b')).toBeNull();
		expect(el.querySelector('pre code')?.textContent).toBe('<b>+++</b>');
	});

	it('tells subscribers when a language arrives, and renders it highlighted then', async () => {
		let told = 0;
		const off = onHighlighterChange(() => told++);
		try {
			const src = '```rs\nfn f() {}\n```';
			const before = mount(renderMarkdown(src)).querySelector('pre code');
			expect(await loadLanguage('rust')).toBe(true);
			expect(told).toBeGreaterThan(0);
			expect(before?.querySelector('.hljs-keyword')).toBeNull();
			expect(mount(renderMarkdown(src)).querySelector('pre code .hljs-keyword')?.textContent).toBe('fn');
		} finally {
			off();
		}
	});
});

describe('MarkdownBlocks', () => {
	const reply = [
		'# Plan\n\nFirst a paragraph with `code` and **bold**.\n\n',
		'- one\n- two\n  continued\n\n',
		'1. step\n2. step\n\n',
		'```go\nfunc f() {\n\n\treturn\n}\n```\n\n',
		'| a | b |\n|---|---|\n| 1 | 2 |\n\n',
		'> quoted\n\n',
		'Last words.'
	].join('');

	/** The text of rendered HTML, whitespace between tags aside. */
	const squash = (html: string) => html.replace(/>\s+</g, '><').trim();

	it('renders a text as renderMarkdown does', () => {
		const { blocks, last } = new MarkdownBlocks().update(reply);
		expect(blocks.length).toBeGreaterThan(4);
		expect(squash(blocks.join('') + last)).toBe(squash(renderMarkdown(reply)));
	});

	it('renders each finished block once while the text grows', () => {
		const md = new MarkdownBlocks();
		let prev: string[] = [];
		for (let i = 1; i <= reply.length; i++) {
			const { blocks } = md.update(reply.slice(0, i));
			// Finished blocks are kept as they were: only new ones are added.
			expect(blocks.slice(0, prev.length)).toEqual(prev);
			for (let j = 0; j < prev.length; j++) expect(blocks[j]).toBe(prev[j]);
			prev = blocks;
		}
		const { blocks, last } = md.update(reply);
		expect(squash(blocks.join('') + last)).toBe(squash(renderMarkdown(reply)));
	});

	it('keeps a fenced code block with blank lines whole, and indented continuations with their block', () => {
		const src = 'Intro\n\n```\na\n\nb\n```\n\n- item\n\n    more of the item\n\nEnd';
		const { blocks, last } = new MarkdownBlocks().update(src);
		const all = [...blocks, last];
		expect(all.filter((b) => b.includes('<pre>'))).toHaveLength(1);
		expect(all.find((b) => b.includes('<pre>'))).toContain('a\n\nb');
		expect(all.find((b) => b.includes('item'))).toContain('more of the item');
		expect(squash(all.join(''))).toBe(squash(renderMarkdown(src)));
	});

	it('starts over when the text is replaced rather than extended', () => {
		const md = new MarkdownBlocks();
		md.update('Old text\n\nMore old text\n\nx');
		const { blocks, last } = md.update('New text\n\ny');
		expect(blocks.join('') + last).not.toContain('Old');
		expect(blocks.join('') + last).toContain('New text');
	});

	it('keeps raw HTML as text in every block', () => {
		const { blocks, last } = new MarkdownBlocks().update('a\n\n<img src=x onerror=alert(1)>\n\n<script>x</script>');
		const el = mount(blocks.join('') + last);
		expect(el.querySelector('img, script')).toBeNull();
	});
});

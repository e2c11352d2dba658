// Markdown of model replies → safe HTML. Two layers: raw HTML written by the model is shown as
// text (never parsed), and the output of marked goes through DOMPurify anyway (javascript:
// links, anything marked lets through). Code blocks get a copy button, wired by the caller
// through event delegation on `[data-copy-code]` (the CSP forbids inline handlers).
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import { highlightCode } from './highlight';

function escapeHtml(s: string): string {
	return s
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

const marked = new Marked({
	gfm: true,
	breaks: false,
	async: false,
	renderer: {
		// The model's own HTML is text, not markup.
		html(token: Tokens.HTML | Tokens.Tag): string {
			return escapeHtml(token.text);
		},
		code(token: Tokens.Code): string {
			const lang = (token.lang ?? '').trim().split(/\s+/)[0].replace(/[^A-Za-z0-9_+#.-]/g, '');
			// Highlighted when the language has loaded (lib/highlight.ts), plain text until then; the
			// spans it adds go through DOMPurify below like the rest.
			const highlighted = highlightCode(token.text, lang);
			const cls = lang ? ` class="${highlighted === null ? '' : 'hljs '}language-${lang}"` : '';
			return (
				'<div class="code-block">' +
				'<div class="code-head"><span class="code-lang">' +
				escapeHtml(lang || 'code') +
				'</span><button type="button" class="code-copy" data-copy-code="">Copy</button></div>' +
				`<pre><code${cls}>${highlighted ?? escapeHtml(token.text)}</code></pre></div>\n`
			);
		},
		image(token: Tokens.Image): string {
			// No remote images (tracking, CSP): show the alt text as a link.
			const text = escapeHtml(token.text || token.href);
			return `<a href="${escapeHtml(token.href)}">${text}</a>`;
		}
	}
});

let hooked = false;
function purifier(): typeof DOMPurify {
	if (!hooked) {
		hooked = true;
		DOMPurify.addHook('afterSanitizeAttributes', (node) => {
			if (node.tagName === 'A' && node.hasAttribute('href')) {
				node.setAttribute('target', '_blank');
				node.setAttribute('rel', 'noopener noreferrer nofollow');
			}
		});
	}
	return DOMPurify;
}

const PURIFY = {
	FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'iframe', 'object', 'embed', 'video', 'audio', 'source'],
	FORBID_ATTR: ['style', 'srcset', 'formaction'],
	ALLOW_DATA_ATTR: false,
	ADD_ATTR: ['target', 'data-copy-code']
};

/** Cleans HTML for insertion with {@html}: no scripts, no event handlers, no javascript: URLs. */
export function sanitizeHtml(html: string): string {
	return purifier().sanitize(html, PURIFY) as unknown as string;
}

/** Renders (possibly half-streamed) Markdown to sanitised HTML. */
export function renderMarkdown(src: string): string {
	const html = marked.parse(src ?? '') as string;
	return sanitizeHtml(html);
}

/** The text of the code block a copy button belongs to. */
export function codeOfButton(button: Element): string {
	return button.closest('.code-block')?.querySelector('pre code')?.textContent ?? '';
}

/**
 * Renders Markdown that grows at its end, as a streaming reply does, without redoing it all:
 * the text is cut into blocks where nothing that follows can change what came before — a
 * line that starts a new block after a blank line, outside a fenced code block — and each
 * finished block is rendered once. Only the last, growing block is rendered again on each
 * update, so the work per update stays small however long the reply gets (rendering the
 * whole reply again per update grows with its length, and with the square over a reply).
 *
 * Finished and loaded replies are rendered the same way, so a reply reads the same after it
 * ends. The cut is invisible for all but two rare shapes: a list with blank lines between its
 * items becomes consecutive lists (numbering kept), and a reference link defined in a later
 * block stays plain text.
 */
export class MarkdownBlocks {
	/** Rendered finished blocks. */
	#blocks: string[] = [];
	/** The text they were made from: src up to #end. */
	#done = '';
	#end = 0;
	/** Scanning state at #scan, the start of the first line not read yet. */
	#scan = 0;
	#fence = '';
	#afterBlank = false;

	/** The rendered blocks of src: the finished ones (the same strings as last time) and the last. */
	update(src: string): { blocks: string[]; last: string } {
		if (!src.startsWith(this.#done)) this.#reset();
		let p = this.#scan;
		for (let nl = src.indexOf('\n', p); nl >= 0; p = nl + 1, nl = src.indexOf('\n', p)) {
			const line = src.slice(p, nl);
			const blank = line.trim() === '';
			if (this.#fence) {
				if (closesFence(line, this.#fence)) this.#fence = '';
				continue;
			}
			if (this.#afterBlank && !blank && !/^[ \t]/.test(line) && p > this.#end) {
				this.#blocks = [...this.#blocks, renderMarkdown(src.slice(this.#end, p))];
				this.#end = p;
				this.#done = src.slice(0, p);
			}
			this.#fence = FENCE.exec(line)?.[1] ?? '';
			this.#afterBlank = blank;
		}
		this.#scan = p;
		const rest = src.slice(this.#end);
		return { blocks: this.#blocks, last: rest.trim() ? renderMarkdown(rest) : '' };
	}

	#reset(): void {
		this.#blocks = [];
		this.#done = '';
		this.#end = this.#scan = 0;
		this.#fence = '';
		this.#afterBlank = false;
	}
}

/** A line opening a fenced code block (CommonMark: up to three spaces, then ``` or ~~~). */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

function closesFence(line: string, open: string): boolean {
	const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
	return !!m && m[1][0] === open[0] && m[1].length >= open.length;
}

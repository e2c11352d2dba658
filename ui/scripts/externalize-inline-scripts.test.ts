import { describe, expect, it } from 'vitest';
import { BOOT_DIR, externalize } from './externalize-inline-scripts.js';

const page = (body: string) => `<!doctype html><html><head></head><body>${body}</body></html>`;

describe('externalize-inline-scripts', () => {
	it('moves the SvelteKit bootstrap into a content-hashed classic script', () => {
		const boot = `
			{
				__sveltekit_x = { base: "" };
				const element = document.currentScript.parentElement;
			}
		`;
		const { html, files } = externalize(page(`<div style="display: contents"><script>${boot}</script></div>`));
		expect(files.size).toBe(1);
		const [[src, code]] = [...files];
		expect(src).toMatch(new RegExp(`^${BOOT_DIR}/[0-9a-f]{16}\\.js$`));
		expect(code).toContain('document.currentScript.parentElement');
		// Classic, not a module: the bootstrap assigns an undeclared global and reads currentScript.
		expect(html).toContain(`<script src="${src}"></script>`);
		expect(html).not.toMatch(/<script>[^<]/);
		// Same content, same name: the build stays reproducible.
		expect([...externalize(page(`<script>${boot}</script>`)).files.keys()]).toEqual([src]);
	});

	it('keeps external scripts, JSON data blocks and module type', () => {
		const input = page(
			'<script src="/theme-init.js"></script><script type="application/json">{"a":1}</script><script type="module">import("/x.js")</script>'
		);
		const { html, files } = externalize(input);
		expect(html).toContain('<script src="/theme-init.js"></script>');
		expect(html).toContain('<script type="application/json">{"a":1}</script>');
		expect(html).toMatch(/<script type="module" src="\/_app\/immutable\/boot\/[0-9a-f]{16}\.js"><\/script>/);
		expect(files.size).toBe(1);
	});

	it('refuses inline event handlers, which no external file can fix', () => {
		expect(() => externalize(page('<button onclick="go()">x</button>'))).toThrow(/event handler/);
	});
});

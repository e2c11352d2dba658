import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [tailwindcss(), sveltekit()],
	server: {
		// `npm run dev` talks to a locally running aiwfe (make run) on :8080 by default.
		proxy: {
			'/api': { target: process.env.AIWFE_API ?? 'http://127.0.0.1:8080', ws: true },
			'/health': process.env.AIWFE_API ?? 'http://127.0.0.1:8080'
		}
	},
	test: {
		include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
		environment: 'node'
	}
});

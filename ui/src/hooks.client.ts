import type { HandleClientError } from '@sveltejs/kit';

// A path the app does not know is the 404 page (routes/+error.svelte), not a fault: SvelteKit's
// default would log it to the console as an error. Real errors are still logged.
export const handleError: HandleClientError = ({ error, status, message }) => {
	if (status !== 404) console.error(error);
	return { message };
};

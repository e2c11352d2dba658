// Where a task or a proposal came from, as a link to that page.
import { viewerHref } from '$lib/documents/highlight';
import type { SourceRef } from './types';

export interface SourceLink {
	href: string;
	label: string;
}

/** The page of a task's source (a conversation, a document's page, a calendar event), or null. */
export function sourceLink(s: SourceRef | null | undefined): SourceLink | null {
	if (!s) return null;
	if (s.conversation_id) {
		return { href: `/?c=${s.conversation_id}`, label: s.title ? `“${s.title}”` : 'the conversation' };
	}
	if (s.document_id) {
		const page = s.page && s.page > 0 ? s.page : 1;
		return { href: viewerHref(s.document_id, page), label: `${s.title ? `“${s.title}”` : 'the document'}, page ${page}` };
	}
	if (s.event_id) {
		return { href: `/calendar?event=${s.event_id}`, label: s.title ? `“${s.title}”` : 'the calendar event' };
	}
	return null;
}

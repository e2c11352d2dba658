// The semantic tools' client side: what each tool is called, what it is
// sent, and how its answer reads (docs/research.md).

export type Tool = 'summary' | 'keywords' | 'entities' | 'sentiment' | 'language';

export const TOOLS: readonly { id: Tool; label: string }[] = [
	{ id: 'summary', label: 'Summary' },
	{ id: 'keywords', label: 'Keywords' },
	{ id: 'entities', label: 'Entities' },
	{ id: 'sentiment', label: 'Sentiment' },
	{ id: 'language', label: 'Language' }
];

/** One of: a text, a document of the user's, a conversation of the user's. */
export type Input = { text: string } | { document_id: number } | { conversation_id: number };

export interface Method {
	method: 'model' | 'fallback';
	model?: string;
	note?: string;
}

export interface Entity {
	text: string;
	type: string;
	start: number;
	end: number;
	count: number;
}

export type Answer = Method & {
	summary?: string;
	parts?: number;
	keywords?: { keyword: string; score: number }[];
	entities?: Entity[];
	label?: string;
	score?: number;
	language?: string;
	name?: string;
	confidence?: number;
};

export function toolPath(t: Tool): string {
	return `/api/v1/semantic/${t}`;
}

/** How an answer was made, in a few words. */
export function methodLabel(a: Method): string {
	return a.method === 'model' ? `by ${a.model ?? 'the model'}` : 'by rules (no model)';
}

/** A sentiment answer in words: "positive (0.62)". */
export function sentimentText(a: Answer): string {
	return `${a.label ?? 'neutral'} (${(a.score ?? 0).toFixed(2)})`;
}

/** A language answer in words: "German (de), 98 %". */
export function languageText(a: Answer): string {
	const pct = Math.round((a.confidence ?? 0) * 100);
	return `${a.name ?? a.language} (${a.language}), ${pct} %`;
}

/** Entities grouped by type, in the order of TYPES. */
export const ENTITY_TYPES = ['person', 'organisation', 'place', 'date', 'other'] as const;

export function groupEntities(es: Entity[]): { type: string; items: Entity[] }[] {
	return ENTITY_TYPES.map((type) => ({ type, items: es.filter((e) => e.type === type) })).filter((g) => g.items.length > 0);
}

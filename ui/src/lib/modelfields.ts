// The profile's model assignments: which feature each one belongs to, in one table. A field shows
// only once its feature is built; unhiding a feature's fields is one line in BUILT_FEATURES.

export type Feature =
	| 'chat'
	| 'coding'
	| 'research'
	| 'titles'
	| 'documents'
	| 'vision'
	| 'planning'
	| 'tasks'
	| 'calendar'
	| 'interview'
	| 'assessment'
	| 'reflection'
	| 'tools'
	| 'semantic'
	| 'extraction'
	| 'translation'
	| 'reasoning'
	| 'title_model';

/** The features the appliance has today. */
export const BUILT_FEATURES: ReadonlySet<Feature> = new Set<Feature>(['chat', 'coding', 'research', 'titles']);

export interface ModelField {
	key: string;
	label: string;
	group: string;
	feature: Feature;
	hint?: string;
}

/** Every assignment the server knows (store.ModelKeys), in the order shown. */
export const MODEL_FIELDS: readonly ModelField[] = [
	{ key: 'selected_model', label: 'Default model', group: 'General', feature: 'chat', hint: 'Used wherever no other assignment applies.' },
	{ key: 'chat_model', label: 'General chat', group: 'Chat', feature: 'chat' },
	{ key: 'coding_model', label: 'Coding mode', group: 'Chat', feature: 'coding' },
	{ key: 'research_model', label: 'Research mode', group: 'Chat', feature: 'research' },
	{ key: 'summary_model', label: 'Titles and summaries', group: 'Chat', feature: 'titles', hint: 'Names new conversations after the first reply.' },
	{ key: 'documents_model', label: 'Documents mode', group: 'Documents', feature: 'documents' },
	{ key: 'embedding_model', label: 'Embeddings', group: 'Documents', feature: 'documents', hint: 'Indexes documents for search.' },
	{ key: 'vision_model', label: 'Images', group: 'Documents', feature: 'vision' },
	{ key: 'planning_model', label: 'Planning', group: 'Planning', feature: 'planning' },
	{ key: 'task_model', label: 'Tasks', group: 'Planning', feature: 'tasks' },
	{ key: 'calendar_model', label: 'Calendar', group: 'Planning', feature: 'calendar' },
	{ key: 'interview_model', label: 'Interview', group: 'About you', feature: 'interview' },
	{ key: 'assessment_model', label: 'Assessment', group: 'About you', feature: 'assessment' },
	{ key: 'reflection_model', label: 'Reflection', group: 'About you', feature: 'reflection' },
	{ key: 'tool_model', label: 'Tool use', group: 'Tools', feature: 'tools' },
	{ key: 'semantic_model', label: 'Semantic search', group: 'Tools', feature: 'semantic' },
	{ key: 'extraction_model', label: 'Extraction', group: 'Tools', feature: 'extraction' },
	{ key: 'translation_model', label: 'Translation', group: 'Tools', feature: 'translation' },
	{ key: 'reasoning_model', label: 'Reasoning', group: 'Tools', feature: 'reasoning' },
	{ key: 'title_model', label: 'Titles (own model)', group: 'Tools', feature: 'title_model' }
];

export interface ModelGroup {
	name: string;
	fields: ModelField[];
}

/**
 * The fields to show, grouped in table order: those the server reported (a key it does not know
 * would be refused on save) whose feature is built.
 */
export function visibleModelGroups(
	reported: Record<string, unknown>,
	built: ReadonlySet<Feature> = BUILT_FEATURES
): ModelGroup[] {
	const groups: ModelGroup[] = [];
	for (const f of MODEL_FIELDS) {
		if (!built.has(f.feature) || !Object.hasOwn(reported, f.key)) continue;
		const g = groups.find((x) => x.name === f.group);
		if (g) g.fields.push(f);
		else groups.push({ name: f.group, fields: [f] });
	}
	return groups;
}

export interface ModelOption {
	value: string;
	label: string;
}

/**
 * A picker's choices: the installed models by name, and the current assignment even when it is
 * not installed (so opening the profile never changes it), marked as such.
 */
export function modelOptions(installed: readonly string[], current: string): ModelOption[] {
	const names = [...new Set(installed)].sort((a, b) => a.localeCompare(b));
	const out = names.map((n) => ({ value: n, label: n }));
	if (current && !names.includes(current)) out.unshift({ value: current, label: `${current} (not installed)` });
	return out;
}

/** The assignments to save: only the fields shown, so hidden ones keep what the server has. */
export function assignmentsToSave(models: Record<string, string>, groups: readonly ModelGroup[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (const g of groups) for (const f of g.fields) if (Object.hasOwn(models, f.key)) out[f.key] = models[f.key];
	return out;
}

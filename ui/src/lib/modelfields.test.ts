import { describe, expect, it } from 'vitest';
import { BUILT_FEATURES, MODEL_FIELDS, assignmentsToSave, modelOptions, visibleModelGroups, type Feature } from './modelfields';

// The server's assignments (store.ModelKeys): every one has a row in the table.
const SERVER_KEYS = [
	'selected_model', 'chat_model', 'coding_model', 'embedding_model', 'summary_model', 'research_model',
	'documents_model', 'interview_model', 'assessment_model', 'planning_model', 'task_model', 'calendar_model',
	'semantic_model', 'vision_model', 'reasoning_model', 'title_model', 'reflection_model', 'translation_model',
	'extraction_model', 'tool_model'
];
const reported = Object.fromEntries(SERVER_KEYS.map((k) => [k, 'llama3.2:3b']));

describe('MODEL_FIELDS', () => {
	it('has one row per server assignment', () => {
		expect(MODEL_FIELDS.map((f) => f.key).sort()).toEqual([...SERVER_KEYS].sort());
	});
});

describe('visibleModelGroups', () => {
	it('shows only the built features, grouped', () => {
		const groups = visibleModelGroups(reported);
		expect(groups.map((g) => [g.name, g.fields.map((f) => f.key)])).toEqual([
			['General', ['selected_model']],
			['Chat', ['chat_model', 'coding_model', 'research_model', 'summary_model']]
		]);
	});

	it('unhides a feature by adding it to the built set', () => {
		const built = new Set<Feature>([...BUILT_FEATURES, 'documents']);
		const docs = visibleModelGroups(reported, built).find((g) => g.name === 'Documents');
		expect(docs?.fields.map((f) => f.key)).toEqual(['documents_model', 'embedding_model']);
	});

	it('leaves out what the server did not report', () => {
		expect(visibleModelGroups({ chat_model: 'x' }).flatMap((g) => g.fields.map((f) => f.key))).toEqual(['chat_model']);
		expect(visibleModelGroups({})).toEqual([]);
	});
});

describe('modelOptions', () => {
	it.each([
		{ installed: ['qwen3:4b', 'llama3.2:3b'], current: 'llama3.2:3b', want: ['llama3.2:3b', 'qwen3:4b'] },
		{ installed: ['qwen3:4b'], current: 'gone:1b', want: ['gone:1b (not installed)', 'qwen3:4b'] },
		{ installed: [], current: 'gone:1b', want: ['gone:1b (not installed)'] },
		{ installed: ['a', 'a'], current: '', want: ['a'] }
	])('$installed with $current', ({ installed, current, want }) => {
		expect(modelOptions(installed, current).map((o) => o.label)).toEqual(want);
	});
});

describe('assignmentsToSave', () => {
	it('sends the shown fields only', () => {
		const groups = visibleModelGroups(reported);
		const out = assignmentsToSave({ ...reported, chat_model: 'qwen3:4b' }, groups);
		expect(Object.keys(out).sort()).toEqual(['chat_model', 'coding_model', 'research_model', 'selected_model', 'summary_model']);
		expect(out.chat_model).toBe('qwen3:4b');
	});
});

import { describe, expect, it } from 'vitest';
import { ChatStore, USE_TOOLS_KEY } from './chat.svelte';
import { fieldsChanged, taskArguments, taskFields, toolLabel, toolOutcome, toolTaskId, upsertCall } from './tools';
import type { ToolCall } from './types';

function call(over: Partial<ToolCall>): ToolCall {
	return { id: '9-1', name: 'create_task', arguments: {}, confirm: true, status: 'pending', ...over };
}

describe('task fields of a create_task proposal', () => {
	it('reads the proposal', () => {
		expect(taskFields({ title: 'Buy milk', due: '2026-12-03' })).toEqual({ title: 'Buy milk', date: '2026-12-03', time: '', priority: 'none' });
		expect(taskFields({ title: 'Dentist', due: '2026-12-04T14:30', priority: 'high' })).toEqual({
			title: 'Dentist',
			date: '2026-12-04',
			time: '14:30',
			priority: 'high'
		});
		// Whatever the model wrote that is not a known value becomes the empty field.
		expect(taskFields({ title: 7, due: 'tomorrow', priority: 'critical' })).toEqual({ title: '', date: '', time: '', priority: 'none' });
	});

	it('builds the approved arguments, keeping the rest of the proposal', () => {
		const proposed = { title: 'Buy milk', due: '2026-12-03', notes: 'oat' };
		expect(taskArguments(proposed, { title: ' Buy oat milk ', date: '2026-12-05', time: '18:00', priority: 'high' })).toEqual({
			arguments: { title: 'Buy oat milk', due: '2026-12-05T18:00', priority: 'high', notes: 'oat' }
		});
		// Clearing the date removes the due; priority none is not sent.
		expect(taskArguments(proposed, { title: 'Buy milk', date: '', time: '', priority: 'none' })).toEqual({
			arguments: { title: 'Buy milk', notes: 'oat' }
		});
	});

	it.each([
		[{ title: '  ', date: '', time: '', priority: 'none' }, 'The task needs a title.'],
		[{ title: 'x'.repeat(501), date: '', time: '', priority: 'none' }, 'The title is longer than 500 characters.'],
		[{ title: 'x', date: '', time: '10:00', priority: 'none' }, 'A time needs a date.'],
		[{ title: 'x', date: '3.12.2026', time: '', priority: 'none' }, 'The date must be YYYY-MM-DD.'],
		[{ title: 'x', date: '2026-12-03', time: '9', priority: 'none' }, 'The time must be HH:MM.']
	])('refuses %o', (f, error) => {
		expect(taskArguments({}, f)).toEqual({ error });
	});

	it('tells an edit from the proposal', () => {
		const p = { title: 'Buy milk', due: '2026-12-03' };
		expect(fieldsChanged(p, taskFields(p))).toBe(false);
		expect(fieldsChanged(p, { ...taskFields(p), priority: 'low' })).toBe(true);
		expect(fieldsChanged(p, { ...taskFields(p), title: ' Buy milk ' })).toBe(false);
	});
});

describe('what a call did', () => {
	it.each([
		[call({ status: 'pending' }), ''],
		[call({ status: 'sending' }), 'Sending your answer…'],
		[call({ status: 'done', result: { created: true, task: { id: 12, title: 'Buy milk' } } }), 'Created task #12'],
		[call({ name: 'update_task', status: 'done', result: { updated: true, task: { id: 3 } } }), 'Updated task #3'],
		[call({ name: 'list_tasks', confirm: false, status: 'done', result: { tasks: [], total: 1 } }), 'Found 1 task'],
		[call({ name: 'list_tasks', confirm: false, status: 'done', result: { tasks: [], total: 4 } }), 'Found 4 tasks'],
		[call({ status: 'declined' }), 'Declined: nothing was changed.'],
		[call({ status: 'failed', error: 'task not found' }), 'Failed: task not found.'],
		[call({ status: 'cancelled' }), 'Not run: the reply was stopped before you decided.']
	])('%o', (c, want) => {
		expect(toolOutcome(c)).toBe(want);
	});

	it('links the task made', () => {
		expect(toolTaskId(call({ status: 'done', result: { task: { id: 12 } } }))).toBe(12);
		expect(toolTaskId(call({ status: 'declined' }))).toBeUndefined();
		expect(toolLabel('create_task')).toBe('Create a task');
		expect(toolLabel('list_events')).toBe('Look up the calendar');
		expect(toolLabel('create_event')).toBe('Add an event');
		expect(toolLabel('look_up_weather')).toBe('look up weather');
		expect(toolOutcome(call({ name: 'create_event', status: 'done', result: { created: true, event: { id: 4 } } }))).toBe('Added to your calendar');
		expect(toolOutcome(call({ name: 'list_events', status: 'done', result: { events: [], total: 3 } }))).toBe('Found 3 events');
		expect(toolOutcome(call({ name: 'list_events', status: 'done', result: { events: [], total: 1 } }))).toBe('Found 1 event');
	});

	it('upserts calls by id', () => {
		const a = call({ id: 'a' });
		const list = upsertCall(undefined, a);
		expect(upsertCall(list, call({ id: 'b' })).map((c) => c.id)).toEqual(['a', 'b']);
		expect(upsertCall(list, call({ id: 'a', status: 'done' }))).toEqual([{ ...a, status: 'done' }]);
	});
});

describe('ChatStore and tool calls', () => {
	function streaming(): { s: ChatStore; sent: Record<string, unknown>[] } {
		const sent: Record<string, unknown>[] = [];
		const s = new ChatStore({ frame: () => {} });
		s.socket.send = (f: unknown) => {
			sent.push(f as Record<string, unknown>);
			return true;
		};
		s.send('add a task to buy milk tomorrow');
		s.apply({ type: 'start', conversation_id: 7, message_id: 11, model: 'demo', mode: 'general', created: true, tools: true });
		return { s, sent };
	}
	const proposal = {
		type: 'tool_call' as const,
		call_id: '11-1',
		conversation_id: 7,
		message_id: 11,
		name: 'create_task',
		arguments: { title: 'Buy milk', due: '2026-12-03' },
		summary: 'Create task “Buy milk” due Thu 3 Dec'
	};

	it('asks for tools while the switch is on, and says when the model cannot use them', () => {
		const { s, sent } = streaming();
		expect(sent[0]).toMatchObject({ type: 'send', use_tools: true });
		expect(s.toolsOffered).toBe(true);
		s.apply({ type: 'start', conversation_id: 7, message_id: 12, model: 'tiny', mode: 'general', created: false, tools: false });
		expect(s.toolsOffered).toBe(false);
		const off = new ChatStore({ frame: () => {} });
		const frames: unknown[] = [];
		off.socket.send = (f: unknown) => frames.push(f) > 0;
		off.useTools = false;
		off.send('hi');
		expect(frames[0]).not.toHaveProperty('use_tools');
	});

	it('remembers the switch in this browser', () => {
		const kept = new Map<string, string>();
		const prefs = { getItem: (k: string) => kept.get(k) ?? null, setItem: (k: string, v: string) => void kept.set(k, v) };
		const s = new ChatStore({ frame: () => {}, prefs });
		expect(s.useTools).toBe(true);
		s.setUseTools(false);
		expect(kept.get(USE_TOOLS_KEY)).toBe('off');
		expect(new ChatStore({ frame: () => {}, prefs }).useTools).toBe(false);
		s.setUseTools(true);
		expect(new ChatStore({ frame: () => {}, prefs }).useTools).toBe(true);
		// A storage that refuses writes does not break the switch.
		const full = new ChatStore({ frame: () => {}, prefs: { getItem: () => null, setItem: () => { throw new Error('quota'); } } });
		full.setUseTools(false);
		expect(full.useTools).toBe(false);
	});

	it('shows a proposal, sends the answer once, and shows the result', () => {
		const { s, sent } = streaming();
		s.apply(proposal);
		const reply = s.messages[1];
		expect(reply.tool_calls).toEqual([
			{ id: '11-1', name: 'create_task', arguments: proposal.arguments, summary: proposal.summary, confirm: true, status: 'pending', error: undefined }
		]);
		expect(s.confirmTool(11, '11-1', true, { title: 'Buy oat milk', due: '2026-12-03' })).toBe(true);
		expect(sent.at(-1)).toEqual({ type: 'tool_confirm', call_id: '11-1', approve: true, arguments: { title: 'Buy oat milk', due: '2026-12-03' } });
		expect(reply.tool_calls?.[0].status).toBe('sending');
		// A second click sends nothing.
		expect(s.confirmTool(11, '11-1', true)).toBe(false);
		expect(sent).toHaveLength(2);

		s.apply({
			type: 'tool_result',
			call_id: '11-1',
			conversation_id: 7,
			message_id: 11,
			id: '11-1',
			name: 'create_task',
			arguments: { title: 'Buy oat milk', due: '2026-12-03' },
			summary: 'Create task “Buy oat milk” due Thu 3 Dec',
			confirm: true,
			edited: true,
			status: 'done',
			result: { created: true, task: { id: 12 } }
		});
		expect(reply.tool_calls).toHaveLength(1);
		expect(toolOutcome(reply.tool_calls![0])).toBe('Created task #12');
		expect(s.busy).toBe(true);
	});

	it('declines without arguments', () => {
		const { s, sent } = streaming();
		s.apply(proposal);
		s.confirmTool(11, '11-1', false, { title: 'ignored' });
		expect(sent.at(-1)).toEqual({ type: 'tool_confirm', call_id: '11-1', approve: false });
	});

	it('shows why an edit was refused and lets the person answer again', () => {
		const { s } = streaming();
		s.apply(proposal);
		s.confirmTool(11, '11-1', true, { title: 'Buy milk', due: '2026-13-01' });
		s.apply({ ...proposal, arguments: { title: 'Buy milk', due: '2026-13-01' }, error: 'due: due must be a date' });
		const c = s.messages[1].tool_calls![0];
		expect(c).toMatchObject({ status: 'pending', error: 'due: due must be a date', arguments: { due: '2026-13-01' } });
		expect(s.confirmTool(11, '11-1', true)).toBe(true);
	});

	it('puts a refused answer back on its card', () => {
		const { s } = streaming();
		s.apply(proposal);
		s.confirmTool(11, '11-1', true);
		s.apply({ type: 'error', code: 'not_found', message: 'no tool call 11-1 is waiting for confirmation', call_id: '11-1' });
		const c = s.messages[1].tool_calls![0];
		expect(c.status).toBe('pending');
		expect(c.error).toBe('no tool call 11-1 is waiting for confirmation');
		// The reply goes on: a call error is not the reply's.
		expect(s.streamingId).toBe(11);
		// An unknown call's error goes to the composer.
		s.apply({ type: 'error', code: 'not_found', message: 'gone', call_id: 'x' });
		expect(s.composerError).toEqual({ code: 'not_found', message: 'gone' });
	});

	it('takes the stored calls from done (a stop while asked ends the proposal)', () => {
		const { s } = streaming();
		s.apply(proposal);
		s.apply({
			type: 'done',
			conversation_id: 7,
			message_id: 11,
			status: 'error',
			stopped: true,
			demo: true,
			tool_calls: [{ ...call({ id: '11-1' }), status: 'cancelled' }]
		});
		expect(s.messages[1].tool_calls?.[0].status).toBe('cancelled');
		expect(s.busy).toBe(false);
		expect(s.confirmTool(11, '11-1', true)).toBe(false);
	});
});

import { describe, expect, it } from 'vitest';
import { eventArguments, eventFields, eventFieldsChanged } from './eventtool';

describe('event fields of a create_event proposal', () => {
	const proposed = { title: 'Dentist', start: '2026-12-04T15:00', end: '2026-12-04T16:00', location: 'Main St' };
	it('reads the proposal', () => {
		expect(eventFields(proposed)).toEqual({ title: 'Dentist', date: '2026-12-04', start: '15:00', end: '16:00' });
		expect(eventFields({ title: 'Trip', start: '2026-12-04' })).toEqual({ title: 'Trip', date: '2026-12-04', start: '', end: '' });
		expect(eventFields({})).toEqual({ title: '', date: '', start: '', end: '' });
	});
	it('builds the approved arguments, keeping the rest', () => {
		expect(eventArguments(proposed, { title: ' Dentist (Dr Who) ', date: '2026-12-05', start: '09:30', end: '10:00' })).toEqual({
			arguments: { title: 'Dentist (Dr Who)', start: '2026-12-05T09:30', end: '2026-12-05T10:00', location: 'Main St' }
		});
		// No times: all day, the proposed end dropped.
		expect(eventArguments(proposed, { title: 'Dentist', date: '2026-12-04', start: '', end: '' })).toEqual({
			arguments: { title: 'Dentist', start: '2026-12-04', location: 'Main St' }
		});
		// An end on another day is kept while the times stay.
		const multi = { title: 'Trip', start: '2026-12-04', end: '2026-12-06' };
		expect(eventArguments(multi, eventFields(multi))).toEqual({ arguments: multi });
	});
	it('says what to fix', () => {
		const ok = eventFields(proposed);
		expect(eventArguments(proposed, { ...ok, title: ' ' })).toEqual({ error: 'The event needs a title.' });
		expect(eventArguments(proposed, { ...ok, date: '' })).toMatchObject({ error: expect.stringMatching(/day/) });
		expect(eventArguments(proposed, { ...ok, start: '', end: '10:00' })).toMatchObject({ error: expect.stringMatching(/start time/) });
		expect(eventArguments(proposed, { ...ok, end: '14:00' })).toEqual({ error: 'The end must be after the start.' });
	});
	it('tells an edit from the proposal', () => {
		expect(eventFieldsChanged(proposed, eventFields(proposed))).toBe(false);
		expect(eventFieldsChanged(proposed, { ...eventFields(proposed), start: '15:30' })).toBe(true);
	});
});

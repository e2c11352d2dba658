// The fields a person may edit in a proposed create_event (the calendar's chat tool): title,
// day, start and end times. An empty start time makes it an all-day event.

export interface EventFields {
	title: string;
	/** YYYY-MM-DD. */
	date: string;
	/** HH:MM, or '' for all day. */
	start: string;
	/** HH:MM or ''. */
	end: string;
}

const whenRe = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?/;

export function eventFields(args: Record<string, unknown>): EventFields {
	const s = whenRe.exec(typeof args.start === 'string' ? args.start : '');
	const e = whenRe.exec(typeof args.end === 'string' ? args.end : '');
	return {
		title: typeof args.title === 'string' ? args.title : '',
		date: s?.[1] ?? '',
		start: s?.[2] ?? '',
		// An end on another day is not editable here; it stays as proposed unless times change.
		end: e && e[1] === s?.[1] ? (e[2] ?? '') : ''
	};
}

/** The arguments to approve with: the fields replace the model's, the rest (location...) stay. */
export function eventArguments(
	proposed: Record<string, unknown>,
	f: EventFields
): { arguments: Record<string, unknown> } | { error: string } {
	const title = f.title.trim();
	if (!title) return { error: 'The event needs a title.' };
	if (title.length > 500) return { error: 'The title is longer than 500 characters.' };
	if (!/^\d{4}-\d{2}-\d{2}$/.test(f.date)) return { error: 'The event needs a day (YYYY-MM-DD).' };
	if (f.end && !f.start) return { error: 'An end time needs a start time.' };
	if (f.end && f.end <= f.start) return { error: 'The end must be after the start.' };
	const out: Record<string, unknown> = { ...proposed, title, start: f.start ? `${f.date}T${f.start}` : f.date };
	const before = eventFields(proposed);
	if (f.end) out.end = `${f.date}T${f.end}`;
	else if (before.date !== f.date || before.start !== f.start || before.end !== '') delete out.end;
	return { arguments: out };
}

export function eventFieldsChanged(proposed: Record<string, unknown>, f: EventFields): boolean {
	const p = eventFields(proposed);
	return p.title.trim() !== f.title.trim() || p.date !== f.date || p.start !== f.start || p.end !== f.end;
}

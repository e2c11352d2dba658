import { describe, expect, it } from 'vitest';
import { buildRule, describeRule, parseRule } from './recurrence';

describe('recurrence', () => {
	it.each([
		['', ''],
		['FREQ=DAILY', 'Every day'],
		['RRULE:FREQ=DAILY;INTERVAL=3', 'Every 3 days'],
		['FREQ=WEEKLY', 'Every week'],
		['FREQ=WEEKLY;BYDAY=TH,MO', 'Every week on Monday and Thursday'],
		['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR', 'Every 2 weeks on Monday, Wednesday and Friday'],
		['FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'Every week on weekdays'],
		['FREQ=MONTHLY;BYMONTHDAY=1', 'Every month on the 1st'],
		['FREQ=MONTHLY;BYMONTHDAY=22', 'Every month on the 22nd'],
		['FREQ=MONTHLY;BYMONTHDAY=13', 'Every month on the 13th'],
		['FREQ=MONTHLY;BYMONTHDAY=-1', 'Every month on the last day'],
		['FREQ=YEARLY', 'Every year'],
		['FREQ=HOURLY', 'FREQ=HOURLY']
	])('%s reads "%s"', (rule, words) => {
		expect(describeRule(rule)).toBe(words);
	});

	it('round-trips through the form model and keeps what it does not edit', () => {
		for (const rule of ['FREQ=DAILY', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR', 'FREQ=MONTHLY;BYMONTHDAY=31', 'FREQ=YEARLY;COUNT=3']) {
			expect(buildRule(parseRule(rule))).toBe(rule);
		}
		const r = parseRule('FREQ=WEEKLY;BYDAY=FR,MO');
		expect(r.days).toEqual(['MO', 'FR']);
		expect(buildRule({ ...r, freq: '' })).toBe('');
		// Days only mean something weekly; a day of the month only monthly.
		expect(buildRule({ ...r, freq: 'DAILY' })).toBe('FREQ=DAILY');
		expect(buildRule({ ...parseRule(''), freq: 'MONTHLY', interval: 0 })).toBe('FREQ=MONTHLY');
	});
});

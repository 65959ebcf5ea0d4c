import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isOpen, localTime, parseRange, type BusinessHours } from '../../src/agent/business-hours.js';
import { agentsFolder, loadFolder, minimalAgent } from '../support/agent-folder.js';

const SHIPPED_AGENTS = fileURLToPath(new URL('../../config/agents', import.meta.url));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('business hours, by the system clock (fake time)', () => {
  it('switch the shipped sales line to its after-hours agent by the New York clock', () => {
    const { resolve } = loadFolder(SHIPPED_AGENTS);
    const answering = (utc: string): string | undefined => {
      vi.setSystemTime(new Date(utc));
      return resolve('+15550201')?.profile.id;
    };
    expect(answering('2026-07-06T13:59:00Z')).toBe('sales'); // Monday 09:59 EDT
    expect(answering('2026-07-06T12:59:00Z')).toBe('after-hours'); // Monday 08:59
    expect(answering('2026-07-06T21:29:00Z')).toBe('sales'); // Monday 17:29
    expect(answering('2026-07-06T21:30:00Z')).toBe('after-hours'); // 17:30: ranges end before their end time
    expect(answering('2026-07-10T16:30:00Z')).toBe('after-hours'); // Friday 12:30, the lunch gap
    expect(answering('2026-07-10T17:00:00Z')).toBe('sales'); // Friday 13:00
    expect(answering('2026-07-11T15:00:00Z')).toBe('after-hours'); // Saturday
    expect(answering('2026-12-25T15:00:00Z')).toBe('after-hours'); // Friday 10:00, but a holiday
    // The support line has no hours: it always answers.
    expect(resolve('+15550100')?.profile.id).toBe('support');
  });

  it('follow daylight saving time through the time zone database', () => {
    const { resolve } = loadFolder(SHIPPED_AGENTS);
    vi.setSystemTime(new Date('2026-03-06T13:10:00Z')); // Friday 08:10 EST
    expect(resolve('+15550201')?.profile.id).toBe('after-hours');
    vi.setSystemTime(new Date('2026-03-09T13:10:00Z')); // Monday 09:10 EDT: same UTC time, one hour later locally
    expect(resolve('+15550201')?.profile.id).toBe('sales');
  });

  it('keep the same agent with its after-hours greeting and extra instructions, when that is the choice', () => {
    const file = minimalAgent(
      'desk',
      '["*"]',
      [
        'greeting: { mode: model, instructions: Greet the caller. }',
        'businessHours:',
        '  timeZone: Europe/Berlin',
        '  weekly: { mon: ["08:00-16:00"], tue: ["08:00-16:00"] }',
        'afterHours:',
        '  greeting: { mode: model, instructions: Say we are closed and open at 8 tomorrow. }',
        '  instructions: The office is closed; no transfers are possible.',
      ].join('\n'),
    );
    const { resolve } = loadFolder(agentsFolder({ 'desk.yaml': file }));
    vi.setSystemTime(new Date('2026-07-07T09:00:00Z')); // Tuesday 11:00 CEST
    const open = resolve('+4930123')!;
    expect(open.profile.greeting).toEqual({ mode: 'model', instructions: 'Greet the caller.' });
    expect(open.profile.instructions).toBe('Be brief.');
    vi.setSystemTime(new Date('2026-07-07T15:00:00Z')); // Tuesday 17:00 CEST
    const closed = resolve('+4930123')!;
    expect(closed.profile.id).toBe('desk');
    expect(closed.profile.greeting).toEqual({ mode: 'model', instructions: 'Say we are closed and open at 8 tomorrow.' });
    expect(closed.profile.instructions).toBe('Be brief.\n\nThe office is closed; no transfers are possible.');
  });
});

describe('schedule arithmetic', () => {
  it('parses ranges and reads the local wall clock', () => {
    expect(parseRange('09:00-17:30')).toEqual([540, 1050]);
    expect(parseRange('00:00-24:00')).toEqual([0, 1440]);
    expect(parseRange('9-5')).toMatch(/write a range like "09:00-17:30"/);
    expect(parseRange('25:00-26:00')).toMatch(/hours are 00-23/);
    expect(localTime('Asia/Tokyo', new Date('2026-01-01T15:30:00Z'))).toEqual({ weekday: 'fri', date: '2026-01-02', minutes: 30 });
  });

  it('is open on the local date, not the UTC date', () => {
    const hours: BusinessHours = { timeZone: 'Pacific/Auckland', weekly: { fri: [[0, 1440]] }, holidays: new Set(['2026-01-09']) };
    expect(isOpen(hours, new Date('2026-01-01T12:00:00Z'))).toBe(true); // Friday 01:00 NZDT, Thursday in UTC
    expect(isOpen(hours, new Date('2026-01-08T12:00:00Z'))).toBe(false); // Friday 9 January: a holiday
  });
});

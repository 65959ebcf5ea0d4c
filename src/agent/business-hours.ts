/**
 * Is an agent's office open at a given instant? A weekly schedule of "HH:MM-HH:MM" ranges in an
 * IANA time zone, plus holiday dates (closed all day). The wall clock comes from Intl, so daylight
 * saving time is the time zone database's business, not ours.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessHours {
  timeZone: string;
  /** Open ranges per weekday, minutes since local midnight, [start, end). Missing days are closed. */
  weekly: Partial<Record<Weekday, Array<[number, number]>>>;
  /** Local dates (YYYY-MM-DD) on which the office is closed all day. */
  holidays: ReadonlySet<string>;
}

/** True when Intl knows the time zone (IANA names such as "America/New_York"). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** "09:00-17:30" → [540, 1050]; a string result is the problem, worded as a fix. */
export function parseRange(text: string): [number, number] | string {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return `"${text}": write a range like "09:00-17:30"`;
  const [sh, sm, eh, em] = match.slice(1).map(Number) as [number, number, number, number];
  if (sh > 23 || sm > 59 || eh > 24 || em > 59 || (eh === 24 && em > 0)) return `"${text}": hours are 00-23 (24:00 may end a range), minutes 00-59`;
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  if (end <= start) return `"${text}": the end must be after the start; split hours past midnight over two days`;
  return [start, end];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock in `timeZone` at `now`: weekday, local date and minutes since midnight. */
export function localTime(timeZone: string, now: Date): { weekday: Weekday; date: string; minutes: number } {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(now)) parts[part.type] = part.value;
  const weekday = (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday;
  return {
    weekday,
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

export function isOpen(hours: BusinessHours, now: Date): boolean {
  const local = localTime(hours.timeZone, now);
  if (hours.holidays.has(local.date)) return false;
  return (hours.weekly[local.weekday] ?? []).some(([start, end]) => local.minutes >= start && local.minutes < end);
}

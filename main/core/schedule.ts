// Cron schedules (five fields, read in the operator's display time zone, the one setting every time
// is shown in): validation and the next run after a given moment, both through croner.

import { Cron } from 'croner';

function parse(expression: string, timeZone?: string): Cron {
  return new Cron(expression.trim(), { paused: true, mode: '5-part', ...(timeZone ? { timezone: timeZone } : {}) });
}

/** Null when valid; otherwise a sentence saying what is wrong. */
export function scheduleProblem(expression: string): string | null {
  let cron: Cron;
  try {
    cron = parse(expression);
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, '') : String(err);
    return `is not a valid cron expression (${detail})`;
  }
  try {
    if (cron.nextRun(new Date()) === null) return 'never runs (no matching date)';
  } finally {
    cron.stop();
  }
  return null;
}

/** The next run strictly after `after`, with "02:00" read in `timeZone` (an IANA name; default the machine's). */
export function nextRunAfter(expression: string, after: Date, timeZone?: string): Date | null {
  try {
    const cron = parse(expression, timeZone);
    try {
      return cron.nextRun(after);
    } finally {
      cron.stop();
    }
  } catch {
    return null;
  }
}

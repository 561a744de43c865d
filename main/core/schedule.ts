// Cron schedules (five fields, in the machine's local time, as an operator reads them): validation
// and the next run after a given moment, both through croner.

import { Cron } from 'croner';

function parse(expression: string): Cron {
  return new Cron(expression.trim(), { paused: true, mode: '5-part' });
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

export function nextRunAfter(expression: string, after: Date): Date | null {
  try {
    const cron = parse(expression);
    try {
      return cron.nextRun(after);
    } finally {
      cron.stop();
    }
  } catch {
    return null;
  }
}

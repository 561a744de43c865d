// Formatting for what operators read: local absolute times with a relative hint, durations,
// schedules in words. Pure functions so they are tested without a DOM.

import { format } from 'date-fns';

export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "26 Nov 2026, 10:42" (or with seconds, where points minutes apart must be told apart). */
export function formatAbsolute(iso: string, opts: { seconds?: boolean } = {}): string {
  const d = parseTime(iso);
  if (!d) return iso;
  return format(d, opts.seconds ? 'd MMM yyyy, HH:mm:ss' : 'd MMM yyyy, HH:mm');
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", "in 12 min". */
export function formatRelative(iso: string, now: number): string {
  const d = parseTime(iso);
  if (!d) return '';
  const diff = now - d.getTime();
  const future = diff < 0;
  const abs = Math.abs(diff);
  const min = Math.floor(abs / 60_000);
  let text: string;
  // Under a minute either way reads as "just now": the shared clock ticks coarsely, so a fresh
  // timestamp can briefly look like it is in the future.
  if (min < 1) return 'just now';
  if (min < 60) text = `${min} min`;
  else if (min < 60 * 24) {
    const h = Math.floor(min / 60);
    text = `${h} h`;
  } else {
    const days = Math.floor(min / (60 * 24));
    text = days === 1 ? '1 day' : `${days} days`;
  }
  return future ? `in ${text}` : `${text} ago`;
}

/** "26 Nov 2026, 10:42 · 5 min ago". */
export function formatWhen(iso: string, now: number, opts: { seconds?: boolean } = {}): string {
  return `${formatAbsolute(iso, opts)} · ${formatRelative(iso, now)}`;
}

/** "850 ms", "4.2 s", "1 min 12 s", "2 h 3 min"; null when it never started. */
export function formatDuration(startIso: string | null, endIso: string | null, now: number): string | null {
  const start = parseTime(startIso);
  if (!start) return null;
  // Still running: measure against the real clock, not the coarse shared one.
  const end = parseTime(endIso)?.getTime() ?? Math.max(now, Date.now());
  const ms = Math.max(0, end - start.getTime());
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.floor(ms / 1000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)} min ${totalS % 60} s`;
  return `${Math.floor(totalS / 3600)} h ${Math.floor((totalS % 3600) / 60)} min`;
}

export const SCHEDULE_PRESETS = [
  { id: 'manual', label: 'Manual only', cron: null },
  { id: 'hourly', label: 'Every hour', cron: '0 * * * *' },
  { id: 'every4h', label: 'Every 4 hours', cron: '0 */4 * * *' },
  { id: 'daily', label: 'Daily at 02:00', cron: '0 2 * * *' },
] as const;

export type SchedulePresetId = (typeof SCHEDULE_PRESETS)[number]['id'] | 'custom';

export function describeSchedule(cron: string | null): string {
  if (cron === null) return 'Manual only';
  const normalized = cron.trim().replace(/\s+/g, ' ');
  const preset = SCHEDULE_PRESETS.find((p) => p.cron === normalized);
  return preset ? preset.label : `Custom: ${normalized}`;
}

export function schedulePresetOf(cron: string | null): SchedulePresetId {
  if (cron === null) return 'manual';
  const normalized = cron.trim().replace(/\s+/g, ' ');
  return SCHEDULE_PRESETS.find((p) => p.cron === normalized)?.id ?? 'custom';
}

/** An environment as "name (region)", without repeating a region the name already carries. */
export function environmentLabel(env: { name: string; region: string }): string {
  return env.name.toLowerCase().includes(env.region.toLowerCase()) ? env.name : `${env.name} (${env.region})`;
}

/** Adds "(simulated)" to a name unless the name already says so. */
export function withSimulatedSuffix(name: string, simulated: boolean): string {
  return simulated && !/simulated/i.test(name) ? `${name} (simulated)` : name;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}

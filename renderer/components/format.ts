// Formatting for what operators read: absolute times in the one display time zone (the setting
// main keeps; shared/time-format.ts writes them, with their UTC offset), relative hints,
// durations, schedules in words. Pure functions so they are tested without a DOM.

import { currentUtcOffset, formatTime, machineTimeZone } from '../../shared/time-format';

// The zone every time is written in. Until main's setting arrives the page's own zone stands in;
// the settings store sets it once loaded (and the app re-renders everything under the new zone).
let displayZone = machineTimeZone();

export function setDisplayTimeZone(zone: string): void {
  displayZone = zone;
}

export function displayTimeZone(): string {
  return displayZone;
}

export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

// Lists re-render rows often (a filter change, the clock's tick); the same instant in the same zone
// is written once. Bounded: emptied when it grows past a few thousand entries.
const absoluteCache = new Map<string, string>();
const ABSOLUTE_CACHE_MAX = 5_000;

/** "2026-11-26 11:42 UTC+01:00" (or with seconds, where points seconds apart must be told apart). */
export function formatAbsolute(iso: string, opts: { seconds?: boolean } = {}): string {
  const key = `${displayZone}\u0000${opts.seconds ? 1 : 0}\u0000${iso}`;
  const known = absoluteCache.get(key);
  if (known !== undefined) return known;
  const text = parseTime(iso) ? formatTime(iso, displayZone, opts) : iso;
  if (absoluteCache.size >= ABSOLUTE_CACHE_MAX) absoluteCache.clear();
  absoluteCache.set(key, text);
  return text;
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

/** "2026-11-26 11:42 UTC+01:00 · 5 min ago". */
export function formatWhen(iso: string, now: number, opts: { seconds?: boolean } = {}): string {
  return `${formatAbsolute(iso, opts)} · ${formatRelative(iso, now)}`;
}

/** "850 ms", "4.2 s", "1 min 12 s", "2 h 3 min"; null when it never started. */
export function formatDuration(startIso: string | null, endIso: string | null, now: number): string | null {
  const start = parseTime(startIso);
  if (!start) return null;
  // Still running: measure against the real clock, not the coarse shared one.
  const end = parseTime(endIso)?.getTime() ?? Math.max(now, Date.now());
  return formatMs(Math.max(0, end - start.getTime()));
}

/** A span of milliseconds as a person says it: "850 ms", "4.2 s", "1 min 12 s", "2 h 3 min". */
export function formatMs(ms: number): string {
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

/**
 * "Daily at 02:00 UTC+01:00 (Europe/Paris)": main reads schedules in the display zone, so any
 * schedule whose hours matter says which zone; "Every hour" and "Manual only" need none.
 */
export function describeSchedule(cron: string | null, zone: string = displayZone, now: Date = new Date()): string {
  if (cron === null) return 'Manual only';
  const normalized = cron.trim().replace(/\s+/g, ' ');
  const preset = SCHEDULE_PRESETS.find((p) => p.cron === normalized);
  if (preset?.id === 'hourly') return preset.label;
  const text = preset ? preset.label : `Custom: ${normalized}`;
  return `${text} ${currentUtcOffset(zone, now)} (${zone})`;
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

// toLocaleString builds a number format on every call; counters re-render on every filter change.
const COUNT_FORMAT = new Intl.NumberFormat('en-GB');

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${COUNT_FORMAT.format(n)} ${n === 1 ? one : many}`;
}

// The one way the console writes a moment for a person: in the time zone the operator chose in
// settings (default: the machine's local zone), always with its UTC offset, e.g.
// "2026-12-01 21:32 UTC+01:00". Pure (Intl only), so main (error sentences, reports) and the
// renderer (dialogs, tables, schedules) print the same text for the same instant.

/** The stored setting's value meaning "whatever zone this machine is in". */
export const LOCAL_TIME_ZONE = 'local';
/** IANA names are at most a few dozen characters; refuse anything longer before asking Intl. */
export const TIME_ZONE_MAX_LENGTH = 64;

/** The machine's IANA zone as the JavaScript runtime sees it (falls back to UTC when unknown). */
export function machineTimeZone(): string {
  try {
    return new Intl.DateTimeFormat('en-US').resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** True when Intl knows the zone ("UTC", "Europe/Paris", ...); "local" is not a zone name here. */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > TIME_ZONE_MAX_LENGTH) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The IANA zone a setting stands for: "local" (or nothing, or an unknown name) is the machine's. */
export function resolveTimeZone(setting: string | null | undefined): string {
  if (!setting || setting === LOCAL_TIME_ZONE || !isValidTimeZone(setting)) return machineTimeZone();
  return setting;
}

// Building an Intl formatter costs far more than using one, and tables format thousands of times.
const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClockFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(date: Date, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of wallClockFormatter(zone).formatToParts(date)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    // Some engines print midnight as 24 even with h23; it is the same day's 00.
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Minutes east of UTC that `zone` is at `date` (+60 for Paris in winter, -300 for New York). */
export function utcOffsetMinutes(date: Date, zone: string): number {
  return offsetOf(date, wallClock(date, zone));
}

function offsetOf(date: Date, w: WallClock): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const exact = Math.floor(date.getTime() / 1000) * 1000;
  return Math.round((asUtc - exact) / 60_000);
}

/** "UTC+01:00", "UTC-05:00", "UTC+05:45", "UTC+00:00". */
export function formatUtcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function toDate(value: string | Date | number): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export interface FormatTimeOptions {
  /** Show seconds, where points seconds apart must be told apart. */
  seconds?: boolean;
}

/**
 * "2026-12-01 21:32 UTC+01:00": the moment in `zone` (an IANA name, already resolved) with its
 * offset. An unparseable value is returned as it came, so a bad row never hides a whole table.
 */
export function formatTime(value: string | Date | number, zone: string, opts: FormatTimeOptions = {}): string {
  const d = toDate(value);
  if (!d) return String(value);
  const w = wallClock(d, zone);
  const time = opts.seconds ? `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` : `${pad(w.hour)}:${pad(w.minute)}`;
  // One formatToParts per call: tables format thousands of times.
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${time} ${formatUtcOffset(offsetOf(d, w))}`;
}

/** The offset a zone has right now, as a schedule's "at 02:00" is read in it: "UTC+01:00". */
export function currentUtcOffset(zone: string, now: Date = new Date()): string {
  return formatUtcOffset(utcOffsetMinutes(now, zone));
}

/** How the settings screen names a zone: "Europe/Paris (UTC+01:00)". */
export function describeTimeZone(zone: string, now: Date = new Date()): string {
  return `${zone} (${currentUtcOffset(zone, now)})`;
}

/** A formatter bound to one zone: what main and the renderer pass around. */
export interface TimeFormatter {
  /** The IANA zone every time is written in. */
  zone: string;
  format(value: string | Date | number, opts?: FormatTimeOptions): string;
}

export function timeFormatter(setting: string | null | undefined): TimeFormatter {
  const zone = resolveTimeZone(setting);
  return { zone, format: (value, opts) => formatTime(value, zone, opts) };
}

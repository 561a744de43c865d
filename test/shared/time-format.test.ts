import { describe, expect, it } from 'vitest';
import {
  LOCAL_TIME_ZONE,
  describeTimeZone,
  formatTime,
  formatUtcOffset,
  isValidTimeZone,
  machineTimeZone,
  resolveTimeZone,
  timeFormatter,
  utcOffsetMinutes,
} from '../../shared/time-format';

const WINTER = '2026-12-01T20:32:07.123Z';
const SUMMER = '2026-07-01T20:32:07.123Z';

describe('formatTime', () => {
  it('writes the moment in the chosen zone with its UTC offset', () => {
    expect(formatTime(WINTER, 'Europe/Paris')).toBe('2026-12-01 21:32 UTC+01:00');
    expect(formatTime(SUMMER, 'Europe/Paris')).toBe('2026-07-01 22:32 UTC+02:00');
    expect(formatTime(WINTER, 'UTC')).toBe('2026-12-01 20:32 UTC+00:00');
    expect(formatTime(WINTER, 'America/New_York')).toBe('2026-12-01 15:32 UTC-05:00');
  });

  it('handles zones with non-hour offsets and a date change across midnight', () => {
    expect(formatTime(WINTER, 'Asia/Kathmandu')).toBe('2026-12-02 02:17 UTC+05:45');
    expect(formatTime('2026-12-31T23:30:00Z', 'Asia/Tokyo')).toBe('2027-01-01 08:30 UTC+09:00');
  });

  it('shows seconds when asked and midnight as 00', () => {
    expect(formatTime(WINTER, 'UTC', { seconds: true })).toBe('2026-12-01 20:32:07 UTC+00:00');
    expect(formatTime('2026-12-01T23:00:00Z', 'Europe/Paris')).toBe('2026-12-02 00:00 UTC+01:00');
  });

  it('returns an unparseable value unchanged instead of throwing', () => {
    expect(formatTime('not a time', 'UTC')).toBe('not a time');
  });
});

describe('offsets and zones', () => {
  it('computes minutes east of UTC and writes them as UTC±hh:mm', () => {
    expect(utcOffsetMinutes(new Date(WINTER), 'Europe/Paris')).toBe(60);
    expect(utcOffsetMinutes(new Date(WINTER), 'America/St_Johns')).toBe(-210);
    expect(formatUtcOffset(-210)).toBe('UTC-03:30');
    expect(formatUtcOffset(0)).toBe('UTC+00:00');
  });

  it('knows IANA zones and refuses anything else', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('x'.repeat(100))).toBe(false);
  });

  it('resolves "local", nothing and unknown names to the machine zone, and keeps a known zone', () => {
    expect(resolveTimeZone(LOCAL_TIME_ZONE)).toBe(machineTimeZone());
    expect(resolveTimeZone(null)).toBe(machineTimeZone());
    expect(resolveTimeZone('Mars/Olympus')).toBe(machineTimeZone());
    expect(resolveTimeZone('Asia/Tokyo')).toBe('Asia/Tokyo');
  });

  it('names a zone with its current offset and binds a formatter to it', () => {
    expect(describeTimeZone('Europe/Paris', new Date(WINTER))).toBe('Europe/Paris (UTC+01:00)');
    const f = timeFormatter('Asia/Tokyo');
    expect(f.zone).toBe('Asia/Tokyo');
    expect(f.format(WINTER)).toBe('2026-12-02 05:32 UTC+09:00');
  });
});

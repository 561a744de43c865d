import { describe, expect, it } from 'vitest';
import {
  describeSchedule,
  environmentLabel,
  formatAbsolute,
  formatDuration,
  formatWhen,
  setDisplayTimeZone,
  formatRelative,
  schedulePresetOf,
  withSimulatedSuffix,
} from '../../renderer/components/format';

const NOW = Date.parse('2026-11-26T10:47:00Z');

describe('formatting for operators', () => {
  it('says how long ago a time was in minutes, hours and days', () => {
    expect(formatRelative('2026-11-26T10:42:00Z', NOW)).toBe('5 min ago');
    expect(formatRelative('2026-11-26T07:40:00Z', NOW)).toBe('3 h ago');
    expect(formatRelative('2026-11-25T10:00:00Z', NOW)).toBe('1 day ago');
    expect(formatRelative('2026-11-20T10:00:00Z', NOW)).toBe('6 days ago');
    expect(formatRelative('2026-11-26T11:00:00Z', NOW)).toBe('in 13 min');
  });

  it('calls anything within a minute either way "just now", so a coarse clock never shows the future', () => {
    expect(formatRelative('2026-11-26T10:46:30Z', NOW)).toBe('just now');
    expect(formatRelative('2026-11-26T10:47:20Z', NOW)).toBe('just now');
  });

  it('measures durations in the unit a person would use', () => {
    expect(formatDuration('2026-11-26T10:00:00.000Z', '2026-11-26T10:00:00.850Z', NOW)).toBe('850 ms');
    expect(formatDuration('2026-11-26T10:00:00Z', '2026-11-26T10:00:04.2Z', NOW)).toBe('4.2 s');
    expect(formatDuration('2026-11-26T10:00:00Z', '2026-11-26T10:01:12Z', NOW)).toBe('1 min 12 s');
    expect(formatDuration('2026-11-26T08:00:00Z', '2026-11-26T10:03:00Z', NOW)).toBe('2 h 3 min');
    expect(formatDuration(null, null, NOW)).toBeNull();
  });

  it('describes the schedule presets in words, with the zone their hours are read in, and keeps custom cron visible', () => {
    const winter = new Date(NOW);
    expect(describeSchedule(null)).toBe('Manual only');
    expect(describeSchedule('0 * * * *')).toBe('Every hour');
    expect(describeSchedule('0  */4 * * *', 'UTC', winter)).toBe('Every 4 hours UTC+00:00 (UTC)');
    expect(describeSchedule('0 2 * * *', 'Europe/Paris', winter)).toBe('Daily at 02:00 UTC+01:00 (Europe/Paris)');
    expect(describeSchedule('30 */6 * * 1-5', 'America/New_York', winter)).toBe('Custom: 30 */6 * * 1-5 UTC-05:00 (America/New_York)');
    expect(schedulePresetOf('0 2 * * *')).toBe('daily');
    expect(schedulePresetOf('5 4 * * *')).toBe('custom');
  });

  it('writes absolute times in the display zone with their UTC offset', () => {
    setDisplayTimeZone('Europe/Paris');
    try {
      expect(formatAbsolute('2026-11-26T10:42:07Z')).toBe('2026-11-26 11:42 UTC+01:00');
      expect(formatAbsolute('2026-11-26T10:42:07Z', { seconds: true })).toBe('2026-11-26 11:42:07 UTC+01:00');
      expect(formatWhen('2026-11-26T10:42:00Z', NOW)).toBe('2026-11-26 11:42 UTC+01:00 · 5 min ago');
      expect(formatAbsolute('garbage')).toBe('garbage');
    } finally {
      setDisplayTimeZone('UTC');
    }
  });

  it('does not repeat a region or the word simulated that a name already carries', () => {
    expect(environmentLabel({ name: 'Production', region: 'us-east-1' })).toBe('Production (us-east-1)');
    expect(environmentLabel({ name: 'Production (us-east-1)', region: 'us-east-1' })).toBe('Production (us-east-1)');
    expect(withSimulatedSuffix('Rehearsal AWS', true)).toBe('Rehearsal AWS (simulated)');
    expect(withSimulatedSuffix('Rehearsal AWS (simulated)', true)).toBe('Rehearsal AWS (simulated)');
    expect(withSimulatedSuffix('Prod AWS', false)).toBe('Prod AWS');
  });
});

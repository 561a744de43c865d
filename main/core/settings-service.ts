// Operator preferences kept in the settings table: today the one time-zone setting every time in
// the console, its error sentences and its reports are written in. Unknown stored values fall back
// to the machine's zone, so a database moved to another laptop still opens.

import type { SettingsView, SettingsUpdate } from '../../shared/domain';
import { LOCAL_TIME_ZONE, isValidTimeZone, machineTimeZone, resolveTimeZone, timeFormatter, type TimeFormatter } from '../../shared/time-format';
import type { SettingsRepo } from '../db/settings-repo';
import type { AuditLog } from './audit-log';
import type { EventBus } from './events';
import { invalid } from './errors';

/** Settings-table key of the display time zone ("local" or an IANA name). */
export const TIME_ZONE_KEY = 'display.timeZone';

/** The formatter for the zone stored in `settings` (the machine's local zone by default). */
export function timeFormatterOf(settings: SettingsRepo): TimeFormatter {
  return timeFormatter(settings.get(TIME_ZONE_KEY));
}

export interface SettingsServiceDeps {
  settings: SettingsRepo;
  audit: AuditLog;
  events: EventBus;
}

export class SettingsService {
  constructor(private readonly d: SettingsServiceDeps) {}

  get(): SettingsView {
    const stored = this.d.settings.get(TIME_ZONE_KEY);
    const timeZone = stored && (stored === LOCAL_TIME_ZONE || isValidTimeZone(stored)) ? stored : LOCAL_TIME_ZONE;
    return { timeZone, resolvedTimeZone: resolveTimeZone(timeZone), machineTimeZone: machineTimeZone() };
  }

  update(update: SettingsUpdate): SettingsView {
    if (update.timeZone !== undefined) {
      const tz = update.timeZone.trim();
      if (tz !== LOCAL_TIME_ZONE && !isValidTimeZone(tz)) {
        throw invalid(`"${tz.slice(0, 64)}" is not a time zone this machine knows; choose one from the list (for example UTC or Europe/Paris).`);
      }
      const before = this.get().timeZone;
      if (tz !== before) {
        this.d.settings.set(TIME_ZONE_KEY, tz);
        this.d.audit.record('operator', 'settings.timeZone', null, `${before} -> ${tz}`);
        // Schedules are read in this zone: the scheduler and every policy's "next run" re-read.
        this.d.events.emit('dr:policies.changed', { policyId: null });
      }
    }
    return this.get();
  }

  formatter(): TimeFormatter {
    return timeFormatterOf(this.d.settings);
  }
}

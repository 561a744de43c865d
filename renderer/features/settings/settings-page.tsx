// The Settings page: the one display time zone (the machine's local zone by default, or UTC or any
// IANA zone). Every time in the console, its refusal sentences, schedules and reports use it.

import { useEffect, useId, useMemo } from 'react';
import { LOCAL_TIME_ZONE, describeTimeZone, formatTime } from '../../../shared/time-format';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { useSettings } from './settings-store';

/** Every zone this runtime knows, UTC first (Intl.supportedValuesOf omits it on some engines). */
function knownZones(): string[] {
  const listed = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...listed.filter((z) => z !== 'UTC')];
}

export function SettingsPage() {
  const { settings, loadError, saving, saveError, load, setTimeZone } = useSettings();
  const now = useNow();
  const listed = useMemo(() => knownZones(), []);
  // A zone stored by another engine (or an alias such as Asia/Kathmandu) is still offered as chosen.
  const zones = settings && settings.timeZone !== LOCAL_TIME_ZONE && !listed.includes(settings.timeZone) ? [settings.timeZone, ...listed] : listed;
  const selectId = useId();
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Settings</h1>
          <p className="page-subtitle">Preferences of this console, kept in its local database.</p>
        </div>
      </div>
      {loadError && <ErrorAlert error={{ ...loadError, message: `Could not load the settings. ${loadError.message}` }} onRetry={() => void load()} />}
      {settings && (
        <section className="panel settings-panel" aria-labelledby="settings-time-title">
          <h2 id="settings-time-title" className="panel-title">
            Time zone
          </h2>
          <p className="muted">
            Every time the console shows (dialogs, jobs, recovery points, error messages, schedules and reports) is written in this zone,
            with its UTC offset. Schedules run at their hours in this zone.
          </p>
          <div className="field">
            <label htmlFor={selectId} className="field-label">
              Show times in
            </label>
            <select
              id={selectId}
              value={settings.timeZone}
              disabled={saving}
              aria-describedby={`${selectId}-now`}
              onChange={(e) => void setTimeZone(e.target.value)}
            >
              <option value={LOCAL_TIME_ZONE}>Local time of this machine — {describeTimeZone(settings.machineTimeZone, new Date(now))}</option>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
            <p id={`${selectId}-now`} className="field-hint tabular" role="status">
              Times are shown in {describeTimeZone(settings.resolvedTimeZone, new Date(now))}; now is{' '}
              {formatTime(now, settings.resolvedTimeZone)}.
            </p>
          </div>
          <ErrorAlert error={saveError ? { ...saveError, message: `The time zone was not changed. ${saveError.message}` } : null} compact />
        </section>
      )}
    </>
  );
}

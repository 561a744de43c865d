// The operator's preferences as main keeps them (dr:settings.*): today the display time zone. Loading
// or changing it sets the zone every formatted time uses, and bumps `zoneVersion` so the app
// re-renders its pages under the new zone.

import { create } from 'zustand';
import type { SettingsView } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';
import { setDisplayTimeZone } from '../../components/format';

interface SettingsState {
  settings: SettingsView | null;
  loadError: DrErrorData | null;
  saving: boolean;
  saveError: DrErrorData | null;
  /** Increments whenever the display zone changes; the app keys its pages on it. */
  zoneVersion: number;
  load: () => Promise<void>;
  setTimeZone: (timeZone: string) => Promise<boolean>;
}

export const useSettings = create<SettingsState>()((set, get) => {
  const apply = (settings: SettingsView) => {
    const changed = get().settings?.resolvedTimeZone !== settings.resolvedTimeZone;
    setDisplayTimeZone(settings.resolvedTimeZone);
    set({ settings, zoneVersion: changed ? get().zoneVersion + 1 : get().zoneVersion });
  };
  return {
    settings: null,
    loadError: null,
    saving: false,
    saveError: null,
    zoneVersion: 0,

    async load() {
      try {
        apply(await call('dr:settings.get', {}));
        set({ loadError: null });
      } catch (err) {
        set({ loadError: toErrorData(err) });
      }
    },

    async setTimeZone(timeZone) {
      set({ saving: true, saveError: null });
      try {
        apply(await call('dr:settings.update', { timeZone }));
        set({ saving: false });
        return true;
      } catch (err) {
        set({ saving: false, saveError: toErrorData(err) });
        return false;
      }
    },
  };
});

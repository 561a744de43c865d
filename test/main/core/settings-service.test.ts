import { describe, expect, it } from 'vitest';
import { machineTimeZone } from '../../../shared/time-format';
import { TIME_ZONE_KEY } from '../../../main/core/settings-service';
import { useTempDirs } from '../../helpers/temp-dir';
import { call, fail, open, protect, waitJob } from './failover/failover-bed';

const tempDir = useTempDirs('fc-settings-');

describe('the time-zone setting', () => {
  it('defaults to the machine zone, stores a chosen IANA zone and returns to local', async () => {
    const core = open(tempDir());
    try {
      expect(await call(core, 'dr:settings.get', {})).toEqual({ timeZone: 'local', resolvedTimeZone: machineTimeZone(), machineTimeZone: machineTimeZone() });
      const tokyo = await call(core, 'dr:settings.update', { timeZone: 'Asia/Tokyo' });
      expect(tokyo).toMatchObject({ timeZone: 'Asia/Tokyo', resolvedTimeZone: 'Asia/Tokyo' });
      expect(core.services.repos.settings.get(TIME_ZONE_KEY)).toBe('Asia/Tokyo');
      expect(core.services.settings.formatter().format('2026-12-01T20:32:00Z')).toBe('2026-12-02 05:32 UTC+09:00');
      expect((await call(core, 'dr:settings.update', { timeZone: 'local' })).resolvedTimeZone).toBe(machineTimeZone());
    } finally {
      await core.close();
    }
  });

  it('refuses a zone the runtime does not know with a sentence, and changes nothing', async () => {
    const core = open(tempDir());
    try {
      await call(core, 'dr:settings.update', { timeZone: 'UTC' });
      const err = await fail(core, 'dr:settings.update', { timeZone: 'Mars/Olympus' });
      expect(err.code).toBe('ValidationFailed');
      expect(err.message).toMatch(/"Mars\/Olympus" is not a time zone this machine knows/);
      expect((await call(core, 'dr:settings.get', {})).timeZone).toBe('UTC');
    } finally {
      await core.close();
    }
  });

  it('falls back to local when the stored value is not a zone (a database moved between machines)', async () => {
    const core = open(tempDir());
    try {
      core.services.repos.settings.set(TIME_ZONE_KEY, 'Nowhere/Special');
      expect((await call(core, 'dr:settings.get', {})).timeZone).toBe('local');
    } finally {
      await core.close();
    }
  });

  it('writes refusal sentences and the "latest" note of the confirmation in the chosen zone, with its offset', async () => {
    const core = open(tempDir());
    try {
      await call(core, 'dr:settings.update', { timeZone: 'Asia/Kathmandu' });
      const p = await protect(core, 'azure', ['azure.mysql-flexible']);
      const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
      const latest = core.services.settings.formatter().format(plan.latestRecoveryPoint.createdAt, { seconds: true });
      expect(latest).toMatch(/ UTC\+05:45$/);
      expect(plan.resources[0]!.note).toContain(`(${latest})`);
      await waitJob(core, (await call(core, 'dr:failover.start', { token: plan.token })).jobId);
      const refused = await fail(core, 'dr:failover.prepare', { policyId: p.policyId });
      expect(refused.message).toMatch(/has already been failed over \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+05:45\)/);
    } finally {
      await core.close();
    }
  });
});

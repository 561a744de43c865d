// The sim adapter as the core sees it: labelled as a simulation, a handler for every catalog type
// with the catalog's "latest point" rule, and a connection check that says what it is.

import { describe, expect, it } from 'vitest';
import { CLOUDS, RESOURCE_TYPES } from '../../../../shared/catalog';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { useTempDirs } from '../../../helpers/temp-dir';
import { Journal, account, env, handlerOf, openSimBed } from './sim-fixture';

const newDir = useTempDirs('fc-sim-prov-');

describe('sim provider adapter', () => {
  it('is the simulated rehearsal provider for all three clouds', () => {
    const bed = openSimBed(newDir());
    try {
      expect(bed.provider).toMatchObject({ kind: 'sim', label: 'Rehearsal (simulated)', simulated: true });
      expect([...bed.provider.clouds].sort()).toEqual([...CLOUDS].sort());
      expect(Object.isFrozen(bed.provider)).toBe(true);
    } finally {
      bed.close();
    }
  });

  it.each(RESOURCE_TYPES.map((t) => [t.id, t] as const))('has a handler for %s that follows the catalog', (id, info) => {
    const bed = openSimBed(newDir());
    try {
      const h = handlerOf(bed.provider, id);
      expect(h.type).toBe(id);
      expect(h.usesLatestPoint).toBe(info.usesLatestPoint);
    } finally {
      bed.close();
    }
  });

  it('answers a connection check with a simulated identity and a plain message', async () => {
    const bed = openSimBed(newDir());
    try {
      const check = await bed.provider.testConnection(account('gcp', 'acct-42'), new AbortController().signal);
      expect(check.identity).toBe('simulated:acct-42');
      expect(check.message).toMatch(/local simulation/i);
      await expect(
        bed.provider.testConnection({ ...account('aws'), provider: 'aws' }, new AbortController().signal),
      ).rejects.toMatchObject({ code: 'PreconditionFailed' });
    } finally {
      bed.close();
    }
  });

  it('refuses a step whose accounts belong to another cloud than the type, changing nothing', async () => {
    const bed = openSimBed(newDir());
    try {
      const azure = account('azure');
      const ctx = new Journal().ctx({ key: 'k', jobId: 'j', policyId: 'p', source: env(azure, 'eastus'), target: env(azure, 'westus2') });
      const err = await handlerOf(bed.provider, 'aws.rds')
        .replicate({ id: 'pr', policyId: 'p', type: 'aws.rds', nativeId: 'arn:aws:rds:us-east-1:1:db:x', name: 'x' }, ctx)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderFailure);
      expect(err).toMatchObject({ code: 'PreconditionFailed', message: expect.stringContaining('Amazon Web Services') });
      expect(bed.db.prepare('SELECT COUNT(*) FROM sim_resources').pluck().get()).toBe(0);
    } finally {
      bed.close();
    }
  });
});

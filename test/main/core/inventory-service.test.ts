import { describe, expect, it } from 'vitest';
import { resourceTypesFor } from '../../../shared/catalog';
import { ProviderFailure } from '../../../main/providers/provider-failure';
import { createFakeProvider } from '../../helpers/fake-provider';
import { createTestCore, seedAwsPair } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('inventory discovery', () => {
  it('asks the handler of every catalog type of the environment cloud, and only those', async () => {
    const seen: string[] = [];
    const core = createTestCore(tempDir(), {
      adapters: [
        createFakeProvider({
          discover: (ctx, type) => {
            seen.push(`${ctx.env.region}:${type}`);
            return Promise.resolve([{ type, nativeId: `${type}-1`, name: 'one', region: ctx.env.region, tags: {}, summary: '' }]);
          },
        }),
      ],
    });
    const { inventory } = await seedAwsPair(core);
    const awsTypes = resourceTypesFor('aws').map((t) => t.id);
    expect(seen.sort()).toEqual(awsTypes.map((t) => `us-east-1:${t}`).sort());
    expect(inventory.map((r) => r.type).sort()).toEqual([...awsTypes].sort());
    await core.close();
  });

  it('passes provider failures through with their code', async () => {
    const core = createTestCore(tempDir());
    const { source } = await seedAwsPair(core);
    const failing = createTestCore(tempDir(), {
      adapters: [createFakeProvider({ discover: () => Promise.reject(new ProviderFailure('ProviderThrottled', 'Slow down.', { retryAfterMs: 10 })) })],
    });
    const acc = await failing.call('dr:accounts.create', { name: 'A', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
    const env = await failing.call('dr:environments.create', { accountId: acc.id, name: 'E', region: 'us-east-1', scope: '' });
    expect(await failing.fail('dr:inventory.discover', { environmentId: env.id })).toEqual({ code: 'ProviderThrottled', message: 'Slow down.' });
    expect((await core.fail('dr:inventory.discover', { environmentId: 'env_nope' })).code).toBe('NotFound');
    expect(source.id).toBeTruthy();
    await core.close();
    await failing.close();
  });

  it('maps unexpected adapter errors to ProviderError without leaking their text', async () => {
    const core = createTestCore(tempDir(), {
      adapters: [createFakeProvider({ discover: () => Promise.reject(new Error('socket hang up token=abc123')) })],
    });
    const acc = await core.call('dr:accounts.create', { name: 'A', provider: 'sim', cloud: 'gcp', credentials: { kind: 'none' } });
    const env = await core.call('dr:environments.create', { accountId: acc.id, name: 'E', region: 'us-central1', scope: '' });
    const err = await core.fail('dr:inventory.discover', { environmentId: env.id });
    expect(err.code).toBe('ProviderError');
    expect(err.message).not.toContain('abc123');
    await core.close();
  });
});

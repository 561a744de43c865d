// The conformance suite must be able to fail: an adapter broken on purpose (it makes again, on a
// resumed attempt, what the interrupted one made) is caught by the same check the real adapters pass.
// (An adapter that declares another recovery-point rule than the catalog is refused by the registry:
// test/main/providers/registry.test.ts.)

import { describe, expect, it } from 'vitest';
import type { ProviderAdapter, ResourceHandler } from '../../main/providers/types';
import { replayDifferences } from './adapter-conformance';
import { simPeer } from './sim-peer';

/** The sim, except that a resumed failover answers (and so maps) everything it made twice. */
function duplicatingOnResume(adapter: ProviderAdapter): ProviderAdapter {
  return {
    ...adapter,
    dispose: () => adapter.dispose(),
    testConnection: (a, s) => adapter.testConnection(a, s),
    handler(type) {
      const h = adapter.handler(type);
      if (!h) return undefined;
      const broken: ResourceHandler = {
        ...h,
        type: h.type,
        usesLatestPoint: h.usesLatestPoint,
        discover: (ctx) => h.discover(ctx),
        replicate: (r, ctx) => h.replicate(r, ctx),
        testFailover: (i, ctx) => h.testFailover(i, ctx),
        reset: (c, ctx) => h.reset(c, ctx),
        stopReplication: (r, ctx) => h.stopReplication(r, ctx),
        async failover(item, ctx) {
          const resumed = ctx.operations().length > 0;
          const mapping = await h.failover(item, ctx);
          return resumed ? [...mapping, ...mapping.map((m) => ({ ...m, reused: false }))] : mapping;
        },
      };
      return broken;
    },
  };
}

describe('the adapter conformance suite', () => {
  it('catches an adapter that makes again, on a resumed attempt, what the interrupted one made', { timeout: 120_000 }, async () => {
    const { ops, differences } = await replayDifferences(simPeer('aws', duplicatingOnResume), 'aws.ec2-instance', 'failover');
    expect(ops).toBeGreaterThan(1);
    // Every cut leaves a journal, so every replay is a resumed attempt and answers twice over.
    expect(differences.length).toBeGreaterThanOrEqual(ops * 2);
    expect(differences[0]).toMatch(/failover of aws\.ec2-instance cut at operation 1 of \d+ \(before-call\): the step answered missing \[\], extra \[/);
  });

  it('passes the same adapter when it is not broken', { timeout: 120_000 }, async () => {
    expect((await replayDifferences(simPeer('aws'), 'aws.ec2-instance', 'failover')).differences).toEqual([]);
  });
});

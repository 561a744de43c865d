// The sim provider's conformance peer: the simulated cloud in a fresh SQLite file per world (ids
// derive from idempotency keys, so two worlds that went through the same steps line up exactly).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCE_TYPE_IDS, resourceType, type Cloud, type ResourceTypeId } from '../../shared/catalog';
import { scopeFromText } from '../../shared/scope';
import { openDatabase } from '../../main/db/connection';
import { createSimProvider, simLiveResources } from '../../main/providers/sim';
import type { EnvRef, ProviderAdapter, ResolvedAccount } from '../../main/providers/types';
import { FakeClock } from '../helpers/fake-clock';
import type { ConformancePeer, ConformanceWorld } from './adapter-conformance';

const REGIONS: Record<Cloud, [string, string]> = {
  azure: ['eastus', 'westus2'],
  aws: ['us-east-1', 'us-west-2'],
  gcp: ['us-central1', 'europe-west1'],
};

const IAM_KINDS = /role|policy|principal|serviceaccount|binding|instanceprofile|identity/i;

function account(cloud: Cloud): ResolvedAccount {
  return { id: `acct-conf-${cloud}`, name: `Conformance ${cloud}`, provider: 'sim', cloud, credentials: { kind: 'none' } };
}

function envRef(acct: ResolvedAccount, region: string): EnvRef {
  return { environmentId: `env-${acct.id}-${region}`, account: acct, region, scope: scopeFromText(acct.cloud, region, '') };
}

/** Worlds are per cloud: a type's source, target and other target live in its cloud's sim account. */
export function openSimWorld(cloud: Cloud, latency = { baseMs: 0, jitterMs: 0 }): ConformanceWorld & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fc-conf-sim-'));
  const db = openDatabase(join(dir, 'console.sqlite'));
  const adapter = createSimProvider({ db, clock: new FakeClock(), latency });
  const acct = account(cloud);
  const [s, t] = REGIONS[cloud];
  const source = envRef(acct, s);
  // Everything the console made; for IAM, every principal of the account (the customer's own
  // included: those are what a failover must reuse).
  const lines = (iamOnly: boolean) =>
    simLiveResources(db, { accountId: acct.id })
      .filter((r) => (iamOnly ? IAM_KINDS.test(r.kind) : r.origin !== 'inventory'))
      .map((r) => `${r.origin}|${r.kind}|${r.region}|${r.nativeId}|${JSON.stringify(r.tags)}`)
      .sort();
  return {
    dir,
    adapter,
    source,
    target: envRef(acct, t),
    async protect(type: ResourceTypeId) {
      const found = (await adapter.handler(type)!.discover({ env: source, signal: new AbortController().signal }))[0];
      if (!found) throw new Error(`the sim has no ${type} in ${s}`);
      return { id: `pr-${type}`, policyId: 'pol-conformance', type, nativeId: found.nativeId, name: found.name };
    },
    census: () => Promise.resolve(lines(false)),
    iamCensus: () => Promise.resolve(lines(true)),
    async close() {
      await adapter.dispose();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The peer for one cloud's types of the sim (each world holds that cloud's sim account). */
export function simPeer(cloud: Cloud, wrap: (adapter: ProviderAdapter) => ProviderAdapter = (a) => a): ConformancePeer {
  return {
    name: `sim (${cloud})`,
    types: RESOURCE_TYPE_IDS.filter((t) => resourceType(t).cloud === cloud),
    // The sim serves every cloud's types; the conformance worlds are per cloud.
    servesOtherTypes: true,
    open: () => {
      const world = openSimWorld(cloud);
      return Promise.resolve({ ...world, adapter: wrap(world.adapter) });
    },
    openStalled: () => {
      // The same simulated cloud, answering each call after a billion milliseconds: only abort ends it.
      const world = openSimWorld(cloud, { baseMs: 1e9, jitterMs: 0 });
      return Promise.resolve({ adapter: wrap(world.adapter), source: world.source, close: () => world.close() });
    },
    secrets: [],
  };
}

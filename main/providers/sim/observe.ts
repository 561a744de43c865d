// Reports the reachability of every simulated call per account (the connectivity indicator), by
// wrapping the sim's handlers and target store: the sim network is all or nothing, so a call's
// outcome speaks for every account it touched.

import { ProviderFailure } from '../provider-failure';
import type { TargetStore } from '../target-store';
import type { CallOutcomeListener, EnvRef, ResourceHandler, StepContext } from '../types';

async function observed<T>(accounts: string[], report: CallOutcomeListener, run: () => Promise<T>): Promise<T> {
  try {
    const value = await run();
    for (const accountId of accounts) report({ accountId, reachable: true });
    return value;
  } catch (err) {
    if (err instanceof ProviderFailure && err.code === 'ProviderOffline') {
      for (const accountId of accounts) report({ accountId, reachable: false, message: err.message });
    } else if (!(err instanceof ProviderFailure && err.code === 'Cancelled')) {
      for (const accountId of accounts) report({ accountId, reachable: true });
    }
    throw err;
  }
}

const both = (ctx: StepContext) => [...new Set([ctx.source.account.id, ctx.target.account.id])];

export function observeHandler(h: ResourceHandler, report: CallOutcomeListener): ResourceHandler {
  return {
    type: h.type,
    usesLatestPoint: h.usesLatestPoint,
    discover: (ctx) => observed([ctx.env.account.id], report, () => h.discover(ctx)),
    replicate: (r, ctx) => observed(both(ctx), report, () => h.replicate(r, ctx)),
    testFailover: (i, ctx) => observed([ctx.target.account.id], report, () => h.testFailover(i, ctx)),
    reset: (c, ctx) => observed([ctx.target.account.id], report, () => h.reset(c, ctx)),
    failover: (i, ctx) => observed([ctx.target.account.id], report, () => h.failover(i, ctx)),
    stopReplication: (r, ctx) => observed(both(ctx), report, () => h.stopReplication(r, ctx)),
  };
}

export function observeStore(s: TargetStore, report: CallOutcomeListener): TargetStore {
  const one = (env: EnvRef) => [env.account.id];
  return {
    createLease: (env, lease, signal) => observed(one(env), report, () => s.createLease(env, lease, signal)),
    replaceLease: (env, lease, v, signal) => observed(one(env), report, () => s.replaceLease(env, lease, v, signal)),
    readLease: (env, id, signal) => observed(one(env), report, () => s.readLease(env, id, signal)),
    putManifest: (env, m, signal) => observed(one(env), report, () => s.putManifest(env, m, signal)),
    scan: (env, signal) => observed(one(env), report, () => s.scan(env, signal)),
  };
}

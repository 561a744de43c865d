// The sim provider: a local, simulated cloud for all fifteen resource types, kept in the console's
// own SQLite file. It is the offline rehearsal workspace and the bed for engine tests and benchmarks.

import type { ResourceTypeId } from '../../../shared/catalog';
import { CLOUDS } from '../../../shared/catalog';
import { systemClock, type Clock } from '../../core/clock';
import type { Db } from '../../db/connection';
import { ProviderFailure } from '../provider-failure';
import type { CallOutcomeListener, ProviderAdapter, ResourceHandler } from '../types';
import { computeHandler } from './compute-family';
import type { SimWorld } from './handler-base';
import { SimInventory } from './inventory';
import { replicaHandler } from './replica-family';
import { SimCloud, cancelled, type SimFaults, type SimLatency, type SimNetwork } from './sim-cloud';
import { createSimTargetStore } from './target-store';
import { observeHandler, observeStore } from './observe';
import { SIM_TYPE_SPECS } from './sim-types';

export type { SimFaults, SimLatency, SimNetwork, SimOperation } from './sim-cloud';
export type { SimOrigin, SimResource } from './sim-store';
export {
  simFindResource,
  simInventory,
  simLiveResources,
  simMutateSource,
  simResourcesByStep,
  simSeedResource,
} from './sim-helpers';
export { TEST_PREFIX } from './naming';

export interface SimProviderOptions {
  db: Db;
  clock?: Clock;
  /** Simulated time per API call; default none (tests). The app passes a few hundred ms. */
  latency?: SimLatency;
  faults?: SimFaults;
  /** Source of randomness for jitter and faults; seed it for reproducible runs. */
  random?: () => number;
  /** The simulated network; flip `online` to rehearse (or test) a console with no network. */
  network?: SimNetwork;
}

export type SimProvider = ProviderAdapter & { readonly simulated: true };

export const SIM_PROVIDER_LABEL = 'Rehearsal (simulated)';

export function createSimProvider(opts: SimProviderOptions): SimProvider {
  const cloud = new SimCloud({
    db: opts.db,
    clock: opts.clock ?? systemClock,
    ...(opts.latency ? { latency: opts.latency } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.random ? { random: opts.random } : {}),
    ...(opts.network ? { network: opts.network } : {}),
  });
  const observers = new Set<CallOutcomeListener>();
  const report: CallOutcomeListener = (o) => {
    for (const l of observers) l(o);
  };
  const world: SimWorld = { cloud, inventory: new SimInventory(cloud, SIM_TYPE_SPECS) };
  const handlers = new Map<ResourceTypeId, ResourceHandler>(
    SIM_TYPE_SPECS.map((spec) => [
      spec.type,
      Object.freeze(observeHandler(spec.family === 'replica' ? replicaHandler(world, spec) : computeHandler(world, spec), report)),
    ]),
  );

  return Object.freeze({
    kind: 'sim' as const,
    label: SIM_PROVIDER_LABEL,
    simulated: true as const,
    clouds: CLOUDS,
    async testConnection(account, signal) {
      if (signal.aborted) throw cancelled();
      if (account.provider !== 'sim') {
        throw new ProviderFailure(
          'PreconditionFailed',
          `The account ${account.name} uses the ${account.provider} provider, not the rehearsal simulation.`,
        );
      }
      try {
        await cloud.wait(signal, 'check the connection');
      } catch (err) {
        if (err instanceof ProviderFailure && err.code === 'ProviderOffline') report({ accountId: account.id, reachable: false, message: err.message });
        throw err;
      }
      report({ accountId: account.id, reachable: true });
      return {
        identity: `simulated:${account.id}`,
        message: `Connected to a local simulation of ${account.cloud.toUpperCase()}: nothing leaves this computer, and every resource lives in the console's data file.`,
      };
    },
    handler(type: ResourceTypeId) {
      return handlers.get(type);
    },
    // The simulated cloud lives in the console's own database, which the core closes after this.
    dispose: () => Promise.resolve(),
    targetStore: observeStore(createSimTargetStore(opts.db, opts.clock ?? systemClock, cloud.network), report),
    observeCalls(listener: CallOutcomeListener) {
      observers.add(listener);
      return () => observers.delete(listener);
    },
  } satisfies SimProvider);
}

// A small in-memory ProviderAdapter for core tests: deterministic inventory per environment, a
// replicate that records an intent first, and hooks to inject failures, delays and bad results.

import { resourceTypesFor, RESOURCE_TYPES, type Cloud, type ResourceTypeId } from '../../shared/catalog';
import type { DiscoveredResource, ProviderKind } from '../../shared/domain';
import { ProviderFailure } from '../../main/providers/provider-failure';
import { describeScope, type EnvScope } from '../../shared/scope';
import type {
  CapturedItem,
  ConnectionCheck,
  DiscoverContext,
  ProtectedResourceRef,
  ProviderAdapter,
  ResolvedAccount,
  ResourceHandler,
  StepContext,
} from '../../main/providers/types';

export interface FakeProviderOptions {
  kind?: ProviderKind;
  label?: string;
  simulated?: boolean;
  clouds?: Cloud[];
  /** Resources per type per environment in discovery. */
  perType?: number;
  /** Types this provider has no handler for. */
  unsupported?: ResourceTypeId[];
  /** Replaces the default replicate; `attempt` counts calls for this resource (1-based). */
  replicate?: (resource: ProtectedResourceRef, ctx: StepContext, attempt: number) => Promise<unknown>;
  discover?: (ctx: DiscoverContext, type: ResourceTypeId) => Promise<DiscoveredResource[]>;
  testConnection?: (account: ResolvedAccount) => Promise<ConnectionCheck>;
}

export interface FakeProvider extends ProviderAdapter {
  /** Every replicate call, in order. */
  readonly calls: { resourceId: string; idempotencyKey: string; attempt: number; previousIntent: unknown }[];
  readonly accountsSeen: ResolvedAccount[];
  /** How many times the core disposed it (once, when it closed). */
  disposed: number;
}

export function fakeInventory(env: { region: string; scope: EnvScope }, type: ResourceTypeId, count: number): DiscoveredResource[] {
  return Array.from({ length: count }, (_, i) => ({
    type,
    nativeId: `${describeScope(env.scope) || 'scope'}/${env.region}/${type}/${i + 1}`,
    name: `${type.split('.')[1]}-${i + 1}`,
    region: env.region,
    tags: { env: 'prod' },
    summary: `fake ${type} #${i + 1}`,
  }));
}

export function createFakeProvider(opts: FakeProviderOptions = {}): FakeProvider {
  const clouds = opts.clouds ?? ['aws', 'azure', 'gcp'];
  const calls: FakeProvider['calls'] = [];
  const accountsSeen: ResolvedAccount[] = [];
  const attempts = new Map<string, number>();
  const handlers = new Map<ResourceTypeId, ResourceHandler>();
  for (const info of RESOURCE_TYPES) {
    if (!clouds.includes(info.cloud) || opts.unsupported?.includes(info.id)) continue;
    handlers.set(info.id, {
      type: info.id,
      usesLatestPoint: info.usesLatestPoint,
      discover: (ctx) =>
        opts.discover ? opts.discover(ctx, info.id) : Promise.resolve(fakeInventory(ctx.env, info.id, opts.perType ?? 2)),
      async replicate(resource, ctx) {
        const attempt = (attempts.get(ctx.idempotencyKey) ?? 0) + 1;
        attempts.set(ctx.idempotencyKey, attempt);
        const previousIntent = ctx.operations().find((o) => o.opKey === 'replicate')?.intent ?? null;
        calls.push({ resourceId: resource.id, idempotencyKey: ctx.idempotencyKey, attempt, previousIntent });
        if (opts.replicate) return (await opts.replicate(resource, ctx, attempt)) as CapturedItem;
        await ctx.mutate('replicate', { family: 'fake', intent: { clientToken: ctx.idempotencyKey, attempt }, call: async () => undefined });
        return {
          metadata: { nativeId: resource.nativeId, name: resource.name, region: ctx.source.region },
          dataRefs: [{ kind: 'snapshot', id: `snap-${resource.id}-${attempt}`, region: ctx.target.region }],
        };
      },
      testFailover: () => Promise.reject(new ProviderFailure('ProviderError', 'not in the fake')),
      reset: () => Promise.resolve(),
      failover: () => Promise.reject(new ProviderFailure('ProviderError', 'not in the fake')),
      stopReplication: () => Promise.resolve(),
    });
  }
  return {
    kind: opts.kind ?? 'sim',
    label: opts.label ?? 'Fake cloud',
    simulated: opts.simulated ?? true,
    clouds,
    calls,
    disposed: 0,
    dispose() {
      this.disposed++;
      return Promise.resolve();
    },
    accountsSeen,
    async testConnection(account) {
      accountsSeen.push(account);
      if (opts.testConnection) return opts.testConnection(account);
      return { identity: `fake:${account.name}`, message: 'Connected to the fake cloud.' };
    },
    handler: (type) => handlers.get(type),
  };
}

export { resourceTypesFor };

// The provider registry: which adapter serves each provider kind. Composed once in main/compose.ts;
// the core asks it for adapters and handlers and gets a clear error when one is missing.

import { RESOURCE_TYPE_IDS, resourceType, type ResourceTypeId } from '../../shared/catalog';
import type { ProviderKind } from '../../shared/domain';
import { ProviderFailure } from './provider-failure';
import type { ProviderAdapter, ResourceHandler } from './types';

export class ProviderRegistry {
  private readonly byKind: ReadonlyMap<ProviderKind, ProviderAdapter>;

  constructor(adapters: readonly ProviderAdapter[]) {
    const map = new Map<ProviderKind, ProviderAdapter>();
    for (const a of adapters) {
      // Two adapters for one kind would make which one runs a failover an accident of order.
      if (map.has(a.kind)) throw new Error(`Two providers registered for kind "${a.kind}"`);
      checkAgainstCatalog(a);
      map.set(a.kind, a);
    }
    this.byKind = map;
  }

  has(kind: ProviderKind): boolean {
    return this.byKind.has(kind);
  }

  find(kind: ProviderKind): ProviderAdapter | undefined {
    return this.byKind.get(kind);
  }

  /** The adapter for a kind; PreconditionFailed when this build has none. */
  get(kind: ProviderKind): ProviderAdapter {
    const adapter = this.byKind.get(kind);
    if (!adapter) {
      throw new ProviderFailure(
        'PreconditionFailed',
        `No provider for "${kind}" is available in this build of the console; use an account on one of: ${[...this.byKind.keys()].join(', ') || 'none'}.`,
      );
    }
    return adapter;
  }

  /** The handler for a resource type on a provider; PreconditionFailed when unsupported. */
  handler(kind: ProviderKind, type: ResourceTypeId): ResourceHandler {
    const adapter = this.get(kind);
    const handler = adapter.handler(type);
    if (!handler) {
      throw new ProviderFailure('PreconditionFailed', `The ${adapter.label} provider does not support resource type ${type}.`);
    }
    return handler;
  }

  list(): ProviderAdapter[] {
    return [...this.byKind.values()];
  }
}

const pointRule = (latest: boolean) => (latest ? 'the latest recovery point' : 'the selected recovery point');

/**
 * What a handler declares must be what shared/catalog.ts says (R6 is decided by the catalog): an
 * adapter that disagrees is a programming error, refused when the console starts, not a failover
 * that quietly uses another point than the confirmation said.
 */
function checkAgainstCatalog(adapter: ProviderAdapter): void {
  for (const type of RESOURCE_TYPE_IDS) {
    const h = adapter.handler(type);
    if (!h) continue;
    if (h.type !== type) throw new Error(`${adapter.label} serves ${type} with a handler for ${h.type}.`);
    const info = resourceType(type);
    if (!adapter.clouds.includes(info.cloud)) throw new Error(`${adapter.label} serves ${type} but does not list the ${info.cloud} cloud.`);
    if (h.usesLatestPoint !== info.usesLatestPoint) {
      throw new Error(
        `${adapter.label} declares ${type} as using ${pointRule(h.usesLatestPoint)}, but shared/catalog.ts says failover uses ${pointRule(info.usesLatestPoint)}; derive it from the catalog.`,
      );
    }
  }
}

// Discovery: asks the environment's provider, type by type, what lives there. Provider errors
// arrive as ProviderFailure (mapped to their codes by the router); anything else becomes ProviderError.

import { resourceTypesFor } from '../../shared/catalog';
import { DiscoveredResource } from '../../shared/domain';
import type { Repos } from '../db/repos';
import { ProviderFailure } from '../providers/provider-failure';
import { DomainError, notFound } from './errors';
import type { Logger } from './logger';
import type { ProviderRegistry } from './provider-registry';

const DISCOVERY_TIMEOUT_MS = 120_000;

export interface InventoryServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  logger: Logger;
}

export class InventoryService {
  constructor(private readonly d: InventoryServiceDeps) {}

  async discover(environmentId: string, signal: AbortSignal = AbortSignal.timeout(DISCOVERY_TIMEOUT_MS)): Promise<DiscoveredResource[]> {
    const env = this.d.repos.environments.get(environmentId);
    if (!env) throw notFound('Environment', environmentId);
    const adapter = this.d.providers.get(env.provider);
    const ref = this.d.providers.envRef(environmentId);
    const found: DiscoveredResource[] = [];
    for (const type of resourceTypesFor(env.cloud)) {
      const handler = adapter.handler(type.id);
      if (!handler) continue;
      let batch: DiscoveredResource[];
      try {
        batch = await handler.discover({ env: ref, signal });
      } catch (err) {
        if (err instanceof ProviderFailure || err instanceof DomainError) throw err;
        if (signal.aborted) throw new ProviderFailure('ProviderUnavailable', `Discovery in ${env.name} timed out; try again.`);
        this.d.logger.error(`Discovery of ${type.id} in ${environmentId} failed`, err);
        throw new ProviderFailure('ProviderError', `Discovering ${type.label} resources in ${env.name} failed; the details are in the log.`);
      }
      for (const item of batch) {
        const parsed = DiscoveredResource.safeParse(item);
        // A malformed entry from an adapter is dropped (and logged) rather than failing the whole list.
        if (parsed.success && parsed.data.type === type.id) found.push(parsed.data);
        else this.d.logger.warn(`Discovery of ${type.id} returned a malformed resource; skipped`);
      }
    }
    return found;
  }
}

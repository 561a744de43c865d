// The Azure provider: the real @azure/arm-* clients behind the provider port, signed in with MSAL
// (auth.ts, credential.ts). Tests point every client at the ARM peer through `armEndpoint`, with
// `allowInsecureConnection` and a test `authPolicy` (clients.ts).

import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { ResourceTypeId } from '../../../shared/catalog';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { ConnectionCheck, DiscoverContext, EnvRef, ProviderAdapter, ResolvedAccount, ResourceHandler } from '../types';
import { createAksHandler } from './aks';
import { AzureContext, type AzureProviderOptions, type CallContext } from './clients';
import { createMysqlFlexibleHandler } from './mysql-flexible';
import { createPostgresqlFlexibleHandler } from './postgresql-flexible';
import { createSqlDatabaseHandler } from './sql-database';
import { createStorageAccountHandler } from './storage-account';
import { createAzureTargetStore } from './target-store';
import { createAzureVmHandler } from './vm';

export { AzureContext, type AzureProviderOptions } from './clients';

/** The Azure types, in the order the resource picker lists them; a handler registers in AZURE_HANDLERS. */
export const AZURE_TYPES: readonly ResourceTypeId[] = ['azure.vm', 'azure.sql-database', 'azure.storage-account', 'azure.aks', 'azure.mysql-flexible', 'azure.postgresql-flexible'];

/** Every handler factory of the provider (each helper adds its types here). */
export const AZURE_HANDLERS: ReadonlyArray<(az: AzureContext) => ResourceHandler> = [createAzureVmHandler, createSqlDatabaseHandler, createStorageAccountHandler, createAksHandler, createMysqlFlexibleHandler, createPostgresqlFlexibleHandler];

/** Subscriptions_List's api-version (Microsoft.Resources/subscriptions, stable 2022-12-01). */
const SUBSCRIPTIONS_API_VERSION = '2022-12-01';

export interface AzureSubscription {
  subscriptionId: string;
  displayName: string;
  state: string;
  tenantId?: string;
}

export interface AzureProvider extends ProviderAdapter {
  readonly simulated: false;
  /** The clients and helpers the handlers share (tests read state back through the same clients). */
  readonly azure: AzureContext;
  /** Every supported type's resources in one environment (the policy's resource picker). */
  discover(env: EnvRef, signal: AbortSignal): Promise<DiscoveredResource[]>;
  /** The subscriptions the account can see (GET /subscriptions). */
  listSubscriptions(account: ResolvedAccount, signal: AbortSignal): Promise<AzureSubscription[]>;
  /** Resource group names of a subscription (arm-resources resourceGroups.list). */
  listResourceGroups(account: ResolvedAccount, subscriptionId: string, signal: AbortSignal): Promise<{ name: string; location: string }[]>;
  close(): void;
}

/** The subscription an account names (the sign-in kinds may carry one), if any. */
function namedSubscription(account: ResolvedAccount): string | undefined {
  const s = (account.credentials as { subscriptionId?: unknown }).subscriptionId;
  return typeof s === 'string' && s.length > 0 ? s : undefined;
}

export function createAzureProvider(opts: AzureProviderOptions = {}): AzureProvider {
  const az = new AzureContext(opts);
  const handlers = new Map<ResourceTypeId, ResourceHandler>();
  for (const make of AZURE_HANDLERS) {
    const h = make(az);
    handlers.set(h.type, h);
  }

  async function listSubscriptions(account: ResolvedAccount, signal: AbortSignal): Promise<AzureSubscription[]> {
    // arm-resources has no subscriptions operation group: the same pipeline (auth, rate policy) sends it.
    const client = az.resourcesFor(account, '00000000-0000-0000-0000-000000000000');
    const http = createDefaultHttpClient();
    const ctx: CallContext = { signal };
    return az.call(ctx, account, 'Microsoft.Resources/subscriptions/read', async () => {
      const out: AzureSubscription[] = [];
      let url: string | undefined = `${az.armEndpoint(account).replace(/\/+$/, '')}/subscriptions?api-version=${SUBSCRIPTIONS_API_VERSION}`;
      while (url) {
        const request = createPipelineRequest({ url, method: 'GET', abortSignal: signal, allowInsecureConnection: opts.allowInsecureConnection ?? false });
        const response = await client.pipeline.sendRequest(http, request);
        const body = JSON.parse(response.bodyAsText ?? '{}') as { value?: Array<Record<string, unknown>>; nextLink?: string; error?: { code?: string; message?: string } };
        if (response.status >= 400) {
          throw Object.assign(new Error(body.error?.message ?? `HTTP ${response.status}`), { name: 'RestError', code: body.error?.code, statusCode: response.status, response });
        }
        for (const s of body.value ?? []) {
          if (typeof s.subscriptionId !== 'string') continue;
          out.push({ subscriptionId: s.subscriptionId, displayName: String(s.displayName ?? s.subscriptionId), state: String(s.state ?? 'Unknown'), ...(typeof s.tenantId === 'string' ? { tenantId: s.tenantId } : {}) });
        }
        url = body.nextLink || undefined;
      }
      return out;
    });
  }

  async function listResourceGroups(account: ResolvedAccount, subscriptionId: string, signal: AbortSignal): Promise<{ name: string; location: string }[]> {
    const client = az.resourcesFor(account, subscriptionId);
    const groups = await az.list({ signal }, account, 'Microsoft.Resources/subscriptions/resourceGroups/read', (s) => client.resourceGroups.list({ abortSignal: s }));
    return groups.map((g) => ({ name: g.name ?? '', location: g.location }));
  }

  return {
    kind: 'azure',
    label: 'Azure',
    simulated: false,
    clouds: ['azure'],
    azure: az,
    handler: (type) => handlers.get(type),
    // The failover lease and the catalog manifests in the target (blobs in the console's storage account).
    targetStore: createAzureTargetStore(az),
    observeCalls: (listener) => az.observe(listener),
    listSubscriptions,
    listResourceGroups,
    async discover(env: EnvRef, signal: AbortSignal): Promise<DiscoveredResource[]> {
      const ctx: DiscoverContext = { env, signal };
      const out: DiscoveredResource[] = [];
      // One type failing fails the listing: a picker that silently leaves a type out would mislead.
      for (const type of AZURE_TYPES) {
        const h = handlers.get(type);
        if (h) out.push(...(await h.discover(ctx)));
      }
      return out;
    },
    async testConnection(account: ResolvedAccount, signal: AbortSignal): Promise<ConnectionCheck> {
      if (account.cloud !== 'azure') {
        throw new ProviderFailure('PreconditionFailed', `Account "${account.name}" is a ${account.cloud} account, not Azure.`);
      }
      let subscriptionId = namedSubscription(account);
      let label = subscriptionId;
      if (!subscriptionId) {
        const subs = (await listSubscriptions(account, signal)).filter((s) => s.state.toLowerCase() !== 'disabled');
        if (subs.length === 0) {
          throw new ProviderFailure('ProviderPermissionDenied', 'Signed in, but the account has no role in any Azure subscription: assign it a role (for example Contributor) on the subscription to protect, then test again.');
        }
        subscriptionId = subs[0]!.subscriptionId;
        label = `${subs[0]!.displayName} (${subscriptionId})`;
      }
      const groups = await listResourceGroups(account, subscriptionId, signal);
      const n = groups.length;
      return { identity: subscriptionId, message: `Connected to Azure subscription ${label}: ${n} resource group${n === 1 ? '' : 's'} visible.` };
    },
    close: () => az.destroy(),
    dispose: () => {
      az.destroy();
      return Promise.resolve();
    },
  };
}

// What a signed-in identity can reach in ARM, for the Add account and Add environment dialogs:
// tenants and subscriptions (@azure/arm-resources-subscriptions, Tenants_List / Subscriptions_List)
// and a subscription's resource groups (@azure/arm-resources, ResourceGroups_List). Read-only; every
// failure becomes a ProviderFailure with a sentence (the provider core's mapping when it applies).

import type { TokenCredential } from '@azure/core-auth';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { AzureResourceGroupView, AzureSubscriptionView, AzureTenantView } from '../../../shared/domain';
import type { AzureCloudName } from './auth';
import { armTarget, type AzureEndpointOptions } from './account-credential';
import { directoryFailure } from './directory-errors';

/** Lists stop here: a dialog's select is not the place for more (and a runaway nextLink ends). */
const MAX_ITEMS = 2000;

function clientOptions(cloud: AzureCloudName, opts: AzureEndpointOptions, signal?: AbortSignal) {
  const { endpoint, scope } = armTarget(cloud, opts);
  return {
    endpoint,
    credentialScopes: [scope],
    ...(opts.armClientOptions ?? {}),
    ...(signal ? { abortSignal: signal } : {}),
  };
}

async function collect<T, R>(items: AsyncIterable<T>, map: (t: T) => R | null): Promise<R[]> {
  const out: R[] = [];
  for await (const item of items) {
    const r = map(item);
    if (r) out.push(r);
    if (out.length >= MAX_ITEMS) break;
  }
  return out;
}

export interface DirectoryRequest {
  credential: TokenCredential;
  cloud: AzureCloudName;
  opts: AzureEndpointOptions;
  signal?: AbortSignal;
}

function subscriptionClient(r: DirectoryRequest): SubscriptionClient {
  const client = new SubscriptionClient(r.credential, clientOptions(r.cloud, r.opts));
  r.opts.armPipeline?.(client.pipeline, r.credential);
  return client;
}

export async function listTenants(r: DirectoryRequest): Promise<AzureTenantView[]> {
  try {
    const list = await collect(subscriptionClient(r).tenants.list(r.signal ? { abortSignal: r.signal } : {}), (t) =>
      t.tenantId ? { tenantId: t.tenantId, displayName: t.displayName ?? t.defaultDomain ?? t.tenantId, defaultDomain: t.defaultDomain ?? null } : null,
    );
    return list.sort((a, b) => a.displayName.localeCompare(b.displayName));
  } catch (err) {
    throw directoryFailure(err, 'Microsoft.Resources/tenants/read');
  }
}

export async function listSubscriptions(r: DirectoryRequest): Promise<AzureSubscriptionView[]> {
  try {
    const list = await collect(subscriptionClient(r).subscriptions.list(r.signal ? { abortSignal: r.signal } : {}), (s) =>
      s.subscriptionId
        ? { subscriptionId: s.subscriptionId, displayName: s.displayName ?? s.subscriptionId, state: s.state ?? 'Unknown', tenantId: s.tenantId ?? null }
        : null,
    );
    return list.sort((a, b) => a.displayName.localeCompare(b.displayName));
  } catch (err) {
    throw directoryFailure(err, 'Microsoft.Resources/subscriptions/read');
  }
}

export async function listResourceGroups(r: DirectoryRequest & { subscriptionId: string }): Promise<AzureResourceGroupView[]> {
  try {
    const client = new ResourceManagementClient(r.credential, r.subscriptionId, clientOptions(r.cloud, r.opts));
    r.opts.armPipeline?.(client.pipeline, r.credential);
    const list = await collect(client.resourceGroups.list(r.signal ? { abortSignal: r.signal } : {}), (g) =>
      g.name ? { name: g.name, location: g.location } : null,
    );
    return list.sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    throw directoryFailure(err, 'Microsoft.Resources/subscriptions/resourceGroups/read');
  }
}

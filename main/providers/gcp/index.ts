// The Google Cloud provider: the account kinds (service-account key, application default
// credentials, impersonation), Test connection, and the clients the handlers of issue 9 build on.
// Types served: VM instances (vm-instance.ts), GKE clusters (gke.ts), Cloud Storage (cloud-storage.ts)
// and Cloud SQL (cloud-sql.ts); a type without a handler is refused with a sentence when added to a
// policy (PoliciesService asks the adapter), and discovery goes through the handlers.

import type { ResourceTypeId } from '../../../shared/catalog';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { ConnectionCheck, EnvRef, ProviderAdapter, ResolvedAccount, ResourceHandler } from '../types';
import { GcpContext, type GcpAccountClients, type GcpProviderOptions } from './clients';
import { createCloudSqlHandler } from './cloud-sql';
import { createCloudStorageHandler } from './cloud-storage';
import { enableCommand, GCP_API_TITLES } from './errors';
import { createGkeHandler } from './gke';
import { createGcpTargetStore } from './target-store';
import { createVmInstanceHandler } from './vm-instance';

export { GcpContext, type GcpProviderOptions } from './clients';

/** The Google types in the order the resource picker lists them; a type without a handler is skipped. */
export const GCP_TYPES: readonly ResourceTypeId[] = ['gcp.vm-instance', 'gcp.gke', 'gcp.cloud-storage', 'gcp.cloud-sql'];

export interface GcpProvider extends ProviderAdapter {
  readonly simulated: false;
  readonly gcp: GcpContext;
  discover(env: EnvRef, signal: AbortSignal): Promise<DiscoveredResource[]>;
}

/** What a check of one required API found. */
interface ApiCheck {
  service: string;
  state: 'enabled' | 'disabled' | 'unchecked';
  why?: string;
}

/** Rejects with the signal's reason when it aborts first (GAPIC calls take no signal of their own). */
function raced<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ProviderFailure('Cancelled', 'The connection test was cancelled.'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ProviderFailure('ProviderOffline', 'Google Cloud did not answer in time: the console is offline for this account.'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * The APIs the console's Google types need, each with the cheapest call that proves it is enabled for
 * the project (a list of at most one item). Compute Engine is checked first, by listing zones.
 */
const REQUIRED_APIS: readonly { service: string; action: string; probe(c: GcpAccountClients, project: string): Promise<unknown> }[] = [
  { service: 'container.googleapis.com', action: 'container.projects.locations.clusters.list', probe: (c, p) => c.container.listClusters({ parent: `projects/${p}/locations/-` }) },
  { service: 'sqladmin.googleapis.com', action: 'sql.instances.list', probe: (c, p) => c.sql.instances.list({ project: p, maxResults: 1 }) },
  { service: 'iam.googleapis.com', action: 'iam.projects.serviceAccounts.list', probe: (c, p) => c.iam.projects.serviceAccounts.list({ name: `projects/${p}`, pageSize: 1 }) },
  { service: 'storage.googleapis.com', action: 'storage.buckets.list', probe: (c, p) => c.storage.getBuckets({ project: p, maxResults: 1, autoPaginate: false }) },
  {
    service: 'storagetransfer.googleapis.com',
    action: 'storagetransfer.transferJobs.list',
    probe: (c, p) => c.transfer.listTransferJobs({ filter: JSON.stringify({ projectId: p }), pageSize: 1 }, { autoPaginate: false }),
  },
];

export function createGcpProvider(opts: GcpProviderOptions = {}): GcpProvider {
  const gcp = new GcpContext(opts);
  const handlers = new Map<ResourceTypeId, ResourceHandler>();
  handlers.set('gcp.vm-instance', createVmInstanceHandler(gcp));
  handlers.set('gcp.gke', createGkeHandler(gcp));
  for (const h of [createCloudStorageHandler(gcp), createCloudSqlHandler(gcp, opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {})]) handlers.set(h.type, h);

  async function clientsFor(account: ResolvedAccount): Promise<GcpAccountClients> {
    try {
      return await gcp.clients(account);
    } catch (err) {
      if (err instanceof ProviderFailure) throw err;
      throw new ProviderFailure('ProviderAuthFailed', `The Google credentials of "${account.name}" could not be used: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`, { cause: err });
    }
  }

  return {
    kind: 'gcp',
    label: 'Google Cloud',
    simulated: false,
    clouds: ['gcp'],
    gcp,
    handler: (type) => handlers.get(type),
    // The failover lease and the catalog manifests, in a console bucket of the target project (target-store.ts).
    targetStore: createGcpTargetStore(gcp),
    observeCalls: (listener) => gcp.observe(listener),
    // Type by type through the handlers; one type failing fails the listing (a picker that silently
    // leaves a type out would mislead), as the AWS provider's discoverAll does.
    async discover(env, signal) {
      const out: DiscoveredResource[] = [];
      for (const type of GCP_TYPES) {
        const h = handlers.get(type);
        if (h) out.push(...(await h.discover({ env, signal })));
      }
      return out;
    },
    async testConnection(account: ResolvedAccount, signal: AbortSignal): Promise<ConnectionCheck> {
      if (account.cloud !== 'gcp') {
        throw new ProviderFailure('PreconditionFailed', `Account "${account.name}" is a ${account.cloud} account, not Google Cloud.`);
      }
      const c = await raced(clientsFor(account), signal);
      const project = c.project;
      if (!project) {
        throw new ProviderFailure(
          'PreconditionFailed',
          `The credentials of "${account.name}" do not name a project: set one with \`gcloud config set project <id>\` before \`gcloud auth application-default login\`, or use a service-account key.`,
        );
      }
      const [zones] = await gcp.call(account, 'compute.zones.list', project, () => raced(c.zones.list({ project }), signal));
      const checks: ApiCheck[] = [];
      for (const api of REQUIRED_APIS) {
        try {
          await gcp.call(account, api.action, project, () => raced(api.probe(c, project), signal));
          checks.push({ service: api.service, state: 'enabled' });
        } catch (err) {
          if (!(err instanceof ProviderFailure)) throw err;
          if (err.code === 'PreconditionFailed' && err.message.includes('is not enabled')) checks.push({ service: api.service, state: 'disabled' });
          else if (err.code === 'ProviderPermissionDenied') checks.push({ service: api.service, state: 'unchecked', why: 'permission denied' });
          else throw err;
        }
      }
      const title = (s: string) => `${GCP_API_TITLES[s] ?? s} (${s})`;
      const disabled = checks.filter((x) => x.state === 'disabled').map((x) => x.service);
      const unchecked = checks.filter((x) => x.state === 'unchecked');
      const parts = [`Connected to Google Cloud project ${project} as ${c.principal}: ${zones.length} zone${zones.length === 1 ? '' : 's'} listed.`];
      if (disabled.length) parts.push(`Not enabled: ${disabled.map(title).join(', ')}; enable with \`${enableCommand(disabled.join(' '), project)}\`.`);
      if (unchecked.length) parts.push(`Not checked (permission denied): ${unchecked.map((x) => title(x.service)).join(', ')}.`);
      if (!disabled.length && !unchecked.length) parts.push('Every API the console needs is enabled.');
      return { identity: project, message: parts.join(' ') };
    },
    dispose: () => gcp.destroy(),
  };
}

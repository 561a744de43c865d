// One set of Google clients per account, with the account's auth client (credentials.ts) and the
// libraries' own retries off: the engine retries, with the same requestId for Compute (issue 9).
// Tests point every client at loopback peers through `endpoints` and replace the auth client.
//
// Client libraries (what each API is reached with, and why):
// - Compute Engine and GKE: @google-cloud/compute and @google-cloud/container (GAPIC; REST transport
//   with `fallback: true`, which needs no gRPC port and is what a proxy in a disaster room passes).
// - Storage Transfer: @google-cloud/storage-transfer (GAPIC). It still runs google-gax 4, which spreads
//   the auth headers as a plain object; google-auth-library 11 returns a Headers, so it gets an adapter.
// - Cloud SQL Admin and IAM: @googleapis/sqladmin and @googleapis/iam (discovery-generated, v1).
// - Cloud Storage: @google-cloud/storage.

import {
  DisksClient,
  GlobalOperationsClient,
  InstancesClient,
  MachineTypesClient,
  NetworksClient,
  RegionOperationsClient,
  SnapshotsClient,
  SubnetworksClient,
  ZoneOperationsClient,
  ZonesClient,
} from '@google-cloud/compute';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { ClusterManagerClient } from '@google-cloud/container';
import { StorageTransferServiceClient } from '@google-cloud/storage-transfer';
import { Storage } from '@google-cloud/storage';
import { sqladmin, type sqladmin_v1 } from '@googleapis/sqladmin';
import { iam, type iam_v1 } from '@googleapis/iam';
import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { ProviderFailure } from '../provider-failure';
import type { CallOutcomeListener, ResolvedAccount } from '../types';
import { authClientFor, credentialsPrincipal, credentialsProject, isGcpCredentials, type GcpAuthOptions, type GcpCredentialInput } from './credentials';
import { mapGcpError } from './errors';

/** Where a GAPIC client connects (tests: 127.0.0.1, a port, http). */
export interface GapicEndpoint {
  apiEndpoint: string;
  port?: number;
  protocol?: 'http' | 'https';
}

export interface GcpEndpoints {
  compute?: GapicEndpoint;
  container?: GapicEndpoint;
  storagetransfer?: GapicEndpoint;
  /** Cloud Resource Manager v3 (the project IAM policy: roles granted to principals). */
  resourcemanager?: GapicEndpoint;
  /** Root URL of the discovery-generated clients (Cloud SQL Admin, IAM), ending in '/'. */
  sqladmin?: string;
  iam?: string;
  /** Cloud Storage's API endpoint (fake-gcs-server: http://127.0.0.1:PORT). */
  storage?: string;
}

export interface GcpProviderOptions {
  endpoints?: GcpEndpoints;
  auth?: GcpAuthOptions;
  /** Replaces the credential resolution (tests): the auth client every Google client of the account uses. */
  authClientFor?: (account: ResolvedAccount) => AuthClient | Promise<AuthClient>;
  /** Pause between two `wait`s of a Compute operation that is not done yet (ms; default 1,000). */
  pollIntervalMs?: number;
  /** Pause before retrying a throttled Compute call (ms; default: what Google asked, at most 30 s). */
  retryDelayMs?: number;
}

/** Everything one account's calls go through. */
export interface GcpAccountClients {
  auth: AuthClient;
  /** The project the credentials belong to, when they say; the environment's scope may name another. */
  project: string | null;
  principal: string;
  zones: ZonesClient;
  /** Compute Engine clients the VM handler uses (vm-instance.ts). */
  instances: InstancesClient;
  disks: DisksClient;
  snapshots: SnapshotsClient;
  zoneOperations: ZoneOperationsClient;
  regionOperations: RegionOperationsClient;
  globalOperations: GlobalOperationsClient;
  networks: NetworksClient;
  subnetworks: SubnetworksClient;
  machineTypes: MachineTypesClient;
  /** The project IAM policy (Cloud Resource Manager v3). */
  projects: ProjectsClient;
  container: ClusterManagerClient;
  transfer: StorageTransferServiceClient;
  sql: sqladmin_v1.Sqladmin;
  iam: iam_v1.Iam;
  storage: Storage;
  /** Cloud Storage for one project (createBucket and getBuckets name the client's project). */
  storageIn(project: string): Storage;
}

/** google-gax 4 reads the auth headers as a plain object (see the header comment). */
function plainHeaderAuth(auth: AuthClient) {
  return {
    getRequestHeaders: async (url?: string) => Object.fromEntries((await auth.getRequestHeaders(url)).entries()),
    getClient: async () => plainHeaderAuth(auth),
  };
}

function gapic(endpoint: GapicEndpoint | undefined, auth: AuthClient): ConstructorParameters<typeof ZonesClient>[0] & object {
  return { fallback: true, authClient: auth, ...(endpoint ? { apiEndpoint: endpoint.apiEndpoint, ...(endpoint.port ? { port: endpoint.port } : {}), ...(endpoint.protocol ? { protocol: endpoint.protocol } : {}) } : {}) };
}

export class GcpContext {
  private readonly accounts = new Map<string, Promise<GcpAccountClients>>();
  private readonly listeners = new Set<CallOutcomeListener>();

  constructor(readonly opts: GcpProviderOptions = {}) {}

  credentials(account: ResolvedAccount): GcpCredentialInput {
    if (!isGcpCredentials(account.credentials)) {
      throw new ProviderFailure('PreconditionFailed', `Account "${account.name}" has ${account.credentials.kind} credentials, which are not Google Cloud credentials.`);
    }
    return account.credentials;
  }

  /** The account's clients, made once (GAPIC clients load their protos on construction). */
  clients(account: ResolvedAccount): Promise<GcpAccountClients> {
    const key = `${account.id}`;
    let made = this.accounts.get(key);
    if (!made) {
      made = this.make(account);
      // A failed sign-in is not kept: the next call tries again (the operator may have fixed it).
      made.catch(() => this.accounts.delete(key));
      this.accounts.set(key, made);
    }
    return made;
  }

  private async make(account: ResolvedAccount): Promise<GcpAccountClients> {
    const creds = this.credentials(account);
    const auth = this.opts.authClientFor ? await this.opts.authClientFor(account) : await authClientFor(creds, this.opts.auth);
    const e = this.opts.endpoints ?? {};
    let project = credentialsProject(creds);
    if (!project && auth instanceof GoogleAuth) project = await (auth as GoogleAuth).getProjectId().catch(() => null);
    const storageOpts = { authClient: auth as never, retryOptions: { autoRetry: false }, ...(e.storage ? { apiEndpoint: e.storage, useAuthWithCustomEndpoint: true } : {}) };
    const perProject = new Map<string, Storage>();
    return {
      auth,
      project,
      principal: credentialsPrincipal(creds),
      zones: new ZonesClient(gapic(e.compute, auth)),
      instances: new InstancesClient(gapic(e.compute, auth)),
      disks: new DisksClient(gapic(e.compute, auth)),
      snapshots: new SnapshotsClient(gapic(e.compute, auth)),
      zoneOperations: new ZoneOperationsClient(gapic(e.compute, auth)),
      regionOperations: new RegionOperationsClient(gapic(e.compute, auth)),
      globalOperations: new GlobalOperationsClient(gapic(e.compute, auth)),
      networks: new NetworksClient(gapic(e.compute, auth)),
      subnetworks: new SubnetworksClient(gapic(e.compute, auth)),
      machineTypes: new MachineTypesClient(gapic(e.compute, auth)),
      projects: new ProjectsClient(gapic(e.resourcemanager, auth) as ConstructorParameters<typeof ProjectsClient>[0]),
      container: new ClusterManagerClient(gapic(e.container, auth) as ConstructorParameters<typeof ClusterManagerClient>[0]),
      transfer: new StorageTransferServiceClient({ ...gapic(e.storagetransfer, auth), authClient: plainHeaderAuth(auth) } as never),
      sql: sqladmin({ version: 'v1', auth: auth as never, retry: false, ...(e.sqladmin ? { rootUrl: e.sqladmin } : {}) }),
      iam: iam({ version: 'v1', auth: auth as never, retry: false, ...(e.iam ? { rootUrl: e.iam } : {}) }),
      storage: new Storage(storageOpts),
      storageIn(p: string) {
        let s = perProject.get(p);
        if (!s) perProject.set(p, (s = new Storage({ ...storageOpts, projectId: p })));
        return s;
      },
    };
  }

  /**
   * One Google call: errors become ProviderFailure with the method named, and its outcome reaches the
   * connectivity listeners (reachable unless the network failed).
   */
  async call<T>(account: ResolvedAccount, action: string, project: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      const value = await fn();
      this.emit({ accountId: account.id, reachable: true });
      return value;
    } catch (err) {
      const principal = (() => {
        try {
          return credentialsPrincipal(this.credentials(account));
        } catch {
          return undefined;
        }
      })();
      const failure = mapGcpError(err, action, { ...(project ? { project } : {}), ...(principal ? { principal } : {}) });
      this.emit(failure.code === 'ProviderOffline' ? { accountId: account.id, reachable: false, message: failure.message } : { accountId: account.id, reachable: true });
      throw failure;
    }
  }

  observe(listener: CallOutcomeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(o: Parameters<CallOutcomeListener>[0]): void {
    for (const l of this.listeners) l(o);
  }

  async destroy(): Promise<void> {
    const all = [...this.accounts.values()];
    this.accounts.clear();
    await Promise.allSettled(
      all.map(async (p) => {
        const c = await p;
        await Promise.allSettled([
          c.zones.close(),
          c.container.close(),
          c.transfer.close(),
          ...[c.instances, c.disks, c.snapshots, c.zoneOperations, c.regionOperations, c.globalOperations, c.networks, c.subnetworks, c.machineTypes, c.projects].map((x) => x.close()),
        ]);
      }),
    );
  }
}

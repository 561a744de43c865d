// The Google Cloud provider's conformance peer for its data types (Cloud Storage, Cloud SQL): the GCP peer (Cloud SQL Admin, Storage Transfer, ...,
// every exchange held to Google's discovery documents) and fake-gcs-server (Cloud Storage), both
// reset for every world, with one seeded resource per type in us-central1 (the source) and a census
// of what the console could have made, by names (the peers pick operation names at random).
// One adapter serves every world (its GAPIC clients load protos once); reset() empties the peers.
// The VM instance type has its own world (gcp-peer.ts, fresh GCP peer per world, no fake-gcs-server):
// the same adapter serves it, so this world declares `servesOtherTypes` and checks only its own two.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Storage } from '@google-cloud/storage';
import type { ResourceTypeId } from '../../shared/catalog';
import { createGcpProvider, type GcpProvider } from '../../main/providers/gcp';
import type { EnvRef, ResolvedAccount } from '../../main/providers/types';
import type { FakeGcs } from '../peers/fake-gcs';
import { fakeAuth, gcpClients, type GcpClients } from '../peers/gcp/sdk';
import type { GcpPeer } from '../peers/gcp/server';
import type { ConformancePeer, ConformanceWorld } from './adapter-conformance';

export const GCP_SOURCE = 'us-central1';
export const GCP_TARGET = 'europe-west1';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The key's body: must never reach an error sentence. */
const SECRET = PEM.replace(/-----[A-Z ]+-----|\s/g, '').slice(40, 104);

export function gcpAccount(project: string): ResolvedAccount {
  const keyJson = JSON.stringify({ type: 'service_account', project_id: project, private_key_id: 'k1', private_key: PEM, client_email: `dr-console@${project}.iam.gserviceaccount.com` });
  return { id: 'acct-conf-gcp', name: 'Conformance Google Cloud', provider: 'gcp', cloud: 'gcp', credentials: { kind: 'gcp-service-account-key', keyJson } } as ResolvedAccount;
}

const envRef = (account: ResolvedAccount, project: string, region: string): EnvRef => ({
  environmentId: `env-conf-${region}`,
  account,
  region,
  scope: { cloud: 'gcp', region, projectId: project, zone: null },
});

/** The provider pointed at both peers (also used by the engine tests). */
export function gcpProviderFor(peer: { port: number; url: string }, gcsUrl: string, opts: { pollIntervalMs?: number } = {}): GcpProvider {
  const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
  return createGcpProvider({
    endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, sqladmin: `${peer.url}/`, iam: `${peer.url}/`, storage: gcsUrl },
    authClientFor: () => fakeAuth(),
    pollIntervalMs: opts.pollIntervalMs ?? 5,
  });
}

/** Deletes every object and bucket of fake-gcs-server (it has no reset). */
export async function emptyFakeGcs(storage: Storage): Promise<void> {
  const [buckets] = await storage.getBuckets();
  for (const b of buckets) {
    const [files] = await b.getFiles({ versions: true });
    for (const f of files) await f.delete({ ignoreNotFound: true, ...(f.generation !== undefined ? { generation: Number(f.generation) } : {}) });
    await b.delete({ ignoreNotFound: true });
  }
}

/** Polls a Cloud SQL operation of the peer to DONE (the peer advances operations when polled). */
export async function sqlDone(c: GcpClients, project: string, operation: string): Promise<void> {
  for (;;) {
    const { data } = await c.sql.operations.get({ project, operation });
    if (data.status === 'DONE') {
      if (data.error) throw new Error(JSON.stringify(data.error));
      return;
    }
  }
}

async function seed(c: GcpClients, storage: Storage, project: string, type: ResourceTypeId): Promise<{ nativeId: string; name: string }> {
  switch (type) {
    case 'gcp.cloud-storage': {
      await storage.createBucket('media-assets', { location: GCP_SOURCE.toUpperCase(), labels: { team: 'media' }, versioning: { enabled: true } });
      return { nativeId: 'media-assets', name: 'media-assets' };
    }
    case 'gcp.cloud-sql': {
      const { data } = await c.sql.instances.insert({
        project,
        requestBody: {
          name: 'orders-db',
          region: GCP_SOURCE,
          databaseVersion: 'POSTGRES_16',
          settings: { tier: 'db-custom-2-7680', userLabels: { app: 'orders' }, backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true } },
        },
      });
      await sqlDone(c, project, data.name!);
      return { nativeId: 'orders-db', name: 'orders-db' };
    }
    default:
      throw new Error(`the GCP conformance peer cannot seed ${type}`);
  }
}

async function census(c: GcpClients, storage: Storage, project: string): Promise<string[]> {
  const [buckets] = await storage.getBuckets();
  const bucketLines = buckets.map((b) => `bucket|${b.name}|versioning=${b.metadata.versioning?.enabled ? 'on' : 'off'}`);
  const [jobs] = await c.transfer.listTransferJobs({ filter: JSON.stringify({ projectId: project, jobStatuses: ['ENABLED', 'DISABLED', 'DELETED'] }) }, { autoPaginate: false });
  const jobLines = jobs.map((j) => `transfer|${j.name}|${String(j.status)}|${j.replicationSpec?.gcsDataSource?.bucketName ?? ''}>${j.replicationSpec?.gcsDataSink?.bucketName ?? ''}`);
  const { data } = await c.sql.instances.list({ project });
  const sqlLines = (data.items ?? []).map((i) => `sql|${i.name}|${i.region}|${i.instanceType}|${i.masterInstanceName ?? ''}|${i.state}`);
  return [...bucketLines, ...jobLines, ...sqlLines];
}

/** A loopback TCP server that takes connections and never answers: every call to it waits forever. */
async function blackhole(): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

export const GCP_DATA_TYPES: readonly ResourceTypeId[] = ['gcp.cloud-storage', 'gcp.cloud-sql'];

/** The Google adapter's peer: `peers()` is read when a world opens (the suite's beforeAll starts them). */
export function gcpPeer(peers: () => { peer: GcpPeer; gcs: FakeGcs }): ConformancePeer & { dispose(): Promise<void> } {
  let shared: { adapter: GcpProvider; c: GcpClients; storage: Storage; key: string } | undefined;
  const open = () => {
    const { peer, gcs } = peers();
    const key = `${peer.url}|${gcs.url}`;
    if (shared?.key !== key) {
      shared = { adapter: gcpProviderFor(peer, gcs.url), c: gcpClients(peer), storage: new Storage({ apiEndpoint: gcs.url, projectId: peer.project }), key };
    }
    return { peer, ...shared };
  };
  return {
    name: 'gcp data types (GCP peer + fake-gcs-server)',
    async dispose() {
      await shared?.adapter.dispose();
      await shared?.c.close();
      shared = undefined;
    },
    types: GCP_DATA_TYPES,
    servesOtherTypes: true,
    secrets: [SECRET],
    tagsDroppedByPeer: { 'gcp.cloud-storage': 'fake-gcs-server drops bucket labels' },
    timeoutMs: 120_000,
    async open(): Promise<ConformanceWorld> {
      const { peer, adapter, c, storage } = open();
      peer.reset();
      await emptyFakeGcs(storage);
      const account = gcpAccount(peer.project);
      const seeded = new Map<ResourceTypeId, { nativeId: string; name: string }>();
      return {
        adapter,
        source: envRef(account, peer.project, GCP_SOURCE),
        target: envRef(account, peer.project, GCP_TARGET),
        async protect(type) {
          let s = seeded.get(type);
          if (!s) seeded.set(type, (s = await seed(c, storage, peer.project, type)));
          return { id: `pr-${type}`, policyId: 'pol-conformance', type, nativeId: s.nativeId, name: s.name };
        },
        census: async () => (await census(c, storage, peer.project)).sort(),
        // Neither Cloud Storage nor Cloud SQL creates IAM principals or roles (no R7 reuse).
        iamCensus: () => Promise.resolve([]),
        // The adapter serves every world; the suite's afterAll disposes it (disposeGcpPeer).
        close: () => Promise.resolve(),
      };
    },
    async openStalled() {
      const hole = await blackhole();
      const adapter = gcpProviderFor(hole, hole.url);
      const account = gcpAccount('fc-test-project');
      return {
        adapter,
        source: envRef(account, 'fc-test-project', GCP_SOURCE),
        async close() {
          await adapter.dispose();
          await hole.close();
        },
      };
    },
  };
}

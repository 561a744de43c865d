// The Google Cloud provider's Test connection against the GCP peer (Compute, GKE, Cloud SQL Admin,
// IAM, Storage Transfer, every exchange held to Google's discovery documents) and fake-gcs-server
// (Cloud Storage), through the provider's own clients: zones listed, each required API that is not
// enabled named with its enable command, a denied call naming the permission.

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createGcpProvider, type GcpProvider } from '../../../../main/providers/gcp';
import type { ResolvedAccount } from '../../../../main/providers/types';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { fakeAuth } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';
import { fakeGcsAvailable, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';

describeGcpPeer('the Google Cloud provider against the GCP peer', () => {
  let peer: GcpPeer;
  let gcs: FakeGcs | null = null;
  let provider: GcpProvider;
  let account: ResolvedAccount;
  const outcomes: { accountId: string; reachable: boolean }[] = [];

  beforeAll(async () => {
    peer = await startGcpPeer();
    // Cloud Storage is fake-gcs-server's; under CI=true its suite fails when it is missing (fake-gcs.test.ts).
    if (fakeGcsAvailable()) gcs = await startFakeGcs();
    const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
    provider = createGcpProvider({
      endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, sqladmin: `${peer.url}/`, iam: `${peer.url}/`, ...(gcs ? { storage: gcs.url } : {}) },
      authClientFor: () => fakeAuth(),
    });
    provider.observeCalls!((o) => outcomes.push(o));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyJson = JSON.stringify({
      type: 'service_account',
      project_id: peer.project,
      private_key_id: 'k1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `dr-console@${peer.project}.iam.gserviceaccount.com`,
    });
    account = { id: 'acct-gcp', name: 'DR project', provider: 'gcp', cloud: 'gcp', credentials: { kind: 'gcp-service-account-key', keyJson } };
  }, 120_000);
  afterAll(async () => {
    await provider?.dispose();
    await gcs?.stop();
    await peer?.close();
  });
  afterEach(() => expect(peer.violations).toEqual([]));

  it('lists the zones and says every API is enabled', async () => {
    const check = await provider.testConnection(account, AbortSignal.timeout(60_000));
    expect(check.identity).toBe(peer.project);
    expect(check.message).toMatch(new RegExp(`^Connected to Google Cloud project ${peer.project} as dr-console@${peer.project}\\.iam\\.gserviceaccount\\.com: 4 zones listed\\.`));
    if (gcs) expect(check.message).toContain('Every API the console needs is enabled.');
    expect(outcomes.at(-1)).toEqual({ accountId: 'acct-gcp', reachable: true });
  });

  it('names each API that is not enabled, with the command that enables them', async () => {
    peer.inject({ method: 'sql.instances.list', kind: 'SERVICE_DISABLED' });
    peer.inject({ method: 'storagetransfer.transferJobs.list', kind: 'SERVICE_DISABLED' });
    const check = await provider.testConnection(account, AbortSignal.timeout(60_000));
    expect(check.message).toContain('Not enabled: Cloud SQL Admin (sqladmin.googleapis.com), Storage Transfer (storagetransfer.googleapis.com)');
    expect(check.message).toContain(`\`gcloud services enable sqladmin.googleapis.com storagetransfer.googleapis.com --project ${peer.project}\``);
  });

  it('fails with the permission named when listing zones is denied', async () => {
    peer.inject({ method: 'compute.zones.list', kind: 'PERMISSION_DENIED', permission: 'compute.zones.list' });
    const err = await provider.testConnection(account, AbortSignal.timeout(60_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailure);
    expect((err as ProviderFailure).code).toBe('ProviderPermissionDenied');
    expect((err as ProviderFailure).message).toContain('"compute.zones.list"');
    expect((err as ProviderFailure).message).toContain(`dr-console@${peer.project}.iam.gserviceaccount.com is not allowed`);
  });

  it('refuses an account of another cloud, calling nothing', async () => {
    const before = peer.exchanges.length;
    const err = await provider.testConnection({ ...account, cloud: 'aws' }, AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    expect((err as ProviderFailure).code).toBe('PreconditionFailed');
    expect(peer.exchanges.length).toBe(before);
  });
});

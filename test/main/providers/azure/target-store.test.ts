// The Azure target store against the ARM peer with Azurite as the console storage account's blob
// data plane: two consoles racing for one policy's lease (exactly one wins, the other is told who
// holds it and since when), release to the "completed" tombstone, an abandoned lease taken over, a
// blob lease broken by hand (as an expired one would be) that leaves the document deciding, manifests
// written and scanned back, damaged documents refused with a sentence, the account's secure settings.

import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { leaseRefusal } from '../../../../main/core/failover/failover-lease';
import { AzureContext } from '../../../../main/providers/azure/clients';
import { blobLeaseId, consoleStorageAccountName, CONSOLE_CONTAINER, createAzureTargetStore } from '../../../../main/providers/azure/target-store';
import type { CatalogManifest, FailoverLease } from '../../../../main/providers/target-store';
import { STORE_KEYS } from '../../../../main/providers/target-store';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL } from '../../../peers/azure-arm/sdk';
import { describeAzurite, startAzurite, type AzuritePeer } from '../../../peers/azurite';
import { openDataWorld, TARGET_LOCATION, TARGET_RG, testAuthPolicy, type DataWorld } from './data-world';

const lease = (jobId: string, host = 'laptop-a', over: Partial<FailoverLease> = {}): FailoverLease => ({
  version: 1,
  policyId: 'pol_1',
  policyName: 'Shop',
  jobId,
  holder: { consoleId: `c-${host}`, host, user: 'ops' },
  acquiredAt: '2030-01-01T00:00:00.000Z',
  state: 'held',
  releasedAt: null,
  ...over,
});

const signal = () => new AbortController().signal;

describeAzurite('the Azure target store (ARM peer + Azurite)', () => {
  let azurite: AzuritePeer;
  let w: DataWorld;
  const contexts: AzureContext[] = [];
  /** A second console: its own AzureContext (own clients, own cache of the account) on the same peer. */
  const otherConsole = () => {
    const az = new AzureContext({ armEndpoint: w.peer.url, allowInsecureConnection: true, authPolicy: testAuthPolicy(), updateIntervalInMs: FAST_POLL.updateIntervalInMs, maxRetries: 0 });
    contexts.push(az);
    return az;
  };
  const accountName = () => consoleStorageAccountName(w.peer.subscriptionId, TARGET_LOCATION);
  const leaseBlob = () => azurite.client(accountName()).getContainerClient(CONSOLE_CONTAINER).getBlockBlobClient(STORE_KEYS.lease('pol_1'));

  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 24 });
  }, 120_000);
  afterAll(async () => {
    await azurite?.stop();
  });
  beforeEach(async () => {
    w = await openDataWorld(azurite);
  });
  afterEach(async () => {
    const problems = w.peer.responses.flatMap(checkResponse);
    for (const c of contexts.splice(0)) c.destroy();
    await w.close();
    expect(problems).toEqual([]);
  });

  it('names its account within Azure\'s rule (3-24 lower-case letters and digits), the same for a subscription and location', () => {
    const n = consoleStorageAccountName('5F0E2A6C-0000-4000-8000-00000000C0F0', 'North Europe');
    expect(n).toMatch(/^[a-z0-9]{3,24}$/);
    expect(n).toBe(consoleStorageAccountName('5f0e2a6c-0000-4000-8000-00000000c0f0', 'northeurope'));
    expect(n).not.toBe(consoleStorageAccountName('5f0e2a6c-0000-4000-8000-00000000c0f0', 'westeurope'));
    expect(blobLeaseId('pol_1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('lets exactly one of two racing consoles create the lease; the other gets the holder and since, and the blob is leased with both in its metadata', async () => {
    const a = createAzureTargetStore(w.az);
    const b = createAzureTargetStore(otherConsole());
    const [ra, rb] = await Promise.all([a.createLease(w.target, lease('job_a', 'laptop-a'), signal()), b.createLease(w.target, lease('job_b', 'laptop-b'), signal())]);
    const results = [ra, rb];
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const lost = results.find((r) => !r.created)!;
    if (lost.created) throw new Error('unreachable');
    const winner = ra.created ? 'job_a' : 'job_b';
    expect(lost.current.jobId).toBe(winner);
    expect(leaseRefusal('Shop', lost.current)).toMatch(new RegExp(`already running from console laptop-[ab] \\(ops\\) since 2030-01-01T00:00:00.000Z \\(job ${winner}\\)`));

    const props = await leaseBlob().getProperties();
    expect(props).toMatchObject({ leaseState: 'leased', leaseStatus: 'locked', leaseDuration: 'infinite' });
    expect(props.metadata).toMatchObject({ since: '2030-01-01T00:00:00.000Z', state: 'held', job: winner, holder: encodeURIComponent(`laptop-${winner === 'job_a' ? 'a' : 'b'} (ops)`) });
    // Nothing outside the protocol overwrites or deletes it while it is held.
    await expect(leaseBlob().upload('{}', 2)).rejects.toMatchObject({ statusCode: 412, code: 'LeaseIdMissing' });
    await expect(leaseBlob().delete()).rejects.toMatchObject({ statusCode: 412, code: 'LeaseIdMissing' });
    // A third create, later, is refused the same way.
    const third = await a.createLease(w.target, lease('job_c', 'laptop-c'), signal());
    expect(third).toMatchObject({ created: false, current: { jobId: winner } });
  });

  it('releases to the completed tombstone only at the version read, and keeps the tombstone under the blob lease', async () => {
    const store = createAzureTargetStore(w.az);
    const first = await store.createLease(w.target, lease('job_a'), signal());
    if (!first.created) throw new Error('the first create must win');
    const released = await store.replaceLease(w.target, lease('job_a', 'laptop-a', { state: 'completed', releasedAt: '2030-01-01T01:00:00.000Z' }), first.version, signal());
    expect(released).not.toBeNull();
    // The version read before the release is stale now: If-Match answers 412 and nothing changes.
    expect(await store.replaceLease(w.target, lease('job_c'), first.version, signal())).toBeNull();
    const read = await createAzureTargetStore(otherConsole()).readLease(w.target, 'pol_1', signal());
    expect(read).toMatchObject({ lease: { jobId: 'job_a', state: 'completed', releasedAt: '2030-01-01T01:00:00.000Z' }, version: released });
    expect(leaseRefusal('Shop', read!.lease)).toMatch(/was already failed over by console laptop-a \(ops\), finished 2030-01-01T01:00:00.000Z \(job job_a\)/);
    expect(await leaseBlob().getProperties()).toMatchObject({ leaseState: 'leased', metadata: expect.objectContaining({ state: 'completed' }) });
  });

  it('frees the blob lease of an abandoned lease, which another console then takes over at its version', async () => {
    const a = createAzureTargetStore(w.az);
    const first = await a.createLease(w.target, lease('job_a'), signal());
    if (!first.created) throw new Error('the first create must win');
    const abandoned = await a.replaceLease(w.target, lease('job_a', 'laptop-a', { state: 'abandoned', releasedAt: '2030-01-01T00:00:05.000Z' }), first.version, signal());
    expect(abandoned).not.toBeNull();
    expect((await leaseBlob().getProperties()).leaseState).not.toBe('leased');

    const b = createAzureTargetStore(otherConsole());
    const c = createAzureTargetStore(otherConsole());
    const seen = await b.createLease(w.target, lease('job_b', 'laptop-b'), signal());
    expect(seen).toMatchObject({ created: false, current: { state: 'abandoned' }, version: abandoned });
    if (seen.created) throw new Error('unreachable');
    // Two consoles take the abandoned lease over at the same version: exactly one gets it.
    const [taken, lostTo] = await Promise.all([b.replaceLease(w.target, lease('job_b', 'laptop-b'), seen.version, signal()), c.replaceLease(w.target, lease('job_x', 'laptop-x'), seen.version, signal())]);
    expect([taken, lostTo].filter((v) => v !== null)).toHaveLength(1);
    const winner = taken !== null ? 'job_b' : 'job_x';
    expect(await leaseBlob().getProperties()).toMatchObject({ leaseState: 'leased', metadata: expect.objectContaining({ job: winner, state: 'held' }) });
    expect((await a.readLease(w.target, 'pol_1', signal()))?.lease.jobId).toBe(winner);
    // The first console's old version no longer counts.
    expect(await a.replaceLease(w.target, lease('job_a', 'laptop-a', { state: 'completed', releasedAt: 'x' }), abandoned!, signal())).toBeNull();
  });

  it('keeps refusing when the blob lease expired or was broken by hand: the document decides, and the holder takes the blob lease again on its release', async () => {
    const store = createAzureTargetStore(w.az);
    const first = await store.createLease(w.target, lease('job_a'), signal());
    if (!first.created) throw new Error('the first create must win');
    await leaseBlob().getBlobLeaseClient().breakLease(0);
    expect((await leaseBlob().getProperties()).leaseState).toBe('broken');
    const other = await createAzureTargetStore(otherConsole()).createLease(w.target, lease('job_b', 'laptop-b'), signal());
    expect(other).toMatchObject({ created: false, current: { jobId: 'job_a', holder: { host: 'laptop-a' } } });
    if (other.created) throw new Error('unreachable');
    const released = await store.replaceLease(w.target, lease('job_a', 'laptop-a', { state: 'completed', releasedAt: '2030-01-01T01:00:00.000Z' }), other.version, signal());
    expect(released).not.toBeNull();
    expect(await leaseBlob().getProperties()).toMatchObject({ leaseState: 'leased', leaseDuration: 'infinite' });
  });

  it('writes manifests and scans them back with the leases; a damaged manifest is listed as unreadable and a damaged lease refused with a sentence', async () => {
    const store = createAzureTargetStore(w.az);
    await store.createLease(w.target, lease('job_a'), signal());
    const manifest: CatalogManifest = {
      version: 1,
      policy: {
        id: 'pol_1',
        name: 'Shop',
        schedule: null,
        webhookUrl: null,
        createdAt: '2030-01-01T00:00:00.000Z',
        source: { environmentId: 'e1', name: 'Prod', accountId: 'acct', accountName: 'Azure', provider: 'azure', cloud: 'azure', region: 'westeurope', scope: { cloud: 'azure', location: 'westeurope', subscriptionId: w.peer.subscriptionId, resourceGroup: 'prod-weu' } },
        target: { environmentId: 'e2', name: 'DR', accountId: 'acct', accountName: 'Azure', provider: 'azure', cloud: 'azure', region: TARGET_LOCATION, scope: { cloud: 'azure', location: TARGET_LOCATION, subscriptionId: w.peer.subscriptionId, resourceGroup: TARGET_RG } },
      },
      recoveryPoint: { id: 'rp_1', jobId: 'job_r', status: 'succeeded', createdAt: '2030-01-01T00:00:00.000Z', completedAt: '2030-01-01T00:01:00.000Z' },
      items: [{ protectedResourceId: 'pr_1', type: 'azure.vm', nativeId: '/subscriptions/x/vm01', name: 'vm01', status: 'succeeded', metadata: { size: 'Standard_D2s_v5' }, dataRefs: [{ kind: 'snapshot', id: 'snap-1', region: TARGET_LOCATION }], error: null, capturedAt: '2030-01-01T00:00:30.000Z' }],
      writtenAt: '2030-01-01T00:01:00.000Z',
      writtenBy: { consoleId: 'c', host: 'h', user: 'u' },
    };
    await store.putManifest(w.target, manifest, signal());
    await store.putManifest(w.target, { ...manifest, writtenAt: '2030-01-01T00:02:00.000Z' }, signal());
    const container = azurite.client(accountName()).getContainerClient(CONSOLE_CONTAINER);
    await container.getBlockBlobClient('failover-console/catalog/pol_1/garbage.json').upload('{not json', 9);

    const scan = await createAzureTargetStore(otherConsole()).scan(w.target, signal());
    expect(scan.manifests).toEqual([{ ...manifest, writtenAt: '2030-01-01T00:02:00.000Z' }]);
    expect(scan.leases.map((l) => l.jobId)).toEqual(['job_a']);
    expect(scan.unreadable).toEqual([`${container.url}/failover-console/catalog/pol_1/garbage.json`]);

    await container.getBlockBlobClient(STORE_KEYS.lease('pol_2')).upload('{"version":2}', 13);
    await expect(store.readLease(w.target, 'pol_2', signal())).rejects.toMatchObject({ code: 'Conflict', message: expect.stringMatching(/failover lease blob for this policy .*pol_2\.json\) is damaged or not the console's; fix or remove it by hand/) });
    expect(await store.readLease(w.target, 'pol_none', signal())).toBeNull();
  });

  it('scans the target group\'s dr:* tagged resources, and leaves out its own account; an empty target scans empty without creating anything', async () => {
    const empty = await createAzureTargetStore(w.az).scan(w.target, signal());
    expect(empty).toEqual({ manifests: [], leases: [], tagged: [], unreadable: [] });
    expect(w.peer.list('Microsoft.Storage/storageAccounts')).toEqual([]);

    await w.c.storage.storageAccounts.create(TARGET_RG, 'shopdr0001', { location: TARGET_LOCATION, sku: { name: 'Standard_LRS' }, kind: 'StorageV2', tags: { 'dr:policy': 'pol_1', 'dr:job': 'job_r', 'dr:role': 'replication', 'dr:recovery-point': 'rp_1' } }, FAST_POLL);
    await w.c.storage.storageAccounts.create(TARGET_RG, 'untagged0001', { location: TARGET_LOCATION, sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, FAST_POLL);
    const store = createAzureTargetStore(w.az);
    await store.createLease(w.target, lease('job_a'), signal());
    const scan = await store.scan(w.target, signal());
    expect(scan.tagged).toEqual([expect.objectContaining({ kind: 'StorageAccount', name: 'shopdr0001', policyId: 'pol_1', jobId: 'job_r', recoveryPointId: 'rp_1', role: 'replication', region: TARGET_LOCATION })]);
  });

  it('creates its storage account with no public blob access, TLS 1.2 and https only, tagged as the console\'s, and a private container', async () => {
    await createAzureTargetStore(w.az).createLease(w.target, lease('job_a'), signal());
    const acct = await w.c.storage.storageAccounts.getProperties(TARGET_RG, accountName());
    expect(acct).toMatchObject({ location: TARGET_LOCATION, kind: 'StorageV2', allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', enableHttpsTrafficOnly: true, tags: { 'dr:console-store': 'true' } });
    const access = await azurite.client(accountName()).getContainerClient(CONSOLE_CONTAINER).getAccessPolicy();
    expect(access.blobPublicAccess).toBeUndefined();
  });

  it('gives an account it finds already there the secure settings it lacks', async () => {
    await w.c.storage.storageAccounts.create(TARGET_RG, accountName(), { location: TARGET_LOCATION, sku: { name: 'Standard_LRS' }, kind: 'StorageV2', allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_0', enableHttpsTrafficOnly: false }, FAST_POLL);
    expect((await createAzureTargetStore(w.az).createLease(w.target, lease('job_a'), signal())).created).toBe(true);
    expect(await w.c.storage.storageAccounts.getProperties(TARGET_RG, accountName())).toMatchObject({ allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', enableHttpsTrafficOnly: true });
  });

  it('shares one account between environments of a subscription and location in different resource groups (names are global)', async () => {
    await w.c.resources.resourceGroups.createOrUpdate('dr-neu-2', { location: TARGET_LOCATION });
    const second = { ...w.target, environmentId: 'env-neu-2', scope: { ...w.target.scope, resourceGroup: 'dr-neu-2' } } as typeof w.target;
    const store = createAzureTargetStore(w.az);
    expect((await store.createLease(w.target, lease('job_a'), signal())).created).toBe(true);
    const fromSecond = await createAzureTargetStore(otherConsole()).createLease(second, lease('job_b', 'laptop-b'), signal());
    expect(fromSecond).toMatchObject({ created: false, current: { jobId: 'job_a' } });
    expect(w.peer.list('Microsoft.Storage/storageAccounts').map((a) => a.id.split('/')[4])).toEqual([TARGET_RG]);
  });

  it('says offline, and reports the account unreachable, when ARM cannot be reached', async () => {
    const az = new AzureContext({ armEndpoint: 'http://127.0.0.1:1', allowInsecureConnection: true, authPolicy: testAuthPolicy(), maxRetries: 0 });
    contexts.push(az);
    const outcomes: boolean[] = [];
    az.observe((o) => outcomes.push(o.reachable));
    await expect(createAzureTargetStore(az).createLease(w.target, lease('job_a'), signal())).rejects.toMatchObject({ code: 'ProviderOffline' });
    expect(outcomes).toContain(false);
  });
});

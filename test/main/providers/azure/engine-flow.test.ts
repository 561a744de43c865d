// The Azure VM through the composed core and its job engine against the ARM peer and the identity
// peer, as the operator drives it: add the account (service principal, tokens from the identity peer
// through MSAL) and test it, discover → replicate twice → test failover → Reset → failover of the
// older point, with the peer's resulting state read back. The failover takes the policy's lease in
// the target (the console storage account's blob on Azurite) with no override, and the job's end
// leaves it "completed". Every ARM response is held to the peer's contract table.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { contractProblems, seedVm, SOURCE_LOCATION, SOURCE_RG, SP_SECRET, SUBSCRIPTION, TARGET_LOCATION, TARGET_RG, worldProviderOptions } from '../../../conformance/azure-peer';
import { consoleStorageAccountName, CONSOLE_CONTAINER } from '../../../../main/providers/azure/target-store';
import { STORE_KEYS, parseLease } from '../../../../main/providers/target-store';
import { peerClients } from '../../../peers/azure-arm/sdk';
import { describeAzurite, startAzurite, type AzuritePeer } from '../../../peers/azurite';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { startIdentityPeer, type IdentityPeer } from '../../../peers/identity';

describeAzurite('an Azure VM through the engine against the ARM and identity peers (Azurite holds the target store)', () => {
  let arm: ArmPeer;
  let azurite: AzuritePeer;
  let idp: IdentityPeer;
  let dir: string;
  let core: Core;
  beforeAll(async () => {
    idp = await startIdentityPeer();
    azurite = await startAzurite({ accounts: 2 });
    arm = await startArmPeer({ subscriptionIds: [SUBSCRIPTION], blobDataPlane: (name) => azurite.dataPlane(name) });
    dir = mkdtempSync(join(tmpdir(), 'fc-azure-engine-'));
    core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: { sim: false, aws: false, azure: worldProviderOptions(arm, idp) },
    });
  }, 120_000);
  afterAll(async () => {
    await core?.close();
    await arm?.close();
    await azurite?.stop();
    await idp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const succeeded = async (jobId: string) => {
    const job = await waitForJob(core, jobId, 60_000);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    return job;
  };
  const inTarget = (type: string) => arm.list(type).filter((r) => r.id.toLowerCase().includes(`/resourcegroups/${TARGET_RG}/`));

  it('replicates twice, test-fails over, resets and fails over the older point', async () => {
    const c = peerClients(arm);
    await c.resources.resourceGroups.createOrUpdate(SOURCE_RG, { location: SOURCE_LOCATION });
    await c.resources.resourceGroups.createOrUpdate(TARGET_RG, { location: TARGET_LOCATION });
    const seeded = await seedVm(c);

    const account = await call(core, 'dr:accounts.create', {
      name: 'Azure prod',
      provider: 'azure',
      cloud: 'azure',
      credentials: { kind: 'azure-service-principal', tenantId: '7a1d3c2e-0000-4000-8000-0000000000aa', clientId: '0c9b8a7d-0000-4000-8000-0000000000bb', clientSecret: SP_SECRET },
    });
    const tested = await call(core, 'dr:accounts.test', { accountId: account.id });
    expect(tested).toMatchObject({ ok: true, identity: SUBSCRIPTION });
    expect(tested.message).toMatch(/2 resource groups/);
    // The token came from the identity peer through MSAL's client-credentials grant.
    expect(idp.tokenRequests.some((r) => r.grant_type === 'client_credentials')).toBe(true);
    expect(arm.requests.every((r) => r.authorization?.startsWith('Bearer ey') || r.path === '/subscriptions' || r.authorization === 'Bearer arm-peer-test-token')).toBe(true);

    const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'west europe', region: SOURCE_LOCATION, scope: `${SUBSCRIPTION}/${SOURCE_RG}` });
    const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'north europe', region: TARGET_LOCATION, scope: `${SUBSCRIPTION}/${TARGET_RG}` });
    const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    const vm = found.find((f) => f.nativeId === seeded.nativeId)!;
    expect(vm).toMatchObject({ type: 'azure.vm', name: 'vm01', tags: { team: 'payments', env: 'prod' } });
    expect(vm.summary).toMatch(/Standard_D2s_v5, 2 disks, 1 NIC in vnet01, public IP vm01-ip, NSG vm01-nsg/);

    const policy = await call(core, 'dr:policies.create', {
      name: 'Payments VM',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: [{ type: vm.type, nativeId: vm.nativeId, name: vm.name }],
      schedule: null,
      webhookUrl: null,
    });
    for (let i = 0; i < 2; i++) await succeeded((await call(core, 'dr:replication.run', { policyId: policy.id })).jobId);
    const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(points.items).toHaveLength(2);
    // Two disks, two points: four copies in the target region, each a finished CopyStart.
    const copies = inTarget('Microsoft.Compute/snapshots');
    expect(copies).toHaveLength(4);
    for (const s of copies) {
      expect(s.location).toBe(TARGET_LOCATION);
      expect(s.properties).toMatchObject({ incremental: true, completionPercent: 100, creationData: { createOption: 'CopyStart' } });
    }

    await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
    expect(tests.map((t) => t.kind).sort()).toEqual(['Disk', 'Disk', 'NetworkInterface', 'VirtualMachine', 'VirtualNetwork']);
    const testVm = inTarget('Microsoft.Compute/virtualMachines');
    expect(testVm).toHaveLength(1);
    expect(testVm[0]!.name).toMatch(/^drtest-vm01-/);
    expect(testVm[0]!.tags).toMatchObject({ 'dr:test': 'true', team: 'payments' });
    // Isolated: its NIC has no public IP and sits in the test network, not in a vnet01 of the target.
    const testNic = inTarget('Microsoft.Network/networkInterfaces')[0]!;
    expect(JSON.stringify(testNic.properties)).not.toMatch(/publicIPAddresses/);
    expect(inTarget('Microsoft.Network/virtualNetworks').map((v) => v.name)).toEqual([expect.stringMatching(/^drtest-vnet01-/)]);

    await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
    for (const t of ['Microsoft.Compute/virtualMachines', 'Microsoft.Compute/disks', 'Microsoft.Network/networkInterfaces', 'Microsoft.Network/virtualNetworks']) expect(inTarget(t), t).toHaveLength(0);
    // Production replication is untouched by Reset.
    expect(inTarget('Microsoft.Compute/snapshots')).toHaveLength(4);

    // Fail over the older of the two points.
    const older = [...points.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
    const plan = await call(core, 'dr:failover.prepare', { policyId: policy.id, recoveryPointId: older.id });
    // The Azure provider keeps the failover lease in the target: no override, and no warning about it.
    expect(plan.warnings.join(' ')).not.toMatch(/keeps no failover lease/);
    const started = await call(core, 'dr:failover.start', { token: plan.token });
    const consoleContainer = azurite.client(consoleStorageAccountName(SUBSCRIPTION, TARGET_LOCATION)).getContainerClient(CONSOLE_CONTAINER);
    const leaseBlob = consoleContainer.getBlockBlobClient(STORE_KEYS.lease(policy.id));
    const held = await leaseBlob.getProperties();
    expect(held).toMatchObject({ leaseState: 'leased', leaseDuration: 'infinite', metadata: expect.objectContaining({ job: started.jobId }) });
    expect(held.metadata?.since).toMatch(/^\d{4}-\d\d-\d\dT/);
    const fo = await succeeded(started.jobId);
    // The job's end releases the lease: the blob stays as the "completed" tombstone, still leased.
    await core.services.leases.idle();
    const tomb = parseLease((await leaseBlob.downloadToBuffer()).toString('utf8'));
    expect(tomb).toMatchObject({ policyId: policy.id, jobId: fo.id, state: 'completed', holder: { consoleId: expect.any(String) } });
    expect(tomb!.releasedAt).not.toBeNull();
    expect((await leaseBlob.getProperties()).leaseState).toBe('leased');
    expect(core.services.leases.local(policy.id)).toMatchObject({ state: 'completed', releaseError: null });
    // Both recovery points' manifests are in the target for a rebuilt laptop.
    await core.services.catalog.idle();
    const manifests: string[] = [];
    for await (const b of consoleContainer.listBlobsFlat({ prefix: STORE_KEYS.catalogPrefix })) manifests.push(b.name);
    expect(manifests.sort()).toEqual(points.items.map((p) => STORE_KEYS.manifest(policy.id, p.id)).sort());
    const [made] = inTarget('Microsoft.Compute/virtualMachines');
    expect(made).toMatchObject({ name: 'vm01', location: TARGET_LOCATION, tags: expect.objectContaining({ team: 'payments', env: 'prod' }) });
    expect(made!.properties).toMatchObject({ provisioningState: 'Succeeded', hardwareProfile: { vmSize: 'Standard_D2s_v5' } });
    const disks = inTarget('Microsoft.Compute/disks');
    expect(disks.map((d) => d.name).sort()).toEqual(['vm01_DataDisk_0', 'vm01_OsDisk_1']);
    const olderCopies = new Set(copies.filter((s) => s.tags?.['dr:recovery-point'] === older.id).map((s) => s.id.toLowerCase()));
    expect(olderCopies.size).toBe(2);
    for (const d of disks) {
      expect(olderCopies.has(String((d.properties.creationData as { sourceResourceId: string }).sourceResourceId).toLowerCase()), `${d.name} is made from the selected point`).toBe(true);
      expect(d.managedBy).toBe(made!.id);
    }
    expect(inTarget('Microsoft.Network/networkInterfaces').map((n) => n.name)).toEqual(['vm01898_z1']);
    expect(inTarget('Microsoft.Network/publicIPAddresses').map((n) => n.name)).toEqual(['vm01-ip']);
    expect(inTarget('Microsoft.Network/networkSecurityGroups').map((n) => n.name)).toEqual(['vm01-nsg']);
    const vnet = inTarget('Microsoft.Network/virtualNetworks')[0]!;
    expect(vnet).toMatchObject({ name: 'vnet01', properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } } });

    const mappings = await call(core, 'dr:jobs.mappings', { jobId: fo.id });
    const byKind = (k: string) => mappings.filter((m) => m.kind === k);
    expect(byKind('VirtualMachine')).toEqual([expect.objectContaining({ sourceId: seeded.nativeId, targetId: made!.id, name: 'vm01' })]);
    expect(byKind('Disk').map((m) => m.targetId).sort()).toEqual(disks.map((d) => d.id).sort());
    expect(byKind('NetworkInterface')).toHaveLength(1);
    expect(byKind('VirtualNetwork')).toEqual([expect.objectContaining({ name: 'vnet01', targetId: vnet.id })]);
    expect(byKind('PublicIPAddress')).toHaveLength(1);
    for (const m of mappings) expect(m.targetId).toMatch(/^\/subscriptions\/[^/]+\/resourceGroups\/dr-target\/providers\//);
    expect((await call(core, 'dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
    expect(contractProblems(arm)).toEqual([]);
  }, 120_000);
});

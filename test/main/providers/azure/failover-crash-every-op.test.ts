// Crash proof of the Azure VM failover on the journal of operations: a child process fails a VM over
// against the ARM peer (which lives in this test process, so it outlives the child) and SIGKILLs itself
// right after the N-th mutating ARM response or long-running-operation poll arrived — before the adapter
// or the journal saw it; a kill at a poll is a kill mid-poll of a long-running PUT — for every N of a
// clean run. A second child resumes the job. The peer then holds exactly what the clean failover made:
// one VM, one NIC, one set of disks (made from the selected point's snapshots), one network, public IP
// and NSG, and no PUT of the VM was sent twice.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { createAzureProvider } from '../../../../main/providers/azure';
import { call, SCENARIO_KEY, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { contractProblems, seedVm, SOURCE_LOCATION, SOURCE_RG, SP_SECRET, SUBSCRIPTION, TARGET_LOCATION, TARGET_RG } from '../../../conformance/azure-peer';
import { peerClients, peerProviderOptions } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { describeAzurite, startAzurite, type AzuritePeer } from '../../../peers/azurite';

const CHILD = resolve(import.meta.dirname, '../../../fixtures/azure-failover-child.ts');
const REPO = resolve(import.meta.dirname, '../../../..');

interface ChildRun {
  outcome: 'killed' | 'done' | 'failed';
  ops: string[];
  stderr: string;
}

function runChild(dataDir: string, policyId: string, armUrl: string, pointId: string, killAfter?: number): Promise<ChildRun> {
  const args = ['--import', 'tsx', CHILD, dataDir, policyId, armUrl, pointId, ...(killAfter !== undefined ? ['--kill-after', String(killAfter)] : [])];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const ops: string[] = [];
    let finished = false;
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      let nl: number;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        const m = /^ARMOP \d+ (\S+) (\S+)$/.exec(line);
        // Operation ids and the replication's snapshot names (hashed from each run's own job ids) differ per run.
        if (m) ops.push(`${m[1]} ${m[2]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/-dr-[0-9a-f]{10}\b/g, '-dr-<h>')}`);
        if (/^DONE \d+$/.test(line)) finished = true;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ outcome: signal === 'SIGKILL' && killAfter !== undefined && !finished ? 'killed' : code === 0 && finished ? 'done' : 'failed', ops, stderr });
    });
  });
}

// The target store (the failover lease, the catalog manifests) lives in a console storage account's
// blobs: each world gets Azurite accounts of its own, so no world sees another's lease.
describeAzurite('Azure VM failover killed after every ARM operation (and mid-poll) resumes with exactly one of everything (child processes, ARM peer, Azurite)', () => {
  let root = '';
  const peers: ArmPeer[] = [];
  let azurite: AzuritePeer;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'fc-azure-crash-every-'));
    azurite = await startAzurite({ accounts: 120 });
  }, 120_000);
  afterAll(async () => {
    for (const p of peers) await p.close();
    await azurite?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A fresh peer with the VM, a policy over it and two recovery points, in a new data folder; the older point is the one to fail over. */
  async function prepare(name: string): Promise<{ arm: ArmPeer; dir: string; policyId: string; pointId: string }> {
    // Two polls per operation: the first answers InProgress, so a kill there is a kill mid-poll.
    const arm = await startArmPeer({ subscriptionIds: [SUBSCRIPTION], pollsToComplete: 2, blobDataPlane: azurite.world() });
    peers.push(arm);
    const c = peerClients(arm);
    await c.resources.resourceGroups.createOrUpdate(SOURCE_RG, { location: SOURCE_LOCATION });
    await c.resources.resourceGroups.createOrUpdate(TARGET_RG, { location: TARGET_LOCATION });
    const vm = await seedVm(c);
    const dir = mkdtempSync(join(root, `${name}-`));
    const core = composeCore({
      dataDir: dir,
      keyProvider: new StaticKeyProvider(SCENARIO_KEY),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: () => [createAzureProvider(peerProviderOptions(arm))],
    });
    try {
      const account = await call(core, 'dr:accounts.create', {
        name: 'peer',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-service-principal', tenantId: '7a1d3c2e-0000-4000-8000-0000000000aa', clientId: '0c9b8a7d-0000-4000-8000-0000000000bb', clientSecret: SP_SECRET },
      });
      const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'we', region: SOURCE_LOCATION, scope: `${SUBSCRIPTION}/${SOURCE_RG}` });
      const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'ne', region: TARGET_LOCATION, scope: `${SUBSCRIPTION}/${TARGET_RG}` });
      const policy = await call(core, 'dr:policies.create', {
        name,
        sourceEnvironmentId: source.id,
        targetEnvironmentId: target.id,
        resources: [{ type: 'azure.vm', nativeId: vm.nativeId, name: vm.name }],
        schedule: null,
        webhookUrl: null,
      });
      for (let i = 0; i < 2; i++) {
        const rep = await call(core, 'dr:replication.run', { policyId: policy.id });
        expect((await waitForJob(core, rep.jobId, 120_000)).status).toBe('succeeded');
      }
      const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
      const older = [...points.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
      return { arm, dir, policyId: policy.id, pointId: older.id };
    } finally {
      await core.close();
    }
  }

  /** What the target group holds, by type and name, and where the VM's disks come from. */
  function census(arm: ArmPeer, pointId: string) {
    const inTarget = (type: string) =>
      arm
        .list(type)
        .filter((r) => r.id.toLowerCase().includes(`/resourcegroups/${TARGET_RG}/`))
        .map((r) => r.name)
        .sort();
    const pointSnapshots = new Set(arm.list('Microsoft.Compute/snapshots').filter((s) => s.tags?.['dr:recovery-point'] === pointId).map((s) => s.id.toLowerCase()));
    const disks = arm.list('Microsoft.Compute/disks').filter((d) => d.id.toLowerCase().includes(`/resourcegroups/${TARGET_RG}/`));
    return {
      vms: inTarget('Microsoft.Compute/virtualMachines'),
      disks: inTarget('Microsoft.Compute/disks'),
      nics: inTarget('Microsoft.Network/networkInterfaces'),
      vnets: inTarget('Microsoft.Network/virtualNetworks'),
      publicIps: inTarget('Microsoft.Network/publicIPAddresses'),
      nsgs: inTarget('Microsoft.Network/networkSecurityGroups'),
      disksFromSelectedPoint: disks.every((d) => pointSnapshots.has(String((d.properties.creationData as { sourceResourceId?: string }).sourceResourceId ?? '').toLowerCase())),
      attached: disks.every((d) => typeof d.managedBy === 'string' && d.managedBy.endsWith('/virtualMachines/vm01')),
      vmPuts: arm.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/virtualMachines/vm01') && r.path.toLowerCase().includes(`/resourcegroups/${TARGET_RG}/`)).length,
    };
  }

  it('kills the failover after each PUT and each poll, resumes, and ends with one VM, one NIC, one set of disks', async () => {
    const clean = await prepare('clean');
    const run = await runChild(clean.dir, clean.policyId, clean.arm.url, clean.pointId);
    expect(run.outcome, run.stderr).toBe('done');
    const expected = census(clean.arm, clean.pointId);
    expect(expected).toEqual({
      vms: ['vm01'],
      disks: ['vm01_DataDisk_0', 'vm01_OsDisk_1'],
      nics: ['vm01898_z1'],
      vnets: ['vnet01'],
      publicIps: ['vm01-ip'],
      nsgs: ['vm01-nsg'],
      disksFromSelectedPoint: true,
      attached: true,
      vmPuts: 1,
    });
    expect(contractProblems(clean.arm)).toEqual([]);
    const operations = run.ops;
    console.log(`Azure VM failover, clean run: ${operations.length} ARM operations`);
    // PUTs of 2 disks, NSG, network, public IP, NIC and VM, and polls in between (some InProgress: mid-poll).
    expect(operations.filter((o) => o.startsWith('PUT '))).toHaveLength(7);
    expect(operations.filter((o) => o.startsWith('GET ')).length).toBeGreaterThanOrEqual(7);

    const results: { at: number; operation: string; census: ReturnType<typeof census> }[] = [];
    for (let n = 1; n <= operations.length; n++) {
      const p = await prepare(`kill-${n}`);
      const killed = await runChild(p.dir, p.policyId, p.arm.url, p.pointId, n);
      expect(killed.outcome, `kill after ARM operation ${n}: ${killed.stderr}`).toBe('killed');
      expect(killed.ops.at(-1)).toBe(operations[n - 1]);
      const resumed = await runChild(p.dir, p.policyId, p.arm.url, p.pointId);
      expect(resumed.outcome, `resume after kill ${n}: ${resumed.stderr}`).toBe('done');
      results.push({ at: n, operation: operations[n - 1]!, census: census(p.arm, p.pointId) });
      expect(contractProblems(p.arm)).toEqual([]);
      await p.arm.close();
      peers.splice(peers.indexOf(p.arm), 1);
    }
    console.log(`Azure VM failover: SIGKILL after each of ${operations.length} ARM operations (${operations.join(', ')}), resumed each time`);
    expect(results).toEqual(operations.map((operation, i) => ({ at: i + 1, operation, census: expected })));
  // 44 kill points, each a fresh peer with two replications and two child processes: 16 min on a loaded 2-core machine.
  }, 3_600_000);
});

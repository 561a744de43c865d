import { afterEach, describe, expect, it } from 'vitest';
import { buildPayload, serializePayload } from '../../../../main/core/webhooks/payload';
import { useTempDirs } from '../../../helpers/temp-dir';
import { createPolicy, openCore, startReceiver, waitFor, type WebhookCore, receiverVerifies } from './webhook-fixtures';

// R8 end to end on the sim provider: a real replication, test failovers and the failover of an Azure
// VM with a public IP; the loopback receiver gets the document's JSON built from the job's mapping.

const tempDir = useTempDirs('fc-webhook-sim-');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const SECRET = 'sim-failover-signing-secret-42';

async function finished(c: WebhookCore, jobId: string) {
  return waitFor(`job ${jobId}`, () => {
    const j = c.services.jobs.get(jobId);
    return j.status === 'running' || j.status === 'queued' ? null : j;
  }, 30_000);
}

interface Entry {
  ResourceId: string;
  ResourceType: string;
  ResourceName: string;
  TargetResourceId: string;
}

describe('webhook deliveries of real sim jobs', () => {
  it('POST the failover of an Azure VM with its disks, NIC, virtual network and public IP, and opted-in test failovers', async () => {
    const r = await startReceiver();
    cleanup.push(() => r.close());
    const c = openCore(tempDir());
    cleanup.push(() => c.close());
    const { policy, vm } = await createPolicy(c, { url: r.url, secret: SECRET, onTestFailover: true, vmName: /^(web|api|jump)/ });

    const replication = await c.call('dr:replication.run', { policyId: policy.id });
    expect((await finished(c, replication.jobId)).status).toBe('succeeded');

    const test = await c.call('dr:testFailover.run', { policyId: policy.id });
    expect((await finished(c, test.jobId)).status).toBe('succeeded');
    await waitFor('the test failover delivery', () => c.services.webhooks.list(test.jobId)[0]?.status === 'delivered');
    expect(r.requests.map((q) => q.event)).toEqual(['test_failover']);

    const plan = await c.call('dr:failover.prepare', { policyId: policy.id });
    const started = await c.call('dr:failover.start', { token: plan.token });
    expect((await finished(c, started.jobId)).status).toBe('succeeded');
    const d = await waitFor('the failover delivery', () =>
      c.services.webhooks.list(started.jobId)[0]?.status === 'delivered' ? c.services.webhooks.list(started.jobId)[0] : null,
    );
    expect(d).toMatchObject({ signed: true, attempts: 1, lastStatus: 200 });

    const got = r.requests.find((q) => q.event === 'failover')!;
    expect(got.delivery).toBe(d.id);
    expect(receiverVerifies(SECRET, got)).toBe(true);

    const mappings = await c.call('dr:jobs.mappings', { jobId: started.jobId });
    const expected = serializePayload(
      buildPayload(
        policy.name,
        mappings.map((m) => ({ protectedResourceId: m.protectedResourceId, sourceId: m.sourceId, kind: m.kind, name: m.name, targetId: m.targetId })),
      ),
    );
    expect(got.body).toBe(expected);

    const body = JSON.parse(got.body) as { PolicyName: string; ResourceMapping: Entry[] };
    expect(Object.keys(body)).toEqual(['PolicyName', 'ResourceMapping']);
    expect(body.PolicyName).toBe(policy.name);
    expect(body.ResourceMapping).toHaveLength(mappings.length);
    const types = body.ResourceMapping.map((m) => m.ResourceType);
    expect(types[0]).toBe('VirtualMachine');
    for (const t of ['VirtualMachine', 'Disk', 'NetworkInterface', 'VirtualNetwork', 'PublicIPAddress']) expect(types).toContain(t);
    const vmEntry = body.ResourceMapping[0]!;
    expect(vmEntry.ResourceId).toBe(vm.nativeId);
    expect(vmEntry.TargetResourceId).toMatch(/\/providers\/Microsoft\.Compute\/virtualMachines\//);
    for (const e of body.ResourceMapping) {
      expect(Object.keys(e)).toEqual(['ResourceId', 'ResourceType', 'ResourceName', 'TargetResourceId']);
      expect(e.ResourceId).not.toBe('');
      expect(e.TargetResourceId).not.toBe('');
    }
  }, 60_000);
});

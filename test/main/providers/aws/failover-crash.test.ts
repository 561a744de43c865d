// A 10-instance AWS failover through the composed core and its job engine, against moto: the process
// "dies" (its database closes) right after one RunInstances went through but before the step's result
// was journaled; a new core on the same data folder resumes the job, and no instance is duplicated.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { testKeyProvider } from '../../../helpers/keys';
import { createAwsProvider } from '../../../../main/providers/aws';
import type { ProviderAdapter, ResourceHandler } from '../../../../main/providers/types';
import { call, runFailoverToCompletion, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';

const creds = { accessKeyId: 'AKIAMOTOCRASHTEST001', secretAccessKey: 'moto-crash' };
const INSTANCES = 10;
const CRASH_AT = 4;

describeMoto('AWS failover crash-resume through the engine against moto', () => {
  let moto: MotoServer;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), 'fc-aws-crash-'));
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: creds });
  const liveIn = async (region: string): Promise<Instance[]> => {
    const r = await ec2(region).send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
  };

  function open(wrap?: (aws: ProviderAdapter, core: () => Core) => ProviderAdapter): Core {
    const core: Core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      engine: { backoff: { maxAttempts: 3, baseMs: 5, capMs: 20 } },
      providers: () => {
        const aws = createAwsProvider({ endpoint: moto.url, pollIntervalMs: 10 });
        return [wrap ? wrap(aws, () => core) : aws];
      },
    });
    return core;
  }

  it(`a ${INSTANCES}-instance failover killed between an intent and its result resumes with no duplicate instance`, async () => {
    const images = await ec2('us-east-1').send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const sources: string[] = [];
    for (let i = 1; i <= INSTANCES; i++) {
      const r = await ec2('us-east-1').send(
        new RunInstancesCommand({
          ImageId: images.Images?.[0]?.ImageId,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `node-${String(i).padStart(2, '0')}` }] }],
        }),
      );
      sources.push(r.Instances?.[0]?.InstanceId ?? '');
    }

    // First life: set up the policy, replicate, start the failover; the crash hook fires in step CRASH_AT.
    let failovers = 0;
    let crashed = false;
    const first = open((aws, core) => ({
      ...aws,
      kind: aws.kind,
      label: aws.label,
      simulated: aws.simulated,
      clouds: aws.clouds,
      testConnection: (a, s) => aws.testConnection(a, s),
      handler(type) {
        const h = aws.handler(type);
        if (!h || type !== 'aws.ec2-instance') return h;
        const wrapped: ResourceHandler = {
          ...h,
          async failover(item, ctx) {
            const result = await h.failover(item, ctx);
            if (++failovers === CRASH_AT && !crashed) {
              // The instance exists at AWS and the intent is journaled; the result never will be.
              crashed = true;
              core().db.close();
            }
            return result;
          },
        };
        return wrapped;
      },
    }));
    const account = await call(first, 'dr:accounts.create', { name: 'AWS moto', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
    const source = await call(first, 'dr:environments.create', { accountId: account.id, name: 'east', region: 'us-east-1', scope: '' });
    const target = await call(first, 'dr:environments.create', { accountId: account.id, name: 'west', region: 'eu-west-1', scope: '' });
    const found = await call(first, 'dr:inventory.discover', { environmentId: source.id });
    expect(found.filter((f) => f.type === 'aws.ec2-instance')).toHaveLength(INSTANCES);
    const policy = await call(first, 'dr:policies.create', {
      name: 'Fleet',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: found.filter((f) => f.type === 'aws.ec2-instance').map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });
    const rep = await call(first, 'dr:replication.run', { policyId: policy.id });
    expect((await waitForJob(first, rep.jobId)).status).toBe('succeeded');
    const plan = await call(first, 'dr:failover.prepare', { policyId: policy.id });
    await call(first, 'dr:failover.start', { token: plan.token });
    await expect.poll(() => crashed, { timeout: 60_000 }).toBe(true);
    await first.services.engine.whenIdle().catch(() => undefined);
    await first.close().catch(() => undefined);
    const afterCrash = (await liveIn('eu-west-1')).length;
    expect(afterCrash).toBeGreaterThanOrEqual(CRASH_AT);
    expect(afterCrash).toBeLessThan(INSTANCES + 1);

    // Second life: the same data folder; the engine resumes the journaled failover at start-up.
    const second = open();
    try {
      const outcome = await runFailoverToCompletion(second, policy.id, { timeoutMs: 120_000 });
      const launched = await liveIn('eu-west-1');
      expect(launched).toHaveLength(INSTANCES);
      // Each source has exactly one instance in the target, tagged with it.
      const bySource = new Map<string, number>();
      for (const i of launched) {
        const src = i.Tags?.find((t) => t.Key === 'dr:source')?.Value ?? '';
        bySource.set(src, (bySource.get(src) ?? 0) + 1);
      }
      expect([...bySource.keys()].sort()).toEqual([...sources].sort());
      expect([...bySource.values()].every((n) => n === 1)).toBe(true);
      const mappings = await call(second, 'dr:jobs.mappings', { jobId: outcome.jobId });
      const instanceRows = mappings.filter((m) => m.kind === 'Instance');
      expect(instanceRows.map((m) => m.targetId).sort()).toEqual(launched.map((i) => i.InstanceId).sort());
      expect((await call(second, 'dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
    } finally {
      await second.close();
    }
  }, 180_000);
});

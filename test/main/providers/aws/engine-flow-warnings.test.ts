// What "apply the saved settings" means through the composed core and its engine, against moto: an EC2
// instance captured with three volumes (moto's CreateImage keeps only the root one, PEERS.md) is failed
// over; the failover confirmation names the two volumes the point cannot carry, and after the read-back
// the test-failover and failover steps carry the same difference as warnings in the job view.

import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import { call } from '../../../fixtures/failover-scenario';
import { describeMoto } from '../../../peers/moto';
import { protect, replicate, reset, SOURCE_REGION, succeeded, TARGET_REGION, useAwsEngine } from './engine-harness';

describeMoto('Saved settings read back after (test) failover, through the engine against moto', () => {
  const h = useAwsEngine('AKIAMOTOWARNINGS0001');
  const ec2 = (region: string) => new EC2Client({ region, endpoint: h.moto.url, credentials: h.creds });

  it('an instance captured with three volumes and launched with one: the plan says so, and the steps show it as a warning', async () => {
    const east = ec2(SOURCE_REGION);
    const ami = (await east.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.find((i) => i.RootDeviceType === 'ebs');
    const root = ami?.RootDeviceName ?? '/dev/sda1';
    await east.send(
      new RunInstancesCommand({
        ImageId: ami?.ImageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        BlockDeviceMappings: [
          { DeviceName: root, Ebs: { VolumeSize: 8, VolumeType: 'gp3' } },
          { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 100, VolumeType: 'gp3' } },
          { DeviceName: '/dev/sdg', Ebs: { VolumeSize: 200, VolumeType: 'gp3' } },
        ],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'ledger-01' }] }],
      }),
    );
    const { policy } = await protect(h, 'Ledger', (f) => f.type === 'aws.ec2-instance');
    await replicate(h, policy.id);

    const notCarried = /ledger-01.*\/dev\/sdf \(100 GiB gp3\), \/dev\/sdg \(200 GiB gp3\)/;
    const test = await succeeded(h.core, (await call(h.core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    expect(test.steps.map((s) => s.warnings)).toEqual([[expect.stringMatching(/was launched with 1 of its 3 volumes/)]]);
    expect(test.steps[0]!.warnings[0]).toMatch(notCarried);
    await reset(h, policy.id);

    const plan = await call(h.core, 'dr:failover.prepare', { policyId: policy.id });
    expect(plan.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^EC2 instance ledger-01: the recovery point's image has no snapshot of volumes \/dev\/sdf \(100 GiB gp3\), \/dev\/sdg \(200 GiB gp3\)/)]));
    const job = await succeeded(h.core, (await call(h.core, 'dr:failover.start', { token: plan.token })).jobId);
    const step = job.steps.find((s) => s.action === 'failover');
    expect(step?.warnings).toEqual([expect.stringMatching(notCarried)]);
    // The difference is real: the instance in the target has its root volume only.
    const west = await ec2(TARGET_REGION).send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
    const launched = (west.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.Tags?.some((t) => t.Key === 'Name' && t.Value === 'ledger-01'));
    expect(launched).toHaveLength(1);
    expect(launched[0]!.BlockDeviceMappings).toHaveLength(1);
    // And the job view the renderer reads carries the same sentences.
    expect((await call(h.core, 'dr:jobs.get', { jobId: job.id })).steps.find((s) => s.id === step?.id)?.warnings).toEqual(step?.warnings);
  }, 120_000);
});

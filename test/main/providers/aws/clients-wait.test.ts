// The adapter's waits against moto: the SDK's own waiter behind the step's rate gate, ended at once by
// the step's abort signal, and never longer than its documented maximum (or the configured bound).

import { waitUntilImageAvailable } from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import { AwsContext, MAX_WAIT_SECONDS, apiFamily } from '../../../../main/providers/aws/clients';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { describeMoto } from '../../../peers/moto';
import { useMoto } from './moto-fixture';
import { env, step } from './step-context';

describeMoto('AwsContext waits against moto', () => {
  const moto = useMoto();
  const region = env('us-east-1');
  const missing = { ImageIds: ['ami-0123456789abcdef0'] };

  it('an abort during a wait ends it with Cancelled, and every poll took a token of the read family', async () => {
    const aws = moto.context();
    const controller = new AbortController();
    const ctx = { ...step({ jobId: 'wait-1', source: region, target: region }), signal: controller.signal };
    const polls: string[] = [];
    const gated = { ...ctx, read: <T>(family: string, call: (s: AbortSignal) => Promise<T>) => (polls.push(family), polls.length === 3 && controller.abort(), call(controller.signal)) };
    await expect(aws.wait(gated, region, 'ec2:ImageAvailable', 'image ami-0123456789abcdef0', waitUntilImageAvailable, aws.ec2(region), missing)).rejects.toSatisfy(
      (e) => e instanceof ProviderFailure && e.code === 'Cancelled' && e.message === 'Stopped waiting for image ami-0123456789abcdef0: the job was cancelled.',
    );
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(new Set(polls)).toEqual(new Set(['aws.ec2.read']));
  });

  it('a wait that runs out fails as retryable with a sentence naming what it waited for', async () => {
    const aws = new AwsContext({ endpoint: moto.client('us-east-1').endpoint, pollIntervalMs: 10, waitTimeoutMs: 200 });
    try {
      const ctx = step({ jobId: 'wait-2', source: region, target: region });
      await expect(aws.wait(ctx, region, 'ec2:ImageAvailable', 'image ami-0123456789abcdef0', waitUntilImageAvailable, aws.ec2(region), missing)).rejects.toSatisfy(
        (e) => e instanceof ProviderFailure && e.retryable && /^Timed out after \d+ min waiting for image ami-0123456789abcdef0 \(the longest AWS documents for this wait\); the console will retry\.$/.test(e.message),
      );
    } finally {
      aws.destroy();
    }
  });

  it('documents each wait by its waiter model, and maps actions to the rate-limit families', () => {
    // delay × maxAttempts of botocore's waiters-2.json, e.g. ec2 InstanceRunning 15 s × 40 and eks NodegroupActive 30 s × 80.
    expect(MAX_WAIT_SECONDS['ec2:InstanceRunning']).toBe(600);
    expect(MAX_WAIT_SECONDS['eks:NodegroupActive']).toBe(2400);
    expect(MAX_WAIT_SECONDS['rds:DBInstanceAvailable']).toBe(1800);
    expect(apiFamily('ec2:RunInstances')).toBe('aws.ec2.run-instances');
    expect(apiFamily('ec2:CreateTags')).toBe('aws.ec2.mutating');
    expect(apiFamily('ec2:DescribeImages')).toBe('aws.ec2.read');
    expect(apiFamily('rds:PromoteReadReplica')).toBe('aws.rds.mutating');
    expect(apiFamily('iam:CreateRole')).toBe('aws.iam');
    expect(apiFamily('s3:PutBucketTagging')).toBe('aws.s3');
  });
});

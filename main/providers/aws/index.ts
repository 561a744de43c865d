// The AWS provider: real AWS SDK v3 clients behind the provider port, for EC2, S3, RDS/Aurora,
// DynamoDB and EKS. Tests point every client at moto through `endpoint`.

import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ResourceTypeId } from '../../../shared/catalog';
import { ProviderFailure } from '../provider-failure';
import type { DiscoveredResource } from '../../../shared/domain';
import type { ConnectionCheck, EnvRef, ProviderAdapter, ResolvedAccount, ResourceHandler } from '../types';
import { discoverAll } from './discovery';
import { AwsContext, type AwsProviderOptions } from './clients';
import { createEc2InstanceHandler } from './ec2-instance';
import { createEksHandler } from './eks';
import { createDynamoDbHandler } from './dynamodb';
import { createRdsHandler } from './rds';
import { createS3BucketHandler } from './s3-bucket';
import { createAwsTargetStore } from './target-store';

export { AwsContext, type AwsProviderOptions } from './clients';
export { listAwsProfiles } from './profiles';

export interface AwsProvider extends ProviderAdapter {
  readonly simulated: false;
  /** The clients and helpers the handlers share (tests read state back through the same clients). */
  readonly aws: AwsContext;
  /** Every supported type's resources in one environment (the policy's resource picker). */
  discover(env: EnvRef, signal: AbortSignal): Promise<DiscoveredResource[]>;
  /** Destroys every SDK client (their keep-alive sockets); the same as dispose(), synchronously. */
  close(): void;
}

export function createAwsProvider(opts: AwsProviderOptions = {}): AwsProvider {
  const aws = new AwsContext(opts);
  const handlers = new Map<ResourceTypeId, ResourceHandler>();
  for (const h of [createEc2InstanceHandler(aws), createS3BucketHandler(aws), createRdsHandler(aws), createDynamoDbHandler(aws), createEksHandler(aws)]) handlers.set(h.type, h);

  return {
    kind: 'aws',
    label: 'AWS',
    simulated: false,
    clouds: ['aws'],
    aws,
    handler: (type) => handlers.get(type),
    targetStore: createAwsTargetStore(aws),
    observeCalls: (listener) => aws.observe(listener),
    discover: (env, signal) => discoverAll(handlers, { env, signal }),
    async testConnection(account: ResolvedAccount, signal: AbortSignal): Promise<ConnectionCheck> {
      if (account.cloud !== 'aws') {
        throw new ProviderFailure('PreconditionFailed', `Account "${account.name}" is a ${account.cloud} account, not AWS.`);
      }
      const who = await aws.call(account, 'sts:GetCallerIdentity', () =>
        aws.stsFor(account, 'us-east-1').send(new GetCallerIdentityCommand({}), { abortSignal: signal }),
      );
      if (!who.Account) throw new ProviderFailure('ProviderError', 'AWS answered without an account id.');
      return { identity: who.Account, message: `Connected to AWS account ${who.Account} as ${who.Arn ?? 'unknown principal'}.` };
    },
    close: () => aws.destroy(),
    dispose: () => {
      aws.destroy();
      return Promise.resolve();
    },
  };
}

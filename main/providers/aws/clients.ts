// One AWS SDK v3 client per account + region + service, with the account's credentials (static keys,
// a named profile incl. SSO, or an assumed role) and the SDK's own retries kept low: the engine retries.

import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CredentialInput } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CallOutcomeListener, EnvRef, ResolvedAccount } from '../types';
import { mapAwsError } from './errors';

export type AwsCredentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface AwsProviderOptions {
  /** Endpoint override for every service (tests against moto: http://127.0.0.1:<port>). */
  endpoint?: string;
  /** Extra SDK client config merged into every client (e.g. a custom requestHandler). */
  clientConfig?: Record<string, unknown>;
  /** SDK attempts per call (default 2): the job engine owns retries, so they must not stack. */
  maxAttempts?: number;
  /** Replaces the credential resolution (tests); receives the decrypted account. */
  credentialsFor?: (account: ResolvedAccount) => AwsCredentials;
  /** How long waiters sleep between polls (ms); default 5,000, tests use less. */
  pollIntervalMs?: number;
  /** Longest a handler waits for one resource to become ready (ms); default 30 minutes. */
  waitTimeoutMs?: number;
}

type Service = 'ec2' | 's3' | 'rds' | 'dynamodb' | 'eks' | 'iam' | 'sts';
type AnyClient = EC2Client | S3Client | RDSClient | DynamoDBClient | EKSClient | IAMClient | STSClient;

type KeyCredential = Extract<CredentialInput, { kind: 'aws-access-key' }>;

function staticKeys(c: Pick<KeyCredential, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>): AwsCredentialIdentity {
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
}

/** The profile an account's credentials come from (for SSO error messages), if any. */
export function profileOf(account: ResolvedAccount): string | undefined {
  const c = account.credentials;
  if (c.kind === 'aws-profile') return c.profile;
  if (c.kind === 'aws-assume-role' && c.source.kind === 'aws-profile') return c.source.profile;
  return undefined;
}

/**
 * The clients of the AWS provider and the helpers every handler uses. Part of the adapter's public
 * surface: the RDS, DynamoDB and EKS handlers are written against it.
 */
export class AwsContext {
  readonly endpoint: string | undefined;
  readonly maxAttempts: number;
  readonly pollIntervalMs: number;
  readonly waitTimeoutMs: number;
  private readonly clients = new Map<string, AnyClient>();
  private readonly credentialCache = new Map<string, AwsCredentials>();
  private readonly accountIds = new Map<string, Promise<string>>();
  private readonly observers = new Set<CallOutcomeListener>();

  constructor(private readonly opts: AwsProviderOptions = {}) {
    this.endpoint = opts.endpoint;
    this.maxAttempts = Math.min(Math.max(opts.maxAttempts ?? 2, 1), 3);
    this.pollIntervalMs = opts.pollIntervalMs ?? (opts.endpoint ? 50 : 5000);
    this.waitTimeoutMs = opts.waitTimeoutMs ?? 30 * 60_000;
  }

  ec2(env: EnvRef): EC2Client {
    return this.client('ec2', env.account, env.region, (c) => new EC2Client(c));
  }
  s3(env: EnvRef): S3Client {
    // Path-style only against an endpoint override (moto has no virtual-host DNS); real S3 follows
    // region redirects because a client in one region may touch the other region's bucket.
    return this.client('s3', env.account, env.region, (c) =>
      new S3Client({ ...c, followRegionRedirects: true, ...(this.endpoint ? { forcePathStyle: true } : {}) }),
    );
  }
  rds(env: EnvRef): RDSClient {
    return this.client('rds', env.account, env.region, (c) => new RDSClient(c));
  }
  dynamodb(env: EnvRef): DynamoDBClient {
    return this.client('dynamodb', env.account, env.region, (c) => new DynamoDBClient(c));
  }
  eks(env: EnvRef): EKSClient {
    return this.client('eks', env.account, env.region, (c) => new EKSClient(c));
  }
  /** IAM is global; the env only picks the account (and the partition through its region). */
  iam(env: EnvRef): IAMClient {
    return this.client('iam', env.account, env.region, (c) => new IAMClient(c));
  }
  sts(env: EnvRef): STSClient {
    return this.client('sts', env.account, env.region, (c) => new STSClient(c));
  }

  /** Same as the env variants, for an account outside any environment (connection test). */
  stsFor(account: ResolvedAccount, region: string): STSClient {
    return this.client('sts', account, region, (c) => new STSClient(c));
  }

  /**
   * Runs one SDK call; any failure comes back as a ProviderFailure naming `action` (an IAM action such
   * as "ec2:RunInstances"). Every SDK call of the adapter goes through here.
   */
  async call<T>(env: EnvRef | ResolvedAccount, action: string, run: () => Promise<T>): Promise<T> {
    const account = 'account' in env ? env.account : env;
    try {
      const value = await run();
      this.report(account.id, true);
      return value;
    } catch (err) {
      const profile = profileOf(account);
      const failure = mapAwsError(err, action, profile ? { profile } : {});
      if (failure.code === 'ProviderOffline') this.report(account.id, false, failure.message);
      else if (failure.code !== 'Cancelled') this.report(account.id, true);
      throw failure;
    }
  }

  /** Every call's reachability per account, for the connectivity indicator; returns unsubscribe. */
  observe(listener: CallOutcomeListener): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  private report(accountId: string, reachable: boolean, message?: string): void {
    for (const l of this.observers) l(message === undefined ? { accountId, reachable } : { accountId, reachable, message });
  }

  /** Like call(), but a NotFound answer is `undefined` rather than an error. */
  async find<T>(env: EnvRef, action: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(env, action, run);
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** The 12-digit account id behind an environment's credentials (STS GetCallerIdentity, cached). */
  accountId(env: EnvRef): Promise<string> {
    const scoped = /^\d{12}$/.test(env.scope.trim()) ? env.scope.trim() : null;
    if (scoped) return Promise.resolve(scoped);
    const key = env.account.id;
    let p = this.accountIds.get(key);
    if (!p) {
      p = this.call(env, 'sts:GetCallerIdentity', () => this.sts(env).send(new GetCallerIdentityCommand({}))).then((r) => {
        if (!r.Account) throw new ProviderFailure('ProviderError', 'AWS did not say which account the credentials belong to.');
        return r.Account;
      });
      p.catch(() => this.accountIds.delete(key));
      this.accountIds.set(key, p);
    }
    return p;
  }

  /**
   * Polls `probe` until it returns a value (not undefined), honouring the step's abort signal.
   * `what` names the wait in the timeout message.
   */
  async waitFor<T>(what: string, signal: AbortSignal, probe: () => Promise<T | undefined>, timeoutMs = this.waitTimeoutMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal.aborted) throw new ProviderFailure('Cancelled', `Stopped waiting for ${what}: the job was cancelled.`);
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new ProviderFailure('ProviderUnavailable', `Timed out waiting for ${what}; the console will retry.`);
      }
      await new Promise((r) => setTimeout(r, this.pollIntervalMs));
    }
  }

  /** The credentials an account's clients sign with. */
  credentials(account: ResolvedAccount): AwsCredentials {
    const cached = this.credentialCache.get(account.id);
    if (cached) return cached;
    const made = this.opts.credentialsFor ? this.opts.credentialsFor(account) : this.resolveCredentials(account);
    this.credentialCache.set(account.id, made);
    return made;
  }

  private resolveCredentials(account: ResolvedAccount): AwsCredentials {
    const c = account.credentials;
    switch (c.kind) {
      case 'aws-access-key':
        return staticKeys(c);
      case 'aws-profile':
        // fromIni covers static, SSO (IAM Identity Center), credential_process and role_arn profiles.
        return fromIni({ profile: c.profile, ignoreCache: false });
      case 'aws-assume-role': {
        const master: AwsCredentials = c.source.kind === 'aws-profile' ? fromIni({ profile: c.source.profile }) : staticKeys(c.source);
        return fromTemporaryCredentials({
          masterCredentials: master,
          params: {
            RoleArn: c.roleArn,
            RoleSessionName: c.sessionName ?? 'failover-console',
            ...(c.externalId ? { ExternalId: c.externalId } : {}),
            DurationSeconds: 3600,
          },
          clientConfig: { maxAttempts: this.maxAttempts, ...(this.endpoint ? { endpoint: this.endpoint, region: 'us-east-1' } : {}) },
        });
      }
      default:
        throw new ProviderFailure('PreconditionFailed', `Account "${account.name}" has ${c.kind} credentials, which the AWS provider cannot use.`);
    }
  }

  private client<C extends AnyClient>(
    service: Service,
    account: ResolvedAccount,
    region: string,
    make: (config: Record<string, unknown> & { region: string }) => C,
  ): C {
    const key = `${account.id}|${region}|${service}`;
    const existing = this.clients.get(key);
    if (existing) return existing as C;
    const client = make({
      region,
      credentials: this.credentials(account),
      maxAttempts: this.maxAttempts,
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      ...(this.opts.clientConfig ?? {}),
    });
    this.clients.set(key, client);
    return client;
  }

  /** Closes every client's sockets (tests, app exit). */
  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
    this.credentialCache.clear();
  }
}

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
import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CredentialInput } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { ApiFamily, CallOutcomeListener, EnvRef, MutateSpec, OperationRecord, ResolvedAccount, StepContext } from '../types';
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
  /**
   * An upper bound on any one wait (ms), below the documented maxima of `MAX_WAIT_SECONDS`; tests use it
   * to prove a timeout. The documented maximum of each wait always applies.
   */
  waitTimeoutMs?: number;
  /** Called with every SDK client the provider makes (tests add request-recording middleware). */
  instrument?: (client: { middlewareStack: AnyClient['middlewareStack'] }, service: string) => void;
  /**
   * How long a new connection may take before the call fails as offline (ms; default 5,000). The SDK
   * sets none, so a laptop whose packets go nowhere would wait for the system's TCP timeout (minutes).
   */
  connectTimeoutMs?: number;
  /** How long a connection may stay silent mid-call before the call fails as offline (ms; default 30,000). */
  socketTimeoutMs?: number;
}

/** The defaults of the two network timeouts (see AwsProviderOptions). */
export const AWS_NETWORK_TIMEOUTS = { connectMs: 5_000, socketMs: 30_000 } as const;

/**
 * The longest each wait may last: delay × maxAttempts of the service's own waiter model, the definitions
 * the SDK's `waitUntil...` and the AWS CLI's `aws <service> wait ...` are generated from (botocore
 * `data/<service>/<version>/waiters-2.json`; e.g. ec2 InstanceRunning 15 s × 40, rds DBInstanceAvailable
 * 30 s × 60, eks ClusterActive 30 s × 40, eks NodegroupActive 30 s × 80, dynamodb TableExists 20 s × 25).
 * A wait that runs out fails the step as retryable; the retry resumes the same operation from its journal.
 */
export const MAX_WAIT_SECONDS = {
  'ec2:ImageAvailable': 15 * 40,
  'ec2:InstanceRunning': 15 * 40,
  'ec2:InstanceTerminated': 15 * 40,
  'ec2:SnapshotCompleted': 15 * 40,
  'ec2:VolumeAvailable': 15 * 40,
  'rds:DBInstanceAvailable': 30 * 60,
  'rds:DBClusterAvailable': 30 * 60,
  'rds:DBSnapshotAvailable': 30 * 60,
  'rds:DBClusterSnapshotAvailable': 30 * 60,
  'rds:DBInstanceDeleted': 30 * 60,
  'eks:ClusterActive': 30 * 40,
  'eks:NodegroupActive': 30 * 80,
  'eks:NodegroupDeleted': 30 * 40,
  'dynamodb:TableExists': 20 * 25,
  'iam:InstanceProfileExists': 1 * 40,
} as const;
export type AwsWait = keyof typeof MAX_WAIT_SECONDS;

/** What a waiter function of the SDK looks like (`waitUntilInstanceRunning` and its kin). */
type SdkWaiter<C, I> = (
  params: { client: C; maxWaitTime: number; minDelay?: number; maxDelay?: number; abortSignal?: AbortSignal },
  input: I,
) => Promise<unknown>;

/** What a paginator function of the SDK looks like (`paginateDescribeInstances` and its kin). */
type SdkPaginator<C, I, O> = (config: { client: C; pageSize?: number }, input: I) => AsyncIterable<O>;

/** The context a call runs in: a step (rate-limited, journaled) or a discovery (signal only). */
export type CallContext = Pick<StepContext, 'signal'> & Partial<Pick<StepContext, 'read' | 'rateGate'>>;

/** The rate-limit family of an IAM-style action ("ec2:RunInstances", "rds:DescribeDBInstances"...). */
export function apiFamily(action: string): ApiFamily {
  const [service = '', op = ''] = action.split(':');
  const reading = /^(Describe|Get|List|Head)/.test(op);
  switch (service) {
    case 'ec2':
      // EC2 has three buckets: RunInstances has its own; every other call is mutating or not.
      if (op === 'RunInstances') return 'aws.ec2.run-instances';
      return reading ? 'aws.ec2.read' : 'aws.ec2.mutating';
    case 'rds':
      return reading ? 'aws.rds.read' : 'aws.rds.mutating';
    default:
      return `aws.${service}`;
  }
}

/** "RunInstancesCommand" -> "RunInstances": the operation a command object sends. */
export function operationOf(command: unknown): string {
  const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? '';
  return name.replace(/Command$/, '');
}

/** A mutation of the AWS adapter: one SDK call under one opKey of the step's journal. */
export interface AwsMutation<T> {
  /** The IAM action, for the error sentence and the rate-limit family ("ec2:RunInstances"). */
  action: string;
  /** Idempotency material committed before the call (names, client tokens); action and region are added. */
  intent?: Record<string, unknown>;
  /** An earlier attempt committed the intent but no outcome: look up what it may have made. */
  resume?: (previous: OperationRecord, signal: AbortSignal) => Promise<T | undefined>;
  /** The call; the signal is the step's. */
  call: (signal: AbortSignal, op: { handle(h: Record<string, unknown>): Promise<void> }) => Promise<T>;
  /** A NotFound answer means "already done" (deletes): resolves to null instead of failing. */
  absentOk?: boolean;
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
  /** Waiter delays in seconds when polling is set (tests, an endpoint override); else the SDK's own per waiter. */
  private readonly pollDelaySeconds: number | undefined;
  private readonly clients = new Map<string, AnyClient>();
  private readonly credentialCache = new Map<string, AwsCredentials>();
  private readonly accountIds = new Map<string, Promise<string>>();
  private readonly observers = new Set<CallOutcomeListener>();
  /** The SDK's Node HTTP handler options: short connect and silence timeouts, so offline shows at once. */
  private readonly requestHandler: { connectionTimeout: number; socketTimeout: number };

  constructor(private readonly opts: AwsProviderOptions = {}) {
    this.endpoint = opts.endpoint;
    this.requestHandler = {
      connectionTimeout: opts.connectTimeoutMs ?? AWS_NETWORK_TIMEOUTS.connectMs,
      socketTimeout: opts.socketTimeoutMs ?? AWS_NETWORK_TIMEOUTS.socketMs,
    };
    this.maxAttempts = Math.min(Math.max(opts.maxAttempts ?? 2, 1), 3);
    this.pollIntervalMs = opts.pollIntervalMs ?? (opts.endpoint ? 50 : 5000);
    this.waitTimeoutMs = opts.waitTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.pollDelaySeconds = opts.pollIntervalMs !== undefined || opts.endpoint ? this.pollIntervalMs / 1000 : undefined;
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

  /**
   * A describe/get/list call: through the step's rate gate (ctx.read) when there is a step, with the
   * step's (or discovery's) abort signal, errors mapped like call().
   */
  read<T>(ctx: CallContext, env: EnvRef | ResolvedAccount, action: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const guarded = (signal: AbortSignal) => this.call(env, action, () => run(signal));
    return ctx.read ? ctx.read(apiFamily(action), guarded) : guarded(ctx.signal);
  }

  /** Like read(), but a NotFound answer is `undefined` rather than an error. */
  async lookup<T>(ctx: CallContext, env: EnvRef, action: string, run: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.read(ctx, env, action, run);
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /**
   * The one way the adapter changes AWS: ctx.mutate under `opKey`, the intent carrying the action, its
   * region and the caller's idempotency material; errors mapped to ProviderFailure sentences.
   */
  mutate<T>(ctx: StepContext, env: EnvRef, opKey: string, m: AwsMutation<T>): Promise<T> {
    const spec: MutateSpec<T> = {
      family: apiFamily(m.action),
      intent: { action: m.action, region: env.region, ...(m.intent ?? {}) },
      ...(m.resume ? { resume: m.resume } : {}),
      call: async (signal, op) => {
        try {
          return await this.call(env, m.action, () => m.call(signal, op));
        } catch (err) {
          if (m.absentOk && err instanceof ProviderFailure && err.code === 'NotFound') return null as T;
          throw err;
        }
      },
    };
    return ctx.mutate(opKey, spec);
  }

  /**
   * A client whose every request (a waiter's polls, a paginator's pages) goes through the step's rate
   * gate and carries the step's signal. Without a step (discovery) the client itself, with the signal.
   */
  gated<C extends AnyClient>(ctx: CallContext, client: C, service: string): C {
    // Errors pass through unmapped: a waiter's acceptors match the SDK's own error names.
    const send = (command: unknown, options?: Record<string, unknown>) => {
      const run = (signal: AbortSignal) => (client.send as (c: unknown, o: unknown) => Promise<unknown>)(command, { ...(options ?? {}), abortSignal: signal });
      return ctx.read ? ctx.read(apiFamily(`${service}:${operationOf(command)}`), run) : run(ctx.signal);
    };
    return new Proxy(client, { get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)) });
  }

  /**
   * Waits with the SDK's own waiter, never longer than the wait's documented maximum; the step's abort
   * signal ends the wait at once. `what` names the wait in the sentences.
   */
  async wait<C extends AnyClient, I>(
    ctx: CallContext,
    env: EnvRef,
    wait: AwsWait,
    what: string,
    waiter: SdkWaiter<C, I>,
    client: C,
    input: I,
  ): Promise<void> {
    const service = wait.split(':')[0]!;
    const documented = MAX_WAIT_SECONDS[wait];
    const maxWaitTime = Math.max(Math.min(documented, this.waitTimeoutMs / 1000), 0.05);
    const delays = this.pollDelaySeconds ? { minDelay: Math.min(this.pollDelaySeconds, maxWaitTime / 2), maxDelay: Math.min(this.pollDelaySeconds * 4, maxWaitTime) } : {};
    try {
      await waiter({ client: this.gated(ctx, client, service), maxWaitTime, abortSignal: ctx.signal, ...delays }, input);
    } catch (err) {
      const name = (err as { name?: string })?.name;
      if (ctx.signal.aborted || name === 'AbortError') throw new ProviderFailure('Cancelled', `Stopped waiting for ${what}: the job was cancelled.`);
      if (name === 'TimeoutError') {
        throw new ProviderFailure('ProviderUnavailable', `Timed out after ${Math.round(maxWaitTime / 60)} min waiting for ${what} (the longest AWS documents for this wait); the console will retry.`);
      }
      const reason = waiterReason(err);
      throw new ProviderFailure('ProviderError', `AWS reports that ${what} failed${reason ? ` (${reason})` : ''}.`, { cause: err });
    }
  }

  /** Every page of an SDK paginator, each page through the step's rate gate; `action` names it in errors. */
  async pages<C extends AnyClient, I, O>(ctx: CallContext, env: EnvRef, action: string, paginate: SdkPaginator<C, I, O>, client: C, input: I): Promise<O[]> {
    const service = action.split(':')[0]!;
    return this.call(env, action, async () => {
      const out: O[] = [];
      for await (const page of paginate({ client: this.gated(ctx, client, service) }, input)) out.push(page);
      return out;
    });
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
  accountId(env: EnvRef, ctx?: CallContext): Promise<string> {
    const scoped = env.scope.cloud === 'aws' ? env.scope.accountId : null;
    if (scoped) return Promise.resolve(scoped);
    const key = env.account.id;
    let p = this.accountIds.get(key);
    if (!p) {
      const ask = (signal?: AbortSignal) => this.sts(env).send(new GetCallerIdentityCommand({}), signal ? { abortSignal: signal } : {});
      p = (ctx ? this.read(ctx, env, 'sts:GetCallerIdentity', ask) : this.call(env, 'sts:GetCallerIdentity', () => ask())).then((r) => {
        if (!r.Account) throw new ProviderFailure('ProviderError', 'AWS did not say which account the credentials belong to.');
        return r.Account;
      });
      p.catch(() => this.accountIds.delete(key));
      this.accountIds.set(key, p);
    }
    return p;
  }

  /** Sleeps `ms`, or less when the step's signal aborts (then throws Cancelled). */
  async pause(ms: number, signal: AbortSignal, what: string): Promise<void> {
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      throw new ProviderFailure('Cancelled', `Stopped waiting for ${what}: the job was cancelled.`);
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
          clientConfig: { maxAttempts: this.maxAttempts, requestHandler: this.requestHandler, ...(this.endpoint ? { endpoint: this.endpoint, region: 'us-east-1' } : {}) },
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
      requestHandler: this.requestHandler,
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      ...(this.opts.clientConfig ?? {}),
    });
    this.opts.instrument?.(client, service);
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

/** The acceptor's words from a waiter failure ("{"state":"FAILURE","reason":{...}}"), when there are any. */
function waiterReason(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  try {
    const parsed = JSON.parse(message) as { reason?: { message?: string; Message?: string } | string };
    const r = parsed.reason;
    if (typeof r === 'string') return r;
    return r?.message ?? r?.Message ?? undefined;
  } catch {
    return undefined;
  }
}

// The Azure provider's clients: one MSAL-backed TokenCredential per account and one cached ARM client
// per account + subscription + service, all sharing a pipeline policy that reads ARM's
// x-ms-ratelimit-remaining-subscription-* headers (so a nearly empty bucket slows the console before
// ARM answers 429) and puts every request a poller or pager makes through the step's rate gate.
// The SDK's own retries stay low: the engine retries.

import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { MySQLManagementFlexibleServerClient } from '@azure/arm-mysql-flexible';
import { NetworkManagementClient } from '@azure/arm-network';
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SqlManagementClient } from '@azure/arm-sql';
import { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/core-auth';
import type { Pipeline, PipelinePolicy } from '@azure/core-rest-pipeline';
import { CLOUD_RATE_LIMITS } from '../../core/jobs/rate-limits';
import { ProviderFailure } from '../provider-failure';
import type { ApiFamily, CallOutcomeListener, CredentialCachePort, EnvRef, ResolvedAccount, StepContext } from '../types';
import { AZURE_CLOUDS, servicePrincipalApp, vaultCachePlugin, type AzureCloud, type AzureCloudName, type CustomAuthority } from './auth';
import { MsalTokenCredential } from './credential';
import { mapArmError } from './errors';

/** ARM's three per-subscription buckets, as its headers name them. */
export type ArmBucket = 'reads' | 'writes' | 'deletes';

export interface AzureProviderOptions {
  /** Replaces the cloud's ARM endpoint for every client (tests: the ARM peer's http://127.0.0.1:<port>). */
  armEndpoint?: string;
  /** Lets the clients talk http (the ARM peer); never set in the app. */
  allowInsecureConnection?: boolean;
  /**
   * Replaces the pipeline's bearerTokenAuthenticationPolicy (Azure SDK clients refuse to send a bearer
   * token over http): tests set a policy that adds the peer's token. The credential is then not asked.
   */
  authPolicy?: PipelinePolicy;
  /**
   * Tests against an http ARM peer with a real identity peer: the account's MSAL credential is asked for
   * each token (as the bearer policy would) and the token is sent over http. Never set in the app.
   */
  bearerOverHttp?: boolean;
  /** How often a long-running operation is polled (ms); the SDK's default (2 s, or Retry-After) when absent. */
  updateIntervalInMs?: number;
  /** Replaces the cloud's Entra ID authority (a test identity peer, an OIDC authority). */
  customAuthority?: CustomAuthority;
  /** The cloud when the account does not say (default: Azure public). */
  defaultCloud?: AzureCloudName;
  /** Where MSAL's token cache is sealed (the vault's credential-cache port); in memory only when absent. */
  credentialCache?: CredentialCachePort;
  /** Replaces the credential resolution (tests); receives the decrypted account. */
  credentialFor?: (account: ResolvedAccount) => TokenCredential;
  /** SDK retries per request (default 1): the engine owns retries, so they must not stack. */
  maxRetries?: number;
  /**
   * Below this many remaining requests in a bucket (x-ms-ratelimit-remaining-subscription-*), requests of
   * that kind wait for the bucket to refill to it at ARM's published refill rate. Default 10.
   */
  headroomFloor?: number;
  /** Called with every ARM client the provider makes (tests add request-recording policies). */
  instrument?: (client: { pipeline: Pipeline }, service: AzureService) => void;
}

export type AzureService = 'compute' | 'network' | 'resources' | 'sql' | 'storage' | 'containerservice' | 'mysql' | 'postgresql';

/** The ARM API family of an RBAC action ("Microsoft.Compute/virtualMachines/write"). */
export function armFamily(action: string): ApiFamily {
  const verb = action.slice(action.lastIndexOf('/') + 1).toLowerCase();
  if (verb === 'read') return 'azure.arm.read';
  if (verb === 'delete') return 'azure.arm.delete';
  return 'azure.arm.write';
}

/** The bucket an HTTP method draws from: ARM counts GET/HEAD as reads, DELETE as deletes, the rest as writes. */
export function bucketOf(method: string): ArmBucket {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

const FAMILY_OF_BUCKET: Record<ArmBucket, ApiFamily> = { reads: 'azure.arm.read', writes: 'azure.arm.write', deletes: 'azure.arm.delete' };

/** The context a call runs in: a step (rate-limited, journaled) or a discovery (signal only). */
export type CallContext = Pick<StepContext, 'signal'> & Partial<Pick<StepContext, 'read' | 'rateGate'>>;

/**
 * What the pipeline policy knows of the call in progress (AsyncLocalStorage: the clients are shared
 * by every step, the call is not). `prepaid` requests already took their token through ctx.read or
 * ctx.mutate; every further request (polls, next pages, the GET after an operation) takes one.
 */
interface CallScope {
  ctx: CallContext;
  prepaid: number;
}
const callScope = new AsyncLocalStorage<CallScope>();

/**
 * What ARM last said of each bucket, per subscription: remaining requests and when. Requests reserve
 * from the estimate (remaining + refill since), so concurrent steps space out instead of all waiting
 * for the same refill.
 */
export class ArmHeadroom {
  private readonly seen = new Map<string, { remaining: number; at: number }>();
  constructor(
    private readonly floor: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private static spec(bucket: ArmBucket): { bucketSize: number; refillPerSecond: number } {
    const s = CLOUD_RATE_LIMITS[FAMILY_OF_BUCKET[bucket]];
    return s && s.kind === 'token-bucket' ? s : { bucketSize: 200, refillPerSecond: 10 };
  }

  /** Records a header's value (ignores absent or malformed ones). */
  observe(subscriptionId: string, bucket: ArmBucket, header: string | undefined): void {
    if (header === undefined) return;
    const remaining = Number(header);
    if (!Number.isFinite(remaining) || remaining < 0) return;
    this.seen.set(`${subscriptionId.toLowerCase()}|${bucket}`, { remaining, at: this.now() });
  }

  /** How long the next request of this bucket should wait (ms), reserving its token; 0 when there is room. */
  reserve(subscriptionId: string, bucket: ArmBucket): number {
    const s = this.seen.get(`${subscriptionId.toLowerCase()}|${bucket}`);
    if (!s) return 0;
    const { bucketSize, refillPerSecond } = ArmHeadroom.spec(bucket);
    const now = this.now();
    // The estimate at a time t is remaining + refill × (t − at), capped at the bucket size; `at` may lie
    // ahead of now when earlier requests reserved the refill up to then.
    const estimate = s.at <= now ? Math.min(bucketSize, s.remaining + (refillPerSecond * (now - s.at)) / 1000) : s.remaining;
    if (s.at <= now && estimate >= this.floor) {
      s.remaining = estimate - 1;
      s.at = now;
      return 0;
    }
    const from = Math.max(s.at, now);
    const readyAt = from + (Math.max(0, this.floor - estimate) / refillPerSecond) * 1000;
    s.remaining = this.floor - 1;
    s.at = readyAt;
    return Math.ceil(readyAt - now);
  }

  /** The latest estimate per bucket (tests, diagnostics). */
  remaining(subscriptionId: string, bucket: ArmBucket): number | undefined {
    return this.seen.get(`${subscriptionId.toLowerCase()}|${bucket}`)?.remaining;
  }
}

/** The cloud an account's credentials name (the sign-in kinds carry one), else the provider's default. */
export function cloudOf(account: ResolvedAccount, fallback: AzureCloudName = 'AzurePublicCloud'): AzureCloud {
  const named = (account.credentials as { cloud?: unknown }).cloud;
  return typeof named === 'string' && named in AZURE_CLOUDS ? AZURE_CLOUDS[named as AzureCloudName] : AZURE_CLOUDS[fallback];
}

/** The subscription and resource group of an Azure environment; a missing one is the operator's to fix. */
export function armScopeOf(env: EnvRef): { subscriptionId: string; resourceGroup: string } {
  const s = env.scope;
  if (s.cloud !== 'azure') throw new ProviderFailure('PreconditionFailed', `Environment ${env.environmentId} is not an Azure environment.`);
  if (!s.subscriptionId) throw new ProviderFailure('PreconditionFailed', `The Azure environment in ${env.region} has no subscription: edit the environment and give its subscription id.`);
  if (!s.resourceGroup) throw new ProviderFailure('PreconditionFailed', `The Azure environment in ${env.region} has no resource group: edit the environment and give its resource group.`);
  return { subscriptionId: s.subscriptionId, resourceGroup: s.resourceGroup };
}

type AnyArmClient =
  | ComputeManagementClient
  | NetworkManagementClient
  | ResourceManagementClient
  | SqlManagementClient
  | StorageManagementClient
  | ContainerServiceClient
  | MySQLManagementFlexibleServerClient
  | PostgreSQLManagementFlexibleServerClient;

/** Secrets an account holds, so no error sentence can carry them. */
export function secretsOf(account: ResolvedAccount): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(account.credentials as Record<string, unknown>)) {
    if (typeof v === 'string' && /secret|password|key|token/i.test(k) && v.length >= 4) out.push(v);
  }
  return out;
}

/**
 * The clients of the Azure provider and the helpers every handler uses. Part of the adapter's public
 * surface: the SQL, storage, AKS and flexible-server handlers are written against it.
 */
export class AzureContext {
  private readonly clients = new Map<string, AnyArmClient>();
  private readonly credentials = new Map<string, TokenCredential>();
  private readonly observers = new Set<CallOutcomeListener>();
  readonly headroom: ArmHeadroom;

  constructor(readonly opts: AzureProviderOptions = {}) {
    this.headroom = new ArmHeadroom(opts.headroomFloor ?? 10);
  }

  /** Poller options for a long-running operation: the step's signal and the configured interval. */
  pollOptions(signal: AbortSignal): { abortSignal: AbortSignal; updateIntervalInMs?: number } {
    return { abortSignal: signal, ...(this.opts.updateIntervalInMs !== undefined ? { updateIntervalInMs: this.opts.updateIntervalInMs } : {}) };
  }

  cloud(account: ResolvedAccount): AzureCloud {
    return cloudOf(account, this.opts.defaultCloud);
  }

  /** The ARM endpoint an account's clients talk to. */
  armEndpoint(account: ResolvedAccount): string {
    return this.opts.armEndpoint ?? this.cloud(account).armEndpoint;
  }

  /** The account's TokenCredential: MSAL's confidential client for a service principal, cached per account. */
  credential(account: ResolvedAccount): TokenCredential {
    let c = this.credentials.get(account.id);
    if (c) return c;
    if (this.opts.credentialFor) {
      c = this.opts.credentialFor(account);
    } else {
      const creds = account.credentials;
      const cloud = this.cloud(account);
      const plugin = this.opts.credentialCache ? vaultCachePlugin(this.opts.credentialCache, account.id) : undefined;
      switch (creds.kind) {
        case 'azure-service-principal': {
          const app = servicePrincipalApp(
            { tenantId: creds.tenantId, clientId: creds.clientId, cloud: cloud.name, ...(this.opts.customAuthority ? { customAuthority: this.opts.customAuthority } : {}) },
            { kind: 'client-secret', clientSecret: creds.clientSecret },
            plugin,
          );
          c = new MsalTokenCredential({ kind: 'service-principal', app });
          break;
        }
        default:
          throw new ProviderFailure('PreconditionFailed', `Account "${account.name}" does not hold Azure credentials (${creds.kind}).`);
      }
    }
    this.credentials.set(account.id, c);
    return c;
  }

  compute(env: EnvRef): ComputeManagementClient {
    return this.client('compute', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new ComputeManagementClient(cred, sub, o));
  }
  network(env: EnvRef): NetworkManagementClient {
    return this.client('network', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new NetworkManagementClient(cred, sub, o));
  }
  resources(env: EnvRef): ResourceManagementClient {
    return this.resourcesFor(env.account, armScopeOf(env).subscriptionId);
  }
  /** Resource groups outside an environment (connection test): an account and a subscription. */
  resourcesFor(account: ResolvedAccount, subscriptionId: string): ResourceManagementClient {
    return this.client('resources', account, subscriptionId, (cred, sub, o) => new ResourceManagementClient(cred, sub, o));
  }
  sql(env: EnvRef): SqlManagementClient {
    return this.client('sql', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new SqlManagementClient(cred, sub, o));
  }
  storage(env: EnvRef): StorageManagementClient {
    return this.client('storage', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new StorageManagementClient(cred, sub, o));
  }
  containerService(env: EnvRef): ContainerServiceClient {
    return this.client('containerservice', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new ContainerServiceClient(cred, sub, o));
  }
  mysql(env: EnvRef): MySQLManagementFlexibleServerClient {
    return this.client('mysql', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new MySQLManagementFlexibleServerClient(cred, sub, o));
  }
  postgresql(env: EnvRef): PostgreSQLManagementFlexibleServerClient {
    return this.client('postgresql', env.account, armScopeOf(env).subscriptionId, (cred, sub, o) => new PostgreSQLManagementFlexibleServerClient(cred, sub, o));
  }

  /**
   * Runs one SDK call (and whatever requests it makes: polls, pages); any failure comes back as a
   * ProviderFailure naming `action` (an RBAC action such as "Microsoft.Compute/virtualMachines/write").
   * `prepaid`: how many of its requests already took their rate token (ctx.read / ctx.mutate took one).
   */
  async call<T>(ctx: CallContext, env: EnvRef | ResolvedAccount, action: string, run: () => Promise<T>, prepaid = 0): Promise<T> {
    const account = 'account' in env ? env.account : env;
    try {
      const value = await callScope.run({ ctx, prepaid }, run);
      this.report(account.id, true);
      return value;
    } catch (err) {
      const failure = mapArmError(err, action, { secrets: secretsOf(account) });
      if (failure.code === 'ProviderOffline') this.report(account.id, false, failure.message);
      else if (failure.code !== 'Cancelled') this.report(account.id, true);
      throw failure;
    }
  }

  /** A get/list call: through the step's rate gate (ctx.read) when there is a step, errors mapped like call(). */
  read<T>(ctx: CallContext, env: EnvRef | ResolvedAccount, action: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (ctx.read) {
      const gated = ctx.read;
      return gated(armFamily(action), (signal) => this.call({ ...ctx, signal }, env, action, () => run(signal), 1));
    }
    return this.call(ctx, env, action, () => run(ctx.signal));
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

  /** Every item of an SDK pager (each page a request; pages after the first take their own token). */
  list<T>(ctx: CallContext, env: EnvRef | ResolvedAccount, action: string, pager: (signal: AbortSignal) => AsyncIterable<T>): Promise<T[]> {
    return this.read(ctx, env, action, async (signal) => {
      const out: T[] = [];
      for await (const item of pager(signal)) out.push(item);
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

  /** The pipeline policy every client gets: rate gate for unpaid requests, header-fed headroom, after the retry phase (once per attempt). */
  private ratePolicy(subscriptionId: string): PipelinePolicy {
    return {
      name: 'failoverConsoleArmRate',
      sendRequest: async (request, next) => {
        const bucket = bucketOf(request.method);
        const scope = callScope.getStore();
        if (scope) {
          if (scope.prepaid > 0) scope.prepaid -= 1;
          else if (scope.ctx.rateGate) await scope.ctx.rateGate(FAMILY_OF_BUCKET[bucket]).take(scope.ctx.signal);
        }
        const waitMs = this.headroom.reserve(subscriptionId, bucket);
        if (waitMs > 0) await sleep(waitMs, undefined, request.abortSignal ? { signal: request.abortSignal as AbortSignal } : undefined);
        const response = await next(request);
        this.headroom.observe(subscriptionId, bucket, response.headers.get(`x-ms-ratelimit-remaining-subscription-${bucket}`));
        return response;
      },
    };
  }

  private client<C extends AnyArmClient>(
    service: AzureService,
    account: ResolvedAccount,
    subscriptionId: string,
    make: (credential: TokenCredential, subscriptionId: string, options: Record<string, unknown>) => C,
  ): C {
    const key = `${service}|${account.id}|${subscriptionId.toLowerCase()}`;
    const existing = this.clients.get(key);
    if (existing) return existing as C;
    const endpoint = this.armEndpoint(account);
    const scopes = [`${endpoint.replace(/\/+$/, '')}/.default`];
    const cloudScope = this.opts.armEndpoint ? scopes : [this.cloud(account).armScope];
    const credential: TokenCredential = this.opts.authPolicy ? refusingCredential : this.credential(account);
    const swap = this.opts.authPolicy ?? (this.opts.bearerOverHttp ? credentialOverHttp(credential, cloudScope) : undefined);
    const client = make(credential, subscriptionId, {
      endpoint,
      // The TypeSpec clients (compute, network, resources, storage, AKS) read `credentials.scopes`;
      // the classic ones (sql, mysql, postgresql) `credentialScopes`. Both default to the public cloud.
      credentials: { scopes: cloudScope },
      credentialScopes: cloudScope,
      ...(this.opts.allowInsecureConnection ? { allowInsecureConnection: true } : {}),
      retryOptions: { maxRetries: this.opts.maxRetries ?? 1, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
    });
    if (swap) {
      client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
      client.pipeline.addPolicy(swap);
    }
    client.pipeline.addPolicy(this.ratePolicy(subscriptionId), { afterPhase: 'Retry' });
    this.opts.instrument?.(client, service);
    this.clients.set(key, client);
    return client;
  }

  /** Drops every client and credential (their sockets close with the process's agent). */
  destroy(): void {
    this.clients.clear();
    this.credentials.clear();
  }
}

/** The bearer policy's job without its https check (tests: an http ARM peer, a real identity peer). */
function credentialOverHttp(credential: TokenCredential, scopes: string[]): PipelinePolicy {
  return {
    name: 'failoverConsoleTestBearerOverHttp',
    sendRequest: async (request, next) => {
      const token = await credential.getToken(scopes, request.abortSignal ? { abortSignal: request.abortSignal } : {});
      if (!token) throw new Error('The credential returned no token.');
      request.headers.set('authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
}

/** With a test auth policy the credential must never be asked; reaching it means the swap failed. */
const refusingCredential: TokenCredential = {
  getToken: () => Promise.reject(new Error('The ARM clients authenticate with the configured test policy; the credential must not be asked.')),
};

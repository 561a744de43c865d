// Connectivity per cloud account: every provider call's outcome (reported at the provider boundary,
// providers/types.ts observeCalls) keeps each account's state and its last successful call. Cloud
// actions ask requireReachable() first (a probe unless the account is known online) and fail fast with
// an "offline" sentence, changing nothing; offline accounts are probed in the background, and their
// return wakes the scheduler and outbox.

import type { Repos } from '../db/repos';
import type { CallOutcome } from '../providers/types';
import { ProviderFailure } from '../providers/provider-failure';
import type { Clock } from './clock';
import { DomainError, describeError } from './errors';
import type { EventBus } from './events';
import type { Logger } from './logger';
import type { ProviderRegistry } from './provider-registry';

export type ConnectivityStatus = 'unknown' | 'online' | 'offline';

export interface AccountConnectivity {
  accountId: string;
  status: ConnectivityStatus;
  lastOkAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
}

export interface ConnectivityOptions {
  /** How often offline accounts are probed again (first recheck; doubles up to maxRecheckMs). */
  recheckMs: number;
  maxRecheckMs: number;
  /** A probe that takes longer counts as offline. */
  probeTimeoutMs: number;
  /** Persist lastOkAt at most this often per account (every call would be an fsync otherwise). */
  persistEveryMs: number;
}

export const DEFAULT_CONNECTIVITY: ConnectivityOptions = {
  recheckMs: 10_000,
  maxRecheckMs: 120_000,
  probeTimeoutMs: 5_000,
  persistEveryMs: 30_000,
};

interface Row {
  account_id: string;
  status: ConnectivityStatus;
  last_ok_at: string | null;
  last_failure_at: string | null;
  last_error: string | null;
}

export interface ConnectivityDeps {
  repos: Repos;
  providers: ProviderRegistry;
  clock: Clock;
  events: EventBus;
  logger: Logger;
  options?: Partial<ConnectivityOptions>;
}

export class ConnectivityMonitor {
  readonly options: ConnectivityOptions;
  private readonly state = new Map<string, AccountConnectivity>();
  private readonly persistedAt = new Map<string, number>();
  private readonly onlineListeners = new Set<(accountId: string) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly probes = new Map<string, Promise<AccountConnectivity>>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private recheckMs: number;
  private running = false;

  constructor(private readonly d: ConnectivityDeps) {
    this.options = { ...DEFAULT_CONNECTIVITY, ...d.options };
    this.recheckMs = this.options.recheckMs;
    for (const r of d.repos.db.prepare('SELECT * FROM account_connectivity').all() as Row[]) {
      // A state from the last run is history, not the present: it says when the last call worked.
      this.state.set(r.account_id, { accountId: r.account_id, status: r.status === 'offline' ? 'offline' : 'unknown', lastOkAt: r.last_ok_at, lastFailureAt: r.last_failure_at, lastError: r.last_error });
    }
    for (const adapter of d.providers.list()) {
      const off = adapter.observeCalls?.((o) => this.record(o));
      if (off) this.unsubscribers.push(off);
    }
  }

  /** One call's outcome at the provider boundary. */
  record(o: CallOutcome): void {
    const now = this.d.clock.iso();
    const prev = this.state.get(o.accountId);
    const next: AccountConnectivity = o.reachable
      ? { accountId: o.accountId, status: 'online', lastOkAt: now, lastFailureAt: prev?.lastFailureAt ?? null, lastError: prev?.lastError ?? null }
      : { accountId: o.accountId, status: 'offline', lastOkAt: prev?.lastOkAt ?? null, lastFailureAt: now, lastError: o.message ?? 'The cloud could not be reached.' };
    this.state.set(o.accountId, next);
    const changed = prev?.status !== next.status;
    const last = this.persistedAt.get(o.accountId) ?? 0;
    if (changed || Date.parse(now) - last >= this.options.persistEveryMs) this.persist(next, now);
    if (!changed) return;
    this.d.events.emit('dr:connectivity.changed', { accountId: o.accountId, status: next.status });
    if (next.status === 'offline') {
      this.d.logger.warn(`Account ${o.accountId} is offline: ${next.lastError ?? ''}`);
      this.arm();
    }
    if (next.status === 'online' && prev?.status === 'offline') {
      this.d.logger.info(`Account ${o.accountId} is reachable again`);
      this.recheckMs = this.options.recheckMs;
      for (const l of this.onlineListeners) {
        try {
          l(o.accountId);
        } catch (err) {
          this.d.logger.error('A connectivity listener failed', describeError(err));
        }
      }
    }
  }

  get(accountId: string): AccountConnectivity {
    return this.state.get(accountId) ?? { accountId, status: 'unknown', lastOkAt: null, lastFailureAt: null, lastError: null };
  }

  list(): AccountConnectivity[] {
    return this.d.repos.accounts.list().map((a) => this.get(a.id));
  }

  isOffline(accountId: string): boolean {
    return this.get(accountId).status === 'offline';
  }

  /** Called with the account id whenever an offline account answers again. */
  onOnline(listener: (accountId: string) => void): () => void {
    this.onlineListeners.add(listener);
    return () => this.onlineListeners.delete(listener);
  }

  /** Asks the account's provider who we are (a cheap call); its outcome updates the state. One probe per account at a time. */
  check(accountId: string): Promise<AccountConnectivity> {
    const running = this.probes.get(accountId);
    if (running) return running;
    const probe = this.probe(accountId).finally(() => this.probes.delete(accountId));
    this.probes.set(accountId, probe);
    return probe;
  }

  private async probe(accountId: string): Promise<AccountConnectivity> {
    const account = this.d.repos.accounts.get(accountId);
    if (!account) throw new DomainError('NotFound', `Account ${accountId} was not found; it may have been deleted.`);
    const adapter = this.d.providers.find(account.provider);
    if (!adapter) return this.get(accountId);
    const signal = AbortSignal.timeout(this.options.probeTimeoutMs);
    try {
      await adapter.testConnection(this.d.providers.resolveAccount(accountId), signal);
      if (!adapter.observeCalls) this.record({ accountId, reachable: true });
    } catch (err) {
      const offline = (err instanceof ProviderFailure && (err.code === 'ProviderOffline' || (err.code === 'Cancelled' && signal.aborted))) || signal.aborted;
      // An adapter that reports its own calls has recorded the outcome already, except a timeout.
      if (offline && (!adapter.observeCalls || signal.aborted)) {
        this.record({ accountId, reachable: false, message: `${account.name} did not answer within ${Math.round(this.options.probeTimeoutMs / 1000)} s.` });
      } else if (!offline && !adapter.observeCalls && !(err instanceof DomainError)) {
        this.record({ accountId, reachable: true });
      }
    }
    return this.get(accountId);
  }

  /**
   * Before a cloud action: an account not known to be online (offline, or not heard from since this
   * console started) is probed first, within probeTimeoutMs, and the action is refused with a sentence
   * (nothing done) when it cannot be reached. So the first action of a session never waits on SDK
   * timeouts or starts a job whose every step fails; an account online already is not probed.
   */
  async requireReachable(accountIds: readonly string[], what: string): Promise<void> {
    for (const accountId of new Set(accountIds)) {
      if (this.get(accountId).status === 'online') continue;
      const now = await this.check(accountId);
      if (now.status === 'offline') throw this.offlineError(accountId, what);
    }
  }

  /** requireReachable for a policy's accounts: the target's only, or the source's too. */
  async requireForPolicy(policyId: string, what: string, which: 'target' | 'both'): Promise<void> {
    const policy = this.d.repos.policies.get(policyId);
    if (!policy) return;
    const ids = (which === 'both' ? [policy.sourceEnvironmentId, policy.targetEnvironmentId] : [policy.targetEnvironmentId])
      .map((id) => this.d.repos.environments.get(id)?.accountId)
      .filter((a): a is string => a !== undefined);
    await this.requireReachable(ids, what);
  }

  /** The sentence for an action refused because an account is offline. */
  offlineError(accountId: string, what: string): DomainError {
    const account = this.d.repos.accounts.get(accountId);
    const s = this.get(accountId);
    const last = s.lastOkAt ? `its last successful call was at ${s.lastOkAt}` : 'it has not answered since this console started';
    return new DomainError(
      'ProviderOffline',
      `Offline: ${what} did not start because account "${account?.name ?? accountId}" cannot be reached (${last}). Nothing was changed; try again when the network is back.`,
    );
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const off of this.unsubscribers.splice(0)) off();
  }

  /** Probes every offline account once (the background loop; tests call it directly). */
  async recheck(): Promise<void> {
    for (const s of [...this.state.values()]) {
      if (s.status !== 'offline') continue;
      try {
        await this.check(s.accountId);
      } catch (err) {
        this.d.logger.info(`Connectivity check of ${s.accountId} failed: ${describeError(err)}`);
      }
    }
  }

  private arm(): void {
    if (!this.running || this.timer) return;
    if (![...this.state.values()].some((s) => s.status === 'offline')) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.recheck().finally(() => {
        this.recheckMs = Math.min(this.recheckMs * 2, this.options.maxRecheckMs);
        this.arm();
      });
    }, this.recheckMs);
    this.timer.unref?.();
  }

  private persist(s: AccountConnectivity, now: string): void {
    this.persistedAt.set(s.accountId, Date.parse(now));
    try {
      this.d.repos.db
        .prepare(
          `INSERT INTO account_connectivity (account_id, status, last_ok_at, last_failure_at, last_error, changed_at)
           SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?)
           ON CONFLICT(account_id) DO UPDATE SET status = excluded.status, last_ok_at = excluded.last_ok_at,
             last_failure_at = excluded.last_failure_at, last_error = excluded.last_error, changed_at = excluded.changed_at`,
        )
        .run(s.accountId, s.status, s.lastOkAt, s.lastFailureAt, s.lastError, now, s.accountId);
    } catch (err) {
      // The indicator is advisory: a busy or closing database must never fail the call it observes.
      this.d.logger.warn(`Could not store the connectivity of ${s.accountId}: ${describeError(err)}`);
    }
  }
}

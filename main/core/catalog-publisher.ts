// Writes each finished recovery point's manifest into the policy's target (providers/target-store.ts),
// so a laptop that lost its database can rebuild the catalog from the cloud and still fail over from
// a chosen point. Why a manifest and not only tags: a recovery point is metadata (settings, IAM
// documents, rules) that tags cannot hold (256 characters, 50 per resource), and the S3/RDS/DynamoDB
// failovers apply that metadata; tags alone would give back ids without what to apply. The manifest
// is written after the point is committed locally, so the local catalog never waits on the network;
// one the network missed stays pending here and is written when the target answers again.

import type { Repos } from '../db/repos';
import type { CatalogManifest, LeaseHolder, ManifestEnvironment } from '../providers/target-store';
import type { Clock } from './clock';
import type { ConnectivityMonitor } from './connectivity';
import { describeError } from './errors';
import type { EventBus } from './events';
import type { Logger } from './logger';
import type { ProviderRegistry } from './provider-registry';

export interface CatalogPublisherDeps {
  repos: Repos;
  providers: ProviderRegistry;
  clock: Clock;
  events: EventBus;
  logger: Logger;
  holder: () => LeaseHolder;
  connectivity?: ConnectivityMonitor;
  timeoutMs?: number;
}

export class CatalogPublisher {
  private unsubscribe: (() => void) | null = null;
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(private readonly d: CatalogPublisherDeps) {}

  start(): void {
    this.unsubscribe = this.d.events.subscribe((name, payload) => {
      if (name !== 'dr:job.finished') return;
      const p = payload as { jobId: string; kind: string };
      if (p.kind !== 'replication') return;
      const job = this.d.repos.jobs.get(p.jobId);
      if (job?.recoveryPointId) void this.publish(job.recoveryPointId);
    });
    this.d.connectivity?.onOnline(() => void this.publishPending().catch(() => 0));
    void this.publishPending().catch(() => 0);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Resolves when nothing is being written (tests, close). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Writes one point's manifest; false (and kept pending) when the target did not take it. */
  publish(recoveryPointId: string): Promise<boolean> {
    const running = this.inFlight.get(recoveryPointId);
    if (running) return running;
    const run = this.write(recoveryPointId)
      .catch((err: unknown) => {
        this.d.logger.warn(`Writing the catalog manifest of ${recoveryPointId} failed: ${describeError(err)}`);
        return false;
      })
      .finally(() => this.inFlight.delete(recoveryPointId));
    this.inFlight.set(recoveryPointId, run);
    return run;
  }

  async publishPending(): Promise<number> {
    const ids = this.d.repos.db.prepare('SELECT recovery_point_id FROM catalog_manifests WHERE published_at IS NULL').pluck().all() as string[];
    let done = 0;
    for (const id of ids) if (await this.publish(id)) done++;
    return done;
  }

  /** The manifest of one recovery point, from the local database only. */
  manifest(recoveryPointId: string): CatalogManifest | null {
    const { repos } = this.d;
    const point = repos.recoveryPoints.get(recoveryPointId);
    if (!point || point.status === 'in_progress') return null;
    const policy = repos.policies.get(point.policyId);
    if (!policy) return null;
    const source = this.environment(policy.sourceEnvironmentId);
    const target = this.environment(policy.targetEnvironmentId);
    if (!source || !target) return null;
    const resources = new Map(repos.policies.allResources(policy.id).map((r) => [r.id, r]));
    return {
      version: 1,
      policy: { id: policy.id, name: policy.name, schedule: policy.schedule, webhookUrl: policy.webhookUrl, createdAt: policy.createdAt, source, target },
      recoveryPoint: { id: point.id, jobId: point.jobId, status: point.status, createdAt: point.createdAt, completedAt: point.completedAt },
      items: repos.recoveryPoints.items(point.id).flatMap((i) => {
        const r = resources.get(i.protectedResourceId);
        if (!r) return [];
        return [{ protectedResourceId: r.id, type: r.type, nativeId: r.nativeId, name: r.name, status: i.status, metadata: i.metadata, dataRefs: i.dataRefs, error: i.error, capturedAt: i.capturedAt }];
      }),
      writtenAt: this.d.clock.iso(),
      writtenBy: this.d.holder(),
    };
  }

  private environment(id: string): ManifestEnvironment | null {
    const env = this.d.repos.environments.get(id);
    const account = env ? this.d.repos.accounts.get(env.accountId) : null;
    if (!env || !account) return null;
    return { environmentId: env.id, name: env.name, accountId: account.id, accountName: account.name, provider: account.provider, cloud: account.cloud, region: env.region, scope: env.scope };
  }

  private async write(recoveryPointId: string): Promise<boolean> {
    const { repos } = this.d;
    const manifest = this.manifest(recoveryPointId);
    if (!manifest) return false;
    const policy = repos.policies.get(manifest.policy.id);
    const store = policy ? this.d.providers.find(policy.provider)?.targetStore : undefined;
    if (!policy || !store) return false;
    repos.db
      .prepare(
        `INSERT INTO catalog_manifests (recovery_point_id, policy_id, attempts) VALUES (?, ?, 1)
         ON CONFLICT(recovery_point_id) DO UPDATE SET attempts = attempts + 1`,
      )
      .run(recoveryPointId, policy.id);
    try {
      const env = this.d.providers.envRef(policy.targetEnvironmentId);
      await store.putManifest(env, manifest, AbortSignal.timeout(this.d.timeoutMs ?? 15_000));
      repos.db.prepare('UPDATE catalog_manifests SET published_at = ?, last_error = NULL WHERE recovery_point_id = ?').run(this.d.clock.iso(), recoveryPointId);
      return true;
    } catch (err) {
      const why = describeError(err);
      repos.db.prepare('UPDATE catalog_manifests SET last_error = ? WHERE recovery_point_id = ?').run(why, recoveryPointId);
      this.d.logger.warn(`The catalog manifest of recovery point ${recoveryPointId} is not in the target yet (${why}); it is written when the target answers`);
      return false;
    }
  }
}

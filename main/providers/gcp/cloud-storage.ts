// Cloud Storage buckets (gcp.cloud-storage). Replication: a bucket in the target location fed by a
// Storage Transfer Service cross-bucket replication job (replicationSpec, event-driven), both under
// names derived from the policy, and the source bucket labelled with its replication destination;
// the point holds the bucket's metadata (labels, lifecycle, versioning, CORS, retention, IAM policy).
// Failover (R6: always the LATEST point) applies that metadata to the replica bucket, deletes the
// replication destination label from the source bucket and deletes the replication job.
//
// Every patch carries `versioning` explicitly: fake-gcs-server turns versioning off on a patch that
// leaves it out (test/peers/gcp/fake-gcs.test.ts), and real Cloud Storage keeps what a patch omits.

import type { Bucket, BucketMetadata } from '@google-cloud/storage';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { GcpContext } from './clients';
import { isConsoleStoreBucket } from './target-store';
import { customerLabels, DR_LABEL, drLabels, GcpCalls, hashHex, labelValue, projectOf, slug, testName, type GcpCallContext } from './step-calls';

const STORAGE = 'gcp.storage';
const TRANSFER = 'gcp.storagetransfer';
const TRANSFER_READ = 'gcp.storagetransfer.read';

export interface IamBinding {
  role: string;
  members: string[];
  condition?: unknown;
}

export interface BucketCapture {
  bucket: string;
  project: string;
  location: string | null;
  storageClass: string | null;
  labels: Record<string, string>;
  versioning: boolean;
  lifecycle: { rule: unknown[] } | null;
  cors: unknown[] | null;
  retentionPolicy: { retentionPeriod: string } | null;
  /** null: the bucket's IAM policy could not be read (`iamUnread` says why). */
  iam: { version: number; bindings: IamBinding[] } | null;
  iamUnread?: string;
  /** The replica in the target location and the job that feeds it (transferJobs/...). */
  replicaBucket: string;
  transferJob: string;
  transferProject: string;
  /** The label on the source bucket naming its replication destination. */
  destinationLabel: string;
}

/** The policy's replica bucket in the target location: deterministic, at most 63 characters. */
export function replicaBucketName(source: string, targetRegion: string, policyId: string): string {
  return `${slug(source, 63 - 14)}-dr-${hashHex('gcs-replica', policyId, source, targetRegion).slice(0, 10)}`;
}

/** The policy's cross-bucket replication job (names may not start with transferJobs/OPI). */
export function transferJobName(source: string, targetRegion: string, policyId: string): string {
  return `transferJobs/dr-console-${hashHex('gcs-transfer', policyId, source, targetRegion).slice(0, 24)}`;
}

/** The source bucket's label naming the policy's replication destination. */
export const destinationLabel = (policyId: string) => `dr-replica-${hashHex('gcs-destination', policyId).slice(0, 12)}`;

/** The console's own buckets (replicas, test copies, its target store), told by label or, where labels are not kept, by their name's shape. */
const isConsoleBucket = (name: string, labels: Record<string, string>) =>
  Boolean(labels[DR_LABEL.policy] || labels[DR_LABEL.test]) || /^drtest-/.test(name) || /-dr-[0-9a-f]{10}$/.test(name) || isConsoleStoreBucket(name, labels);

const sameLocation = (location: string | null | undefined, region: string) => (location ?? '').toLowerCase() === region.toLowerCase();

export function createCloudStorageHandler(gcp: GcpContext): ResourceHandler {
  const calls = new GcpCalls(gcp);

  const bucketIn = async (env: EnvRef, name: string): Promise<Bucket> => {
    const c = await calls.clients(env);
    return c.storageIn(projectOf(env, c)).bucket(name);
  };

  const metadata = (ctx: GcpCallContext, env: EnvRef, name: string) =>
    calls.lookup(ctx, env, STORAGE, 'storage.buckets.get', async () => (await (await bucketIn(env, name)).getMetadata())[0]);

  async function readIam(ctx: GcpCallContext, env: EnvRef, name: string): Promise<{ iam: BucketCapture['iam']; why?: string }> {
    try {
      const p = await calls.read(ctx, env, STORAGE, 'storage.buckets.getIamPolicy', async () => (await (await bucketIn(env, name)).iam.getPolicy({ requestedPolicyVersion: 3 }))[0]);
      return { iam: { version: p.version ?? 1, bindings: (p.bindings ?? []).map((b) => ({ role: b.role, members: [...(b.members ?? [])], ...(b.condition ? { condition: b.condition } : {}) })) } };
    } catch (err) {
      // An answer of NOT_FOUND for a bucket that exists: the service has no bucket IAM (fake-gcs-server).
      if (err instanceof ProviderFailure && err.code === 'NotFound') return { iam: null, why: 'the service answered NOT_FOUND to storage.buckets.getIamPolicy' };
      throw err;
    }
  }

  function captureOf(md: BucketMetadata, name: string, project: string): Omit<BucketCapture, 'iam' | 'replicaBucket' | 'transferJob' | 'transferProject' | 'destinationLabel'> {
    const rules = md.lifecycle?.rule ?? [];
    return {
      bucket: name,
      project,
      location: md.location ?? null,
      storageClass: md.storageClass ?? null,
      labels: customerLabels(md.labels as Record<string, string> | undefined),
      versioning: md.versioning?.enabled === true,
      lifecycle: rules.length ? { rule: JSON.parse(JSON.stringify(rules)) as unknown[] } : null,
      cors: md.cors?.length ? (JSON.parse(JSON.stringify(md.cors)) as unknown[]) : null,
      retentionPolicy: md.retentionPolicy?.retentionPeriod !== undefined ? { retentionPeriod: String(md.retentionPolicy.retentionPeriod) } : null,
    };
  }

  /** Creates the bucket unless it exists (a replayed insert adopts the bucket by its name). */
  async function ensureBucket(ctx: StepContext, env: EnvRef, name: string, labels: Record<string, string>, versioning: boolean): Promise<void> {
    if (await metadata(ctx, env, name)) return;
    const exists = async () => (await metadata(ctx, env, name)) !== undefined;
    try {
      await calls.mutate(ctx, env, `storage.buckets.insert:${name}`, {
        family: STORAGE,
        action: 'storage.buckets.insert',
        intent: { bucket: name, location: env.region.toUpperCase() },
        resume: async () => ((await exists()) ? { bucket: name } : undefined),
        call: async (_signal, op) => {
          const c = await calls.clients(env);
              await c.storageIn(projectOf(env, c)).createBucket(name, { location: env.region.toUpperCase(), labels, versioning: { enabled: versioning } });
          await op.handle({ bucket: name });
          return { bucket: name };
        },
      });
    } catch (err) {
      // 409: the name is taken. Ours (a call that went out before a crash) is adopted; another's is a conflict.
      if (err instanceof ProviderFailure && err.code === 'Conflict') {
        if (await exists()) return;
        throw new ProviderFailure('Conflict', `The bucket name ${name} is taken by another Google Cloud project; bucket names are global.`, { cause: err });
      }
      throw err;
    }
  }

  /** One bucket patch under one op key; a patch replaces the fields it names, so a replay is harmless. */
  const patch = (ctx: StepContext, env: EnvRef, opKey: string, name: string, md: BucketMetadata) =>
    calls.mutate(ctx, env, opKey, {
      family: STORAGE,
      action: 'storage.buckets.patch',
      intent: { bucket: name, fields: Object.keys(md) },
      call: async () => {
        await (await bucketIn(env, name)).setMetadata(md);
        return { patched: name };
      },
    });

  /** Applies a point's metadata to a bucket (labels merged with `extra`), then its IAM bindings. */
  async function apply(ctx: StepContext, env: EnvRef, name: string, cap: BucketCapture, extra: Record<string, string>): Promise<void> {
    await patch(ctx, env, `storage.buckets.patch:${name}`, name, {
      labels: { ...cap.labels, ...extra },
      versioning: { enabled: cap.versioning },
      lifecycle: (cap.lifecycle ?? { rule: [] }) as BucketMetadata['lifecycle'],
      cors: (cap.cors ?? []) as BucketMetadata['cors'],
      retentionPolicy: (cap.retentionPolicy ?? null) as BucketMetadata['retentionPolicy'],
    });
    if (cap.iam?.bindings.length) {
      const policy = cap.iam;
      await calls.mutate(ctx, env, `storage.buckets.setIamPolicy:${name}`, {
        family: STORAGE,
        action: 'storage.buckets.setIamPolicy',
        intent: { bucket: name, roles: policy.bindings.map((b) => b.role) },
        call: async () => {
          await (await bucketIn(env, name)).iam.setPolicy({ version: policy.version, bindings: policy.bindings as never });
          return { set: name };
        },
      });
    }
  }

  /** Reads the bucket back and says what of the point it does not carry (the step's warnings). */
  async function compare(ctx: StepContext, env: EnvRef, name: string, cap: BucketCapture, extra: Record<string, string>): Promise<void> {
    const md = await metadata(ctx, env, name);
    if (!md) throw new ProviderFailure('ProviderError', `Bucket ${name} is not there after it was set up in ${env.region}; retry the step.`);
    const said = (what: string) => ctx.warn?.(`Bucket ${name} ${what} (from ${cap.bucket}'s recovery point).`);
    if (!sameLocation(md.location, env.region)) said(`is in ${md.location ?? 'an unknown location'}, not ${env.region.toUpperCase()}`);
    const labels = (md.labels ?? {}) as Record<string, string>;
    const missing = Object.entries({ ...cap.labels, ...extra }).filter(([k, v]) => labels[k] !== v).map(([k]) => k);
    if (missing.length) said(`lacks the label${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
    if ((md.versioning?.enabled === true) !== cap.versioning) said(`has versioning ${md.versioning?.enabled ? 'on' : 'off'}, not ${cap.versioning ? 'on' : 'off'}`);
    const rules = md.lifecycle?.rule?.length ?? 0;
    if ((cap.lifecycle?.rule.length ?? 0) !== rules) said(`has ${rules} of the ${cap.lifecycle?.rule.length ?? 0} lifecycle rules`);
    if ((cap.cors?.length ?? 0) !== (md.cors?.length ?? 0)) said(`has ${md.cors?.length ?? 0} of the ${cap.cors?.length ?? 0} CORS rules`);
    const period = md.retentionPolicy?.retentionPeriod !== undefined ? String(md.retentionPolicy.retentionPeriod) : null;
    if ((cap.retentionPolicy?.retentionPeriod ?? null) !== period) said(`has retention period ${period ?? 'none'}, not ${cap.retentionPolicy?.retentionPeriod ?? 'none'}`);
    if (cap.iam === null) said(`did not get an IAM policy: the source's could not be read when the point was made (${cap.iamUnread ?? 'unknown'})`);
    else if (cap.iam.bindings.length) {
      const now = await readIam(ctx, env, name);
      const roles = new Set((now.iam?.bindings ?? []).map((b) => b.role));
      const lacking = cap.iam.bindings.filter((b) => !roles.has(b.role)).map((b) => b.role);
      if (now.iam === null) said(`has no readable IAM policy (${now.why ?? 'unknown'})`);
      else if (lacking.length) said(`lacks the IAM binding${lacking.length === 1 ? '' : 's'} of ${lacking.join(', ')}`);
    }
  }

  async function deleteJob(ctx: StepContext, env: EnvRef, job: string, project: string): Promise<void> {
    const getJob = () =>
      calls.lookup(ctx, env, TRANSFER_READ, 'storagetransfer.transferJobs.get', async (c) => (await c.transfer.getTransferJob({ jobName: job, projectId: project }))[0]);
    const before = await getJob();
    if (!before || before.status === 'DELETED') return;
    await calls.mutate(ctx, env, `storagetransfer.transferJobs.delete:${job}`, {
      family: TRANSFER,
      action: 'storagetransfer.transferJobs.delete',
      intent: { jobName: job, projectId: project },
      absentOk: true,
      call: async (_s, op) => {
        const c = await calls.clients(env);
        await c.transfer.deleteTransferJob({ jobName: job, projectId: project });
        await op.handle({ jobName: job, status: 'DELETED' });
        return { deleted: job };
      },
    });
    const after = await getJob();
    if (after && after.status !== 'DELETED') {
      throw new ProviderFailure('ProviderError', `The replication job ${job} is still ${String(after.status)} after it was deleted; retry the step.`);
    }
  }

  /**
   * Removes the replication destination label from the source bucket (a bucket already gone: nothing
   * to do). The source may be the region that was lost: when Google cannot be reached for it, failover
   * goes on and the step says what is left to remove, rather than failing the whole failover.
   */
  async function dropDestination(ctx: StepContext, env: EnvRef, bucket: string, label: string): Promise<void> {
    try {
      const md = await metadata(ctx, env, bucket);
      if (!md || !(md.labels && label in md.labels)) return;
      await patch(ctx, env, `storage.buckets.patch:${bucket}:drop-destination`, bucket, {
        labels: { [label]: null } as unknown as Record<string, string>,
        versioning: { enabled: md.versioning?.enabled === true },
      });
    } catch (err) {
      if (!(err instanceof ProviderFailure && (err.code === 'ProviderUnavailable' || err.code === 'ProviderOffline'))) throw err;
      ctx.warn?.(`The source bucket ${bucket} could not be reached to remove its replication destination label ${label} (${err.message}); remove it once the source is back.`);
    }
  }

  function readCapture(item: RecoveryPointItemRef): BucketCapture {
    const m = item.metadata as Partial<BucketCapture>;
    if (!m.bucket || !m.replicaBucket || !m.transferJob || !m.transferProject || !m.destinationLabel) {
      throw new ProviderFailure('PreconditionFailed', `The recovery point of bucket ${item.resource.name} does not name its replica; run a replication first.`);
    }
    return m as BucketCapture;
  }

  async function discover(ctx: DiscoverContext): Promise<DiscoveredResource[]> {
    const env = ctx.env;
    const buckets = await calls.read(ctx, env, STORAGE, 'storage.buckets.list', async (c, project) => (await c.storageIn(project).getBuckets({ autoPaginate: true }))[0]);
    const out: DiscoveredResource[] = [];
    for (const b of buckets) {
      const md = b.metadata;
      const labels = (md.labels ?? {}) as Record<string, string>;
      if (!sameLocation(md.location, env.region) || isConsoleBucket(b.name, labels)) continue;
      out.push({
        type: 'gcp.cloud-storage',
        nativeId: b.name,
        name: b.name,
        region: env.region,
        tags: customerLabels(labels),
        summary: `${md.location ?? '?'} ${md.storageClass ?? 'STANDARD'}, versioning ${md.versioning?.enabled ? 'on' : 'off'}`,
      });
    }
    return out;
  }

  return {
    type: 'gcp.cloud-storage',
    usesLatestPoint: true,
    discover,

    foresee(item): string[] {
      const m = item.metadata as Partial<BucketCapture>;
      return m.iam === null ? [`Bucket ${m.bucket ?? item.resource.name}'s IAM policy was not in its recovery point (${m.iamUnread ?? 'it could not be read'}): the replica keeps the IAM policy it has.`] : [];
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const src = ctx.source;
      const bucket = resource.nativeId;
      const md = await metadata(ctx, src, bucket);
      if (!md) throw new ProviderFailure('NotFound', `Cloud Storage bucket ${bucket} no longer exists; remove it from the policy or restore it.`);
      const c = await calls.clients(src);
      const project = projectOf(src, c);
      const transferProject = projectOf(ctx.target, await calls.clients(ctx.target));
      const replica = replicaBucketName(bucket, ctx.target.region, ctx.policyId);
      const job = transferJobName(bucket, ctx.target.region, ctx.policyId);
      const label = destinationLabel(ctx.policyId);

      ctx.progress(`Replica bucket ${replica} in ${ctx.target.region}`);
      await ensureBucket(ctx, ctx.target, replica, drLabels(ctx, 'replication', bucket), md.versioning?.enabled === true);

      ctx.progress(`Cross-bucket replication ${bucket} → ${replica}`);
      const existing = await calls.lookup(ctx, ctx.target, TRANSFER_READ, 'storagetransfer.transferJobs.get', async (cl) => (await cl.transfer.getTransferJob({ jobName: job, projectId: transferProject }))[0]);
      if (existing?.status === 'DELETED') {
        throw new ProviderFailure('PreconditionFailed', `The replication job ${job} of ${bucket} was deleted (its replication was stopped); protect the bucket with a new policy.`);
      }
      if (!existing) {
        const adopt = async () => {
          const j = await calls.lookup(ctx, ctx.target, TRANSFER_READ, 'storagetransfer.transferJobs.get', async (cl) => (await cl.transfer.getTransferJob({ jobName: job, projectId: transferProject }))[0]);
          return j ? { jobName: job } : undefined;
        };
        try {
          await calls.mutate(ctx, ctx.target, `storagetransfer.transferJobs.create:${job}`, {
            family: TRANSFER,
            action: 'storagetransfer.transferJobs.create',
            intent: { jobName: job, source: bucket, sink: replica },
            resume: adopt,
            call: async (_s, op) => {
              const cl = await calls.clients(ctx.target);
              const [made] = await cl.transfer.createTransferJob({
                transferJob: {
                  name: job,
                  projectId: transferProject,
                  description: `Failover Console policy ${ctx.policyId}: ${bucket} to ${replica}`.slice(0, 1024),
                  status: 'ENABLED',
                  replicationSpec: {
                    gcsDataSource: { bucketName: bucket },
                    gcsDataSink: { bucketName: replica },
                    transferOptions: { overwriteWhen: 'DIFFERENT', deleteObjectsFromSourceAfterTransfer: false, deleteObjectsUniqueInSink: false },
                  },
                },
              });
              await op.handle({ jobName: made.name ?? job });
              return { jobName: made.name ?? job };
            },
          });
        } catch (err) {
          if (!(err instanceof ProviderFailure && err.code === 'Conflict' && (await adopt()))) throw err;
        }
      }

      // The source names its replication destination (what failover deletes from it).
      const value = labelValue(replica);
      if ((md.labels as Record<string, string> | undefined)?.[label] !== value) {
        await patch(ctx, src, `storage.buckets.patch:${bucket}:destination`, bucket, {
          labels: { [label]: value },
          versioning: { enabled: md.versioning?.enabled === true },
        });
      }

      const now = (await metadata(ctx, src, bucket)) ?? md;
      const iam = await readIam(ctx, src, bucket);
      const cap: BucketCapture = {
        ...captureOf(now, bucket, project),
        iam: iam.iam,
        ...(iam.why ? { iamUnread: iam.why } : {}),
        replicaBucket: replica,
        transferJob: job,
        transferProject,
        destinationLabel: label,
      };
      return {
        metadata: { ...cap },
        dataRefs: [
          { kind: 'Bucket', id: replica, region: ctx.target.region },
          { kind: 'TransferJob', id: job, region: ctx.target.region },
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      if (!(await metadata(ctx, ctx.target, cap.replicaBucket))) {
        throw new ProviderFailure('PreconditionFailed', `The replica bucket ${cap.replicaBucket} of ${cap.bucket} is gone from ${ctx.target.region}; run a replication first.`);
      }
      const name = testName(cap.bucket, ctx, 63);
      const labels = drLabels(ctx, 'test', cap.bucket);
      await ensureBucket(ctx, ctx.target, name, labels, cap.versioning);
      await apply(ctx, ctx.target, name, cap, labels);
      await compare(ctx, ctx.target, name, cap, labels);
      return [{ kind: 'Bucket', nativeId: name, name, region: ctx.target.region, sourceId: cap.bucket }];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'Bucket') return;
      const env = { ...ctx.target, region: created.region || ctx.target.region };
      const name = created.nativeId;
      const md = await metadata(ctx, env, name);
      if (!md) return;
      // Only the console's test buckets: by label, or by the test name where labels are not kept.
      if ((md.labels as Record<string, string> | undefined)?.[DR_LABEL.test] !== 'true' && !name.startsWith('drtest-')) {
        throw new ProviderFailure('PreconditionFailed', `Bucket ${name} is not a test bucket of the console; Reset leaves it alone.`);
      }
      const files = await calls.read(ctx, env, STORAGE, 'storage.objects.list', async () => (await (await bucketIn(env, name)).getFiles({ versions: true, autoPaginate: true }))[0]);
      if (files.length) {
        await calls.mutate(ctx, env, `storage.objects.delete:${name}`, {
          family: STORAGE,
          action: 'storage.objects.delete',
          intent: { bucket: name, objects: files.length },
          call: async () => {
            for (const f of files) await f.delete({ ignoreNotFound: true, ...(f.generation !== undefined ? { generation: Number(f.generation) } : {}) });
            return { deleted: files.length };
          },
        });
      }
      await calls.mutate(ctx, env, `storage.buckets.delete:${name}`, {
        family: STORAGE,
        action: 'storage.buckets.delete',
        intent: { bucket: name },
        absentOk: true,
        call: async () => {
          await (await bucketIn(env, name)).delete();
          return { deleted: name };
        },
      });
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      if (!(await metadata(ctx, ctx.target, cap.replicaBucket))) {
        throw new ProviderFailure('PreconditionFailed', `The replica bucket ${cap.replicaBucket} of ${cap.bucket} is missing in ${ctx.target.region}.`);
      }
      ctx.progress(`Applying the settings of ${cap.bucket} to ${cap.replicaBucket}`);
      const labels = drLabels(ctx, 'failover', cap.bucket);
      await apply(ctx, ctx.target, cap.replicaBucket, cap, labels);
      ctx.progress(`Deleting the replication of ${cap.bucket}`);
      await deleteJob(ctx, ctx.target, cap.transferJob, cap.transferProject);
      await dropDestination(ctx, ctx.source, cap.bucket, cap.destinationLabel);
      await compare(ctx, ctx.target, cap.replicaBucket, cap, labels);
      return [{ sourceId: cap.bucket, kind: 'Bucket', name: cap.replicaBucket, targetId: `projects/_/buckets/${cap.replicaBucket}`, reused: true }];
    },

    async stopReplication(resource, ctx): Promise<void> {
      // The replica bucket is recovery data and stays; the job and the destination label go.
      const bucket = resource.nativeId;
      const c = await calls.clients(ctx.target);
      await deleteJob(ctx, ctx.target, transferJobName(bucket, ctx.target.region, ctx.policyId), projectOf(ctx.target, c));
      await dropDestination(ctx, ctx.source, bucket, destinationLabel(ctx.policyId));
    },
  };
}

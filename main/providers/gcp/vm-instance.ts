// Google Cloud VM instances (gcp.vm-instance): a recovery point is one snapshot of every disk of
// the instance, stored in the target's region (`storageLocations`), plus the settings failover
// applies (machine type, network tags, labels, metadata, network, service account and the project
// roles it holds). Test failover builds disks from the point's snapshots and an instance on them
// under test names in the target zone, isolated (no external address, no network tags, no service
// account, no change to any network); Reset deletes them. Failover builds the disks from the
// SELECTED point's snapshots, the instance, its service account and project roles (same-named ones
// reused, R7), then reads everything back and compares it with the point.
//
// Every Compute mutation goes through compute-ops.ts (requestId, journaled operation, wait); IAM
// mutations (service account, project IAM policy) through ctx.mutate under gcp.iam.

import type { protos } from '@google-cloud/compute';
import type { protos as crm } from '@google-cloud/resource-manager';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type {
  CapturedItem,
  CreatedResource,
  DiscoverContext,
  EnvRef,
  ProtectedResourceRef,
  RecoveryPointItemRef,
  ResourceHandler,
  ResourceMappingEntry,
  StepContext,
} from '../types';
import type { GcpAccountClients, GcpContext } from './clients';
import { ComputeScope, computeName, raced, stepSuffix } from './compute-ops';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Policy = crm.google.iam.v1.IPolicy;

const COMPUTE = 'https://www.googleapis.com/compute/v1/';
/** Label the console puts on what it makes (Compute label keys: lower-case, digits, _ and -). */
const LABEL = { role: 'dr-role', policy: 'dr-policy', source: 'dr-source' } as const;

export interface VmDisk {
  deviceName: string;
  /** The source disk's name and self-link. */
  diskName: string;
  diskLink: string;
  boot: boolean;
  autoDelete: boolean;
  mode: string;
  sizeGb: string | null;
  /** Disk type name (pd-balanced, pd-ssd...). */
  diskType: string | null;
  /** The point's snapshot of this disk (in the target's storage location). */
  snapshot: string;
  snapshotLink: string;
}

export interface VmCapture {
  /** Relative name of the source instance (projects/p/zones/z/instances/n). */
  instanceId: string;
  name: string;
  project: string;
  zone: string;
  selfLink: string;
  machineType: string;
  labels: Record<string, string>;
  tags: string[];
  metadata: { key: string; value: string }[];
  network: { network: string; subnetwork: string | null; externalIp: boolean } | null;
  serviceAccount: { email: string; scopes: string[]; displayName: string | null; description: string | null } | null;
  /** Project roles granted to the service account (the project IAM policy, Cloud Resource Manager). */
  roles: string[];
  disks: VmDisk[];
  /** Where the snapshots are stored (the target's region). */
  storageLocation: string;
  deletionProtection: boolean;
}

export const lastPart = (link: string | null | undefined): string => (link ?? '').split('/').filter(Boolean).at(-1) ?? '';

/** projects/p/zones/z/instances/n (or a self-link) → its parts. */
export function parseInstanceId(id: string): { project: string; zone: string; name: string } | null {
  const m = /(?:^|\/)projects\/([^/]+)\/zones\/([^/]+)\/(?:instances|disks)\/([^/]+)$/.exec(id);
  return m ? { project: m[1]!, zone: m[2]!, name: m[3]! } : null;
}

/** A label value Compute accepts: lower-case letters, digits, _ and -, at most 63. */
function labelValue(v: string): string {
  return v
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 63);
}

export async function clientsOf(gcp: GcpContext, env: EnvRef): Promise<{ c: GcpAccountClients; project: string }> {
  let c: GcpAccountClients;
  try {
    c = await gcp.clients(env.account);
  } catch (err) {
    if (err instanceof ProviderFailure) throw err;
    throw new ProviderFailure('ProviderAuthFailed', `The Google credentials of "${env.account.name}" could not be used: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`, { cause: err });
  }
  const project = (env.scope.cloud === 'gcp' ? env.scope.projectId : null) ?? c.project;
  if (!project) {
    throw new ProviderFailure('PreconditionFailed', `The environment of account "${env.account.name}" names no Google Cloud project and its credentials do not say one: set the project on the environment.`);
  }
  return { c, project };
}

export async function scopeOf(gcp: GcpContext, env: EnvRef): Promise<ComputeScope> {
  const { c, project } = await clientsOf(gcp, env);
  return new ComputeScope(gcp, env, c, project);
}

/** The zones of the environment: its scope's zone, or every zone of its region (sorted). */
export async function zonesOf(s: ComputeScope, ctx: { read: StepContext['read'] }): Promise<string[]> {
  const zone = s.env.scope.cloud === 'gcp' ? s.env.scope.zone : null;
  if (zone) return [zone];
  const [zones] = await s.read(ctx, 'compute.zones.list', () => s.c.zones.list({ project: s.project }));
  const names = zones.filter((z) => lastPart(z.region) === s.env.region && String(z.status ?? 'UP') === 'UP').map((z) => z.name ?? '').filter(Boolean);
  if (names.length === 0) throw new ProviderFailure('PreconditionFailed', `Project ${s.project} has no zone in region ${s.env.region}: check the environment's region.`);
  return names.sort();
}

/** The zone the target's copies go to: the scope's zone, else the first zone of the region. */
async function targetZone(s: ComputeScope, ctx: StepContext): Promise<string> {
  return (await zonesOf(s, ctx))[0]!;
}

async function readInstance(s: ComputeScope, ctx: { read: StepContext['read'] }, zone: string, name: string): Promise<Instance | undefined> {
  return (await s.lookup(ctx, 'compute.instances.get', () => s.c.instances.get({ project: s.project, zone, instance: name })))?.[0];
}

/** The read context for a discovery (no step: no rate gate beyond the signal). */
export function discoverReader(signal: AbortSignal): { read: StepContext['read'] } {
  return { read: (_family, call) => call(signal) };
}

export async function projectPolicy(s: ComputeScope, ctx: { read: StepContext['read'] }, project: string): Promise<Policy> {
  const [policy] = await ctx.read('gcp.iam', (signal) =>
    s.gcp.call(s.env.account, 'cloudresourcemanager.projects.getIamPolicy', project, () => raced(s.c.projects.getIamPolicy({ resource: `projects/${project}` }), signal)),
  );
  return policy;
}

export const member = (email: string) => `serviceAccount:${email}`;
export const rolesOf = (policy: Policy, email: string): string[] =>
  (policy.bindings ?? [])
    .filter((b) => (b.members ?? []).includes(member(email)) && !b.condition)
    .map((b) => b.role ?? '')
    .filter(Boolean)
    .sort();

/** A user-managed service account's id (the part before @) in its project; null for Google-managed ones. */
export function accountIdOf(email: string): { accountId: string; project: string } | null {
  const m = /^([a-z][-a-z0-9]{4,28}[a-z0-9])@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/.exec(email);
  return m ? { accountId: m[1]!, project: m[2]! } : null;
}

export async function getServiceAccount(s: ComputeScope, ctx: { read: StepContext['read'] }, project: string, email: string) {
  try {
    return await ctx.read('gcp.iam', (signal) =>
      s.gcp.call(s.env.account, 'iam.projects.serviceAccounts.get', project, () => raced(s.c.iam.projects.serviceAccounts.get({ name: `projects/${project}/serviceAccounts/${email}` }, { signal }), signal)),
    ).then((r) => r.data);
  } catch (err) {
    if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
    throw err;
  }
}

async function capture(s: ComputeScope, ctx: StepContext, inst: Instance, zone: string): Promise<Omit<VmCapture, 'disks' | 'storageLocation'> & { sourceDisks: Omit<VmDisk, 'snapshot' | 'snapshotLink'>[] }> {
  const name = inst.name ?? '';
  const sourceDisks: Omit<VmDisk, 'snapshot' | 'snapshotLink'>[] = [];
  for (const a of inst.disks ?? []) {
    if (!a.source) continue;
    const diskName = lastPart(a.source);
    const [disk] = await s.read(ctx, 'compute.disks.get', () => s.c.disks.get({ project: s.project, zone, disk: diskName }));
    sourceDisks.push({
      deviceName: a.deviceName ?? diskName,
      diskName,
      diskLink: disk.selfLink ?? a.source,
      boot: a.boot === true,
      autoDelete: a.autoDelete === true,
      mode: String(a.mode ?? 'READ_WRITE'),
      sizeGb: disk.sizeGb == null ? null : String(disk.sizeGb),
      diskType: disk.type ? lastPart(disk.type) : null,
    });
  }
  const nic = inst.networkInterfaces?.[0];
  const sa = inst.serviceAccounts?.[0];
  let serviceAccount: VmCapture['serviceAccount'] = null;
  let roles: string[] = [];
  if (sa?.email) {
    const owner = accountIdOf(sa.email)?.project ?? s.project;
    const details = accountIdOf(sa.email) ? await getServiceAccount(s, ctx, owner, sa.email) : undefined;
    serviceAccount = { email: sa.email, scopes: [...(sa.scopes ?? [])], displayName: details?.displayName ?? null, description: details?.description ?? null };
    roles = rolesOf(await projectPolicy(s, ctx, s.project), sa.email);
  }
  return {
    instanceId: `projects/${s.project}/zones/${zone}/instances/${name}`,
    name,
    project: s.project,
    zone,
    selfLink: inst.selfLink ?? '',
    machineType: lastPart(inst.machineType),
    labels: Object.fromEntries(Object.entries(inst.labels ?? {}).filter(([k]) => !k.startsWith('dr-'))),
    tags: [...(inst.tags?.items ?? [])],
    metadata: (inst.metadata?.items ?? []).map((i) => ({ key: i.key ?? '', value: i.value ?? '' })).filter((i) => i.key),
    network: nic ? { network: lastPart(nic.network), subnetwork: nic.subnetwork ? lastPart(nic.subnetwork) : null, externalIp: (nic.accessConfigs ?? []).length > 0 } : null,
    serviceAccount,
    roles,
    deletionProtection: inst.deletionProtection === true,
    sourceDisks,
  };
}

function readCapture(item: RecoveryPointItemRef): VmCapture {
  const m = item.metadata as Partial<VmCapture>;
  if (!m.machineType || !Array.isArray(m.disks) || m.disks.length === 0 || m.disks.some((d) => !d.snapshotLink)) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of VM instance ${item.resource.name} holds no disk snapshots; choose another recovery point.`);
  }
  return m as VmCapture;
}

/** Every snapshot of the point must still be READY, else the copy cannot be made. */
export async function requireSnapshots(s: ComputeScope, ctx: StepContext, cap: { disks: { snapshot: string }[] }, label: string): Promise<void> {
  for (const d of cap.disks) {
    const snap = (await s.lookup(ctx, 'compute.snapshots.get', () => s.c.snapshots.get({ project: s.project, snapshot: d.snapshot })))?.[0];
    if (!snap || String(snap.status) !== 'READY') {
      throw new ProviderFailure('PreconditionFailed', `Snapshot ${d.snapshot} of the recovery point of ${label} is ${snap ? String(snap.status).toLowerCase() : 'gone'} in project ${s.project}; choose another recovery point.`);
    }
  }
}

/** The subnetwork of the captured network in the target region (a VPC is global, subnetworks regional). */
export async function targetSubnetwork(s: ComputeScope, ctx: StepContext, cap: Pick<VmCapture, 'name' | 'network'>, what = `VM instance ${cap.name}`): Promise<{ network: string; subnetwork: string } | null> {
  if (!cap.network) return null;
  const network = `projects/${s.project}/global/networks/${cap.network.network}`;
  const net = (await s.lookup(ctx, 'compute.networks.get', () => s.c.networks.get({ project: s.project, network: cap.network!.network })))?.[0];
  if (!net) {
    throw new ProviderFailure('PreconditionFailed', `Network ${cap.network.network} of ${what} does not exist in project ${s.project}: create it (with a subnetwork in ${s.env.region}), then retry.`);
  }
  const [subs] = await s.read(ctx, 'compute.subnetworks.list', () =>
    s.c.subnetworks.list({ project: s.project, region: s.env.region, filter: `network = "${net.selfLink ?? COMPUTE + network}"` }),
  );
  const sub = subs.find((x) => x.name === cap.network!.subnetwork) ?? [...subs].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))[0];
  if (!sub?.name) {
    throw new ProviderFailure('PreconditionFailed', `Network ${cap.network.network} has no subnetwork in ${s.env.region} (project ${s.project}): add one, then retry.`);
  }
  return { network, subnetwork: `projects/${s.project}/regions/${s.env.region}/subnetworks/${sub.name}` };
}

/** What a disk made from a recovery point's snapshot is made of. */
export interface DiskFromSnapshot {
  name: string;
  /** The snapshot's name and self-link. */
  snapshot: string;
  snapshotLink: string;
  sizeGb?: string | null;
  diskType?: string | null;
  description?: string | null;
  labels: Record<string, string>;
}

/**
 * One disk from a snapshot in the target zone: a journaled Compute insert (requestId-deduplicated).
 * A same-named disk made from this very snapshot (an earlier failover of the point) is reused; one
 * an earlier attempt of this step made (journaled) is this step's own, not reused.
 */
export async function insertDiskFromSnapshot(s: ComputeScope, ctx: StepContext, opKey: string, zone: string, d: DiskFromSnapshot): Promise<{ link: string; reused: boolean }> {
  ctx.progress(`Creating disk ${d.name} from snapshot ${d.snapshot}`);
  const ours = journaled(ctx, opKey);
  try {
    await s.mutate(ctx, opKey, {
      action: 'compute.disks.insert',
      scope: { zone },
      what: `disk ${d.name} in ${zone}`,
      intent: { disk: d.name, zone, sourceSnapshot: d.snapshotLink },
      start: async (requestId) =>
        (
          await s.c.disks.insert({
            project: s.project,
            zone,
            requestId,
            diskResource: {
              name: d.name,
              sourceSnapshot: d.snapshotLink,
              ...(d.sizeGb ? { sizeGb: d.sizeGb } : {}),
              ...(d.diskType ? { type: `projects/${s.project}/zones/${zone}/diskTypes/${d.diskType}` } : {}),
              ...(d.description ? { description: d.description } : {}),
              labels: d.labels,
            },
          })
        )[0].latestResponse as protos.google.cloud.compute.v1.IOperation,
    });
    return { link: `${COMPUTE}projects/${s.project}/zones/${zone}/disks/${d.name}`, reused: false };
  } catch (err) {
    if (!(err instanceof ProviderFailure && err.code === 'Conflict')) throw err;
    const [existing] = await s.read(ctx, 'compute.disks.get', () => s.c.disks.get({ project: s.project, zone, disk: d.name }));
    if (lastPart(existing.sourceSnapshot) !== d.snapshot) {
      throw new ProviderFailure('Conflict', `A disk named ${d.name} already exists in ${zone} (project ${s.project}) and was not made from snapshot ${d.snapshot}: rename or delete it, then retry.`);
    }
    return { link: existing.selfLink ?? '', reused: !ours };
  }
}

/** Disks from the point's snapshots in the target zone (one Compute insert each, requestId-deduplicated). */
async function disksFromSnapshots(s: ComputeScope, ctx: StepContext, cap: VmCapture, zone: string, name: (d: VmDisk, index: number) => string, labels: Record<string, string>, purpose: string) {
  const made: { disk: VmDisk; name: string; link: string; reused: boolean }[] = [];
  for (const [i, d] of cap.disks.entries()) {
    const diskName = name(d, i);
    const got = await insertDiskFromSnapshot(s, ctx, `${purpose}-disk:${d.deviceName}`, zone, { name: diskName, snapshot: d.snapshot, snapshotLink: d.snapshotLink, sizeGb: d.sizeGb, diskType: d.diskType, labels });
    made.push({ disk: d, name: diskName, ...got });
  }
  return made;
}

/** Inserts the instance (or adopts the one an earlier attempt of this step made) and waits for it. */
async function insertInstance(s: ComputeScope, ctx: StepContext, opKey: string, zone: string, body: Instance): Promise<Instance> {
  const name = body.name ?? '';
  ctx.progress(`Creating VM instance ${name} in ${zone}`);
  await s.mutate(ctx, opKey, {
    action: 'compute.instances.insert',
    scope: { zone },
    what: `VM instance ${name} in ${zone}`,
    intent: { instance: name, zone, disks: (body.disks ?? []).map((d) => d.source ?? '') },
    start: async (requestId) => (await s.c.instances.insert({ project: s.project, zone, requestId, instanceResource: body }))[0].latestResponse as protos.google.cloud.compute.v1.IOperation,
  });
  const made = await readInstance(s, ctx, zone, name);
  if (!made) throw new ProviderFailure('ProviderUnavailable', `VM instance ${name} was created in ${zone} and then could not be read; the console will retry.`);
  return made;
}

/** What the instance in the target does not carry of the point: warnings, and failures for what must be there. */
function compare(cap: VmCapture, inst: Instance, opts: { full: boolean; disks: { disk: VmDisk; link: string }[]; serviceAccount?: string }): { warnings: string[]; failures: string[] } {
  const warnings: string[] = [];
  const failures: string[] = [];
  const label = cap.name;
  if (lastPart(inst.machineType) !== cap.machineType) warnings.push(`VM instance ${label} runs as ${lastPart(inst.machineType)}, not ${cap.machineType}.`);
  for (const [k, v] of Object.entries(cap.labels)) if (inst.labels?.[k] !== v) warnings.push(`VM instance ${label} lacks label ${k}=${v}.`);
  const items = new Map((inst.metadata?.items ?? []).map((i) => [i.key ?? '', i.value ?? '']));
  for (const m of cap.metadata) if (items.get(m.key) !== m.value) warnings.push(`VM instance ${label} lacks metadata ${m.key}.`);
  const attached = new Set((inst.disks ?? []).map((d) => d.source ?? ''));
  for (const d of opts.disks) if (!attached.has(d.link)) failures.push(`disk ${lastPart(d.link)} (from snapshot ${d.disk.snapshot}) is not attached`);
  if (opts.full) {
    const tags = new Set(inst.tags?.items ?? []);
    for (const t of cap.tags) if (!tags.has(t)) warnings.push(`VM instance ${label} lacks network tag ${t}.`);
    if (opts.serviceAccount && inst.serviceAccounts?.[0]?.email !== opts.serviceAccount) failures.push(`it does not run as ${opts.serviceAccount}`);
    if (cap.network?.externalIp && !(inst.networkInterfaces?.[0]?.accessConfigs ?? []).length) warnings.push(`VM instance ${label} has no external address, which the source had.`);
  }
  return { warnings, failures };
}

function report(ctx: StepContext, result: { warnings: string[]; failures: string[] }, label: string): void {
  for (const w of result.warnings) ctx.warn?.(w);
  if (result.failures.length) throw new ProviderFailure('ProviderError', `The failover of VM instance ${label} did not carry what it must: ${result.failures.join('; ')}.`);
}

/** The service account in the target project: the same-named one reused (R7), else created. */
async function ensureServiceAccount(s: ComputeScope, ctx: StepContext, cap: VmCapture, marks: string): Promise<{ email: string; entry: ResourceMappingEntry } | null> {
  const sa = cap.serviceAccount;
  if (!sa) return null;
  const id = accountIdOf(sa.email);
  if (!id) {
    // A Google-managed account (the Compute Engine default one) is not created: it is used as it is.
    if (s.project !== cap.project) {
      ctx.warn?.(`VM instance ${cap.name} runs as ${sa.email}, an account Google manages for project ${cap.project}; the failed-over instance runs as it too.`);
    }
    return { email: sa.email, entry: { sourceId: sa.email, kind: 'ServiceAccount', name: sa.email, targetId: sa.email, reused: true } };
  }
  const email = `${id.accountId}@${s.project}.iam.gserviceaccount.com`;
  const name = `projects/${s.project}/serviceAccounts/${email}`;
  const existing = await getServiceAccount(s, ctx, s.project, email);
  // Found, and not made by an earlier attempt of this step: the same-named account, reused.
  if (existing && !journaled(ctx, 'create-service-account')) return { email, entry: { sourceId: sa.email, kind: 'ServiceAccount', name: email, targetId: existing.name ?? name, reused: true } };
  ctx.progress(`Creating service account ${email}`);
  const made = await ctx.mutate('create-service-account', {
    family: 'gcp.iam',
    intent: { accountId: id.accountId, project: s.project },
    resume: async () => ((await getServiceAccount(s, ctx, s.project, email)) ? { name } : undefined),
    call: async (signal) => {
      try {
        const r = await s.gcp.call(s.env.account, 'iam.projects.serviceAccounts.create', s.project, () =>
          raced(
            s.c.iam.projects.serviceAccounts.create(
              {
                name: `projects/${s.project}`,
                requestBody: {
                  accountId: id.accountId,
                  serviceAccount: { displayName: sa.displayName ?? id.accountId, description: (sa.description ?? `Failover Console: ${marks}`).slice(0, 256) },
                },
              },
              { signal },
            ),
            signal,
          ),
        );
        return { name: r.data.name ?? name };
      } catch (err) {
        // Made meanwhile (another step, an operator): it is the same-named account, reused.
        if (err instanceof ProviderFailure && err.code === 'Conflict') return { name };
        throw err;
      }
    },
  });
  return { email, entry: { sourceId: sa.email, kind: 'ServiceAccount', name: email, targetId: made.name, reused: false } };
}

/** Whether an earlier attempt of this step committed the intent of `opKey` (what it finds may be its own). */
export const journaled = (ctx: Pick<StepContext, 'operations'>, opKey: string): boolean => ctx.operations().some((o) => o.opKey === opKey && o.intent !== null);

/**
 * Grants `missing` project roles to the account (one journaled read-modify-write of the project IAM
 * policy, etag-checked) and answers the roles this step grants: an earlier attempt's, when it
 * journaled the grant (the roles it granted are then found bound, and are still this step's).
 */
export async function grantProjectRoles(s: ComputeScope, ctx: StepContext, opKey: string, email: string, needed: string[]): Promise<string[]> {
  const prior = ctx.operations().find((o) => o.opKey === opKey && o.intent !== null)?.intent?.roles;
  const missing = Array.isArray(prior) ? prior.map(String) : needed;
  if (missing.length === 0) return [];
  ctx.progress(`Granting ${missing.join(', ')} to ${email}`);
  await ctx.mutate(opKey, {
    family: 'gcp.iam',
    intent: { project: s.project, member: member(email), roles: missing },
    resume: async () => {
      const now = rolesOf(await projectPolicy(s, ctx, s.project), email);
      return missing.every((r) => now.includes(r)) ? { granted: missing } : undefined;
    },
    call: async (signal) => {
      // Read-modify-write with the policy's etag; a concurrent change (ABORTED) reads again.
      for (let attempt = 1; ; attempt++) {
        const policy = await projectPolicy(s, ctx, s.project);
        const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }));
        for (const role of missing) {
          const b = bindings.find((x) => x.role === role && !x.condition);
          if (b) {
            if (!b.members.includes(member(email))) b.members.push(member(email));
          } else bindings.push({ role, members: [member(email)] });
        }
        try {
          await s.gcp.call(s.env.account, 'cloudresourcemanager.projects.setIamPolicy', s.project, () =>
            raced(s.c.projects.setIamPolicy({ resource: `projects/${s.project}`, policy: { version: policy.version ?? 1, etag: policy.etag ?? null, bindings } }), signal),
          );
          return { granted: missing };
        } catch (err) {
          if (attempt < 4 && err instanceof ProviderFailure && (err.code === 'Conflict' || /concurrent policy changes/i.test(err.message))) continue;
          throw err;
        }
      }
    },
  });
  return missing;
}

/** The point's project roles for the account in the target project: bindings already there are reused. */
async function ensureRoles(s: ComputeScope, ctx: StepContext, cap: VmCapture, email: string): Promise<ResourceMappingEntry[]> {
  const wanted = cap.roles.filter((r) => {
    const custom = /^projects\/([^/]+)\/roles\//.exec(r);
    if (custom && custom[1] !== s.project) {
      ctx.warn?.(`VM instance ${cap.name}: custom role ${r} of project ${custom[1]} was not granted in project ${s.project} (create it there and grant it to ${email}).`);
      return false;
    }
    return true;
  });
  if (wanted.length === 0) return [];
  const before = rolesOf(await projectPolicy(s, ctx, s.project), email);
  const granted = await grantProjectRoles(s, ctx, 'grant-project-roles', email, wanted.filter((r) => !before.includes(r)));
  // Read back: the promised roles must be there.
  const after = rolesOf(await projectPolicy(s, ctx, s.project), email);
  const absent = wanted.filter((r) => !after.includes(r));
  if (absent.length) throw new ProviderFailure('ProviderError', `Project ${s.project} does not grant ${absent.join(', ')} to ${email} after the failover granted ${absent.length === 1 ? 'it' : 'them'}; check the project's IAM policy, then retry.`);
  return wanted.map((role) => ({ sourceId: `${cap.project}/${role}`, kind: 'IamRoleBinding', name: `${role} → ${email}`, targetId: `projects/${s.project}/iamPolicy/${role}/${member(email)}`, reused: before.includes(role) && !granted.includes(role) }));
}

export async function discoverVmInstances(gcp: GcpContext, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  const s = await scopeOf(gcp, ctx.env);
  const reader = discoverReader(ctx.signal);
  const out: DiscoveredResource[] = [];
  for (const zone of await zonesOf(s, reader)) {
    const [instances] = await s.read(reader, 'compute.instances.list', () => s.c.instances.list({ project: s.project, zone }));
    for (const i of instances) {
      // The console's own test copies are not production.
      if (i.labels?.[LABEL.role] === 'test' || !i.name) continue;
      const disks = i.disks?.length ?? 0;
      const sa = i.serviceAccounts?.[0]?.email;
      out.push({
        type: 'gcp.vm-instance',
        nativeId: `projects/${s.project}/zones/${zone}/instances/${i.name}`,
        name: i.name.slice(0, 256),
        region: ctx.env.region,
        tags: { ...(i.labels ?? {}) },
        summary: `${lastPart(i.machineType) || 'unknown type'} in ${zone}, ${disks} disk${disks === 1 ? '' : 's'}, ${String(i.status ?? 'unknown').toLowerCase()}${i.networkInterfaces?.[0]?.network ? `, network ${lastPart(i.networkInterfaces[0].network)}` : ''}${sa ? `, runs as ${sa}` : ''}`.slice(0, 256),
      });
    }
  }
  return out;
}

export function createVmInstanceHandler(gcp: GcpContext): ResourceHandler {
  return {
    type: 'gcp.vm-instance',
    usesLatestPoint: false,

    discover: (ctx) => discoverVmInstances(gcp, ctx),

    foresee(item) {
      const m = item.metadata as Partial<VmCapture>;
      const out: string[] = [];
      const custom = (m.roles ?? []).filter((r) => r.startsWith('projects/'));
      if (custom.length) out.push(`VM instance ${m.name ?? item.resource.name}: custom role${custom.length === 1 ? '' : 's'} ${custom.join(', ')} ${custom.length === 1 ? 'is' : 'are'} granted only where the target project has ${custom.length === 1 ? 'it' : 'them'}.`);
      return out;
    },

    async replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
      const src = await scopeOf(gcp, ctx.source);
      const dst = await scopeOf(gcp, ctx.target);
      const ref = parseInstanceId(resource.nativeId);
      if (!ref) throw new ProviderFailure('ValidationFailed', `"${resource.nativeId}" is not a VM instance name (projects/<project>/zones/<zone>/instances/<name>).`);
      const inst = await readInstance(src, ctx, ref.zone, ref.name);
      if (!inst) {
        throw new ProviderFailure('NotFound', `VM instance ${ref.name} no longer exists in ${ref.zone} (project ${ref.project}); remove it from the policy or restore it.`);
      }
      const { sourceDisks, ...captured } = await capture(src, ctx, inst, ref.zone);
      if (sourceDisks.length === 0) throw new ProviderFailure('PreconditionFailed', `VM instance ${ref.name} has no persistent disk to snapshot.`);
      const location = ctx.target.region;
      const suffix = stepSuffix(ctx, 'point', 10);
      const disks: VmDisk[] = [];
      for (const d of sourceDisks) {
        const snapshot = computeName(d.diskName.slice(0, 40), 'dr', suffix);
        ctx.progress(`Snapshotting disk ${d.diskName} into ${location}`);
        // Snapshots live in the target's project, stored in the target's region.
        await dst.mutate(ctx, `snapshot:${d.deviceName}`, {
          action: 'compute.snapshots.insert',
          scope: { global: true },
          what: `snapshot ${snapshot} of disk ${d.diskName}`,
          intent: { snapshot, sourceDisk: d.diskLink, storageLocations: [location] },
          start: async (requestId) =>
            (
              await dst.c.snapshots.insert({
                project: dst.project,
                requestId,
                snapshotResource: {
                  name: snapshot,
                  sourceDisk: d.diskLink,
                  storageLocations: [location],
                  description: `Failover Console recovery point of ${captured.instanceId}`,
                  labels: { [LABEL.role]: 'replication', [LABEL.policy]: labelValue(ctx.policyId), [LABEL.source]: labelValue(ref.name) },
                },
              })
            )[0].latestResponse as protos.google.cloud.compute.v1.IOperation,
        });
        // Read back: ready, from this disk, in the target's location.
        const [snap] = await dst.read(ctx, 'compute.snapshots.get', () => dst.c.snapshots.get({ project: dst.project, snapshot }));
        if (String(snap.status) !== 'READY' || !(snap.storageLocations ?? []).includes(location) || lastPart(snap.sourceDisk) !== d.diskName) {
          throw new ProviderFailure(
            'ProviderError',
            `Snapshot ${snapshot} of disk ${d.diskName} is ${String(snap.status).toLowerCase()} in ${(snap.storageLocations ?? []).join(', ') || 'no location'}, not ready in ${location}; the console will retry.`,
          );
        }
        disks.push({ ...d, snapshot, snapshotLink: snap.selfLink ?? `${COMPUTE}projects/${dst.project}/global/snapshots/${snapshot}` });
      }
      const metadata: VmCapture = { ...captured, disks, storageLocation: location };
      return { metadata: { ...metadata }, dataRefs: disks.map((d) => ({ kind: 'Snapshot', id: d.snapshotLink, region: location })) };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      const s = await scopeOf(gcp, ctx.target);
      await requireSnapshots(s, ctx, cap, cap.name);
      const zone = await targetZone(s, ctx);
      const name = computeName('drtest', cap.name.slice(0, 40), stepSuffix(ctx, 'test', 8));
      const labels = { ...cap.labels, [LABEL.role]: 'test', [LABEL.policy]: labelValue(ctx.policyId) };
      const net = await targetSubnetwork(s, ctx, cap);
      const disks = await disksFromSnapshots(s, ctx, cap, zone, (d, i) => computeName(name.slice(0, 54), d.boot ? 'boot' : `d${i}`), labels, 'test');
      // Isolated: no external address, no network tags (no firewall rule targets it), no service account.
      const inst = await insertInstance(s, ctx, 'test-instance', zone, {
        name,
        machineType: `projects/${s.project}/zones/${zone}/machineTypes/${cap.machineType}`,
        labels,
        metadata: { items: cap.metadata },
        disks: disks.map((d) => ({ boot: d.disk.boot, source: d.link, deviceName: d.disk.deviceName, autoDelete: false, mode: d.disk.mode })),
        ...(net ? { networkInterfaces: [{ network: net.network, subnetwork: net.subnetwork }] } : {}),
      });
      report(ctx, compare(cap, inst, { full: false, disks }), cap.name);
      // The VM before its disks: the order the reset job deletes them in.
      return [
        { kind: 'VirtualMachine', nativeId: `projects/${s.project}/zones/${zone}/instances/${name}`, name, region: ctx.target.region, sourceId: cap.instanceId },
        ...disks.map((d) => ({ kind: 'Disk', nativeId: `projects/${s.project}/zones/${zone}/disks/${d.name}`, name: d.name, region: ctx.target.region, sourceId: d.disk.diskLink })),
      ];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'VirtualMachine' && created.kind !== 'Disk') return;
      const ref = parseInstanceId(created.nativeId);
      if (!ref) return;
      const s = await scopeOf(gcp, ctx.target);
      const deleteInstance = (name: string) =>
        s.mutate(ctx, `delete-instance:${name}`, {
          action: 'compute.instances.delete',
          scope: { zone: ref.zone },
          what: `deleting VM instance ${name}`,
          intent: { instance: name, zone: ref.zone },
          absentOk: true,
          start: async (requestId) => (await s.c.instances.delete({ project: s.project, zone: ref.zone, instance: name, requestId }))[0].latestResponse as protos.google.cloud.compute.v1.IOperation,
        });
      if (created.kind === 'VirtualMachine') await deleteInstance(ref.name);
      else {
        // A test disk still attached to its test VM (the resources reset in another order): the test VM
        // goes first. A disk some other instance uses is not the console's to free.
        const disk = (await s.lookup(ctx, 'compute.disks.get', () => s.c.disks.get({ project: s.project, zone: ref.zone, disk: ref.name })))?.[0];
        for (const user of disk?.users ?? []) {
          const u = parseInstanceId(user);
          const inst = u ? await readInstance(s, ctx, u.zone, u.name) : undefined;
          if (!inst) continue;
          if (inst.labels?.[LABEL.role] !== 'test') {
            throw new ProviderFailure('PreconditionFailed', `Test disk ${ref.name} is attached to VM instance ${inst.name ?? user}, which the console did not make for a test: detach it, then reset again.`);
          }
          await deleteInstance(inst.name ?? '');
        }
        await s.mutate(ctx, `delete-disk:${ref.name}`, {
          action: 'compute.disks.delete',
          scope: { zone: ref.zone },
          what: `deleting disk ${ref.name}`,
          intent: { disk: ref.name, zone: ref.zone },
          absentOk: true,
          start: async (requestId) => (await s.c.disks.delete({ project: s.project, zone: ref.zone, disk: ref.name, requestId }))[0].latestResponse as protos.google.cloud.compute.v1.IOperation,
        });
      }
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      const s = await scopeOf(gcp, ctx.target);
      await requireSnapshots(s, ctx, cap, cap.name);
      const zone = await targetZone(s, ctx);
      const entries: ResourceMappingEntry[] = [];
      const marks = `failover of ${cap.instanceId}`;

      // IAM first: the instance runs as the account, which must hold its roles (R7: same-named reused).
      const sa = await ensureServiceAccount(s, ctx, cap, marks);
      if (sa) {
        entries.push(sa.entry);
        entries.push(...(await ensureRoles(s, ctx, cap, sa.email)));
      }
      const net = await targetSubnetwork(s, ctx, cap);
      const labels = { ...cap.labels, [LABEL.role]: 'failover', [LABEL.policy]: labelValue(ctx.policyId) };
      // The selected point's snapshots, as disks named as the source's.
      const disks = await disksFromSnapshots(s, ctx, cap, zone, (d) => d.diskName, labels, 'failover');
      const body: Instance = {
        name: cap.name,
        machineType: `projects/${s.project}/zones/${zone}/machineTypes/${cap.machineType}`,
        labels,
        tags: { items: cap.tags },
        metadata: { items: cap.metadata },
        deletionProtection: cap.deletionProtection,
        disks: disks.map((d) => ({ boot: d.disk.boot, source: d.link, deviceName: d.disk.deviceName, autoDelete: d.disk.autoDelete, mode: d.disk.mode })),
        ...(net ? { networkInterfaces: [{ network: net.network, subnetwork: net.subnetwork, ...(cap.network?.externalIp ? { accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] } : {}) }] } : {}),
        ...(sa && cap.serviceAccount ? { serviceAccounts: [{ email: sa.email, scopes: cap.serviceAccount.scopes }] } : {}),
      };
      let inst: Instance;
      let reused = false;
      try {
        inst = await insertInstance(s, ctx, 'failover-instance', zone, body);
      } catch (err) {
        // A same-named instance on these very disks is an earlier failover's of this point (its journal
        // lost): it is the one the point would make, reused. On other disks it is someone else's.
        if (!(err instanceof ProviderFailure && err.code === 'Conflict')) throw err;
        const existing = await readInstance(s, ctx, zone, cap.name);
        const attached = new Set((existing?.disks ?? []).map((d) => d.source ?? ''));
        if (!existing || !disks.every((d) => attached.has(d.link))) {
          throw new ProviderFailure('Conflict', `A VM instance named ${cap.name} already exists in ${zone} (project ${s.project}) on other disks: rename or delete it, then retry.`);
        }
        inst = existing;
        reused = true;
      }
      entries.unshift({ sourceId: cap.selfLink || cap.instanceId, kind: 'VirtualMachine', name: cap.name, targetId: inst.selfLink ?? '', ...(reused ? { reused: true } : {}) });
      for (const d of disks) entries.push({ sourceId: d.disk.diskLink, kind: 'Disk', name: d.name, targetId: d.link, ...(d.reused ? { reused: true } : {}) });
      for (const [i, nic] of (inst.networkInterfaces ?? []).entries()) {
        entries.push({ sourceId: cap.selfLink || cap.instanceId, kind: 'NetworkInterface', name: `${cap.name}:${nic.name ?? `nic${i}`}`, targetId: `${inst.selfLink ?? ''}/networkInterfaces/${nic.name ?? `nic${i}`}` });
      }
      ctx.progress(`Comparing ${cap.name} in ${zone} with the recovery point`);
      report(ctx, compare(cap, inst, { full: true, disks, ...(sa ? { serviceAccount: sa.email } : {}) }), cap.name);
      return entries;
    },

    // A point is a set of snapshots taken at replication time: nothing runs between points, so there
    // is nothing to stop. The snapshots stay (they are recovery data); production is never touched.
    stopReplication: () => Promise.resolve(),
  };
}

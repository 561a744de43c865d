// Google Kubernetes Engine clusters (gcp.gke): a recovery point is the cluster's configuration and its
// node pools', one Compute snapshot of every persistent disk of the cluster stored in the target's
// region (`storageLocations`, requestId), and the IAM its nodes run with: the node service accounts,
// the project roles they hold, and the definitions of the project's custom roles among them.
// Test failover builds a cluster and disks from the point's snapshots under test names in the target
// (the nodes run as the same-named service accounts when the target has them; no IAM is changed);
// Reset deletes them. Failover makes the custom roles, the service accounts and their role bindings
// (same-named ones reused, R7: an existing one is never made a second time; a deleted custom role is
// undeleted), then the cluster with its node pools and the disks from the SELECTED point's snapshots,
// and reads everything back and compares it with the point.
//
// The cluster's persistent disks are the Compute disks GKE's PD CSI driver made for it: in the
// cluster's zones, labelled `goog-k8s-cluster-name=<cluster>`, node boot disks (`goog-gke-node`) left
// out. Autopilot clusters are refused with a sentence: GKE manages their nodes, so the console cannot
// recreate them as the point has them.
//
// Every Compute mutation goes through compute-ops.ts (requestId, journaled operation, `wait`). GKE
// mutations go through ctx.mutate under gcp.container: the operation's name is journaled as the handle
// as soon as GKE answers, and awaited through projects.locations.operations.get; a resumed step polls
// the journaled operation, and a create that finds its cluster made already adopts it only when it is
// this policy's (labels). IAM mutations go through ctx.mutate under gcp.iam.

import { setTimeout as sleep } from 'node:timers/promises';
import type { protos as compute } from '@google-cloud/compute';
import type { protos } from '@google-cloud/container';
import type { iam_v1 } from '@googleapis/iam';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { GcpContext } from './clients';
import { computeName, raced, stepSuffix, type ComputeScope } from './compute-ops';
import {
  accountIdOf,
  discoverReader,
  getServiceAccount,
  grantProjectRoles,
  journaled,
  insertDiskFromSnapshot,
  lastPart,
  member,
  projectPolicy,
  requireSnapshots,
  rolesOf,
  scopeOf,
  targetSubnetwork,
  zonesOf,
} from './vm-instance';

type Cluster = protos.google.container.v1.ICluster;
type NodePool = protos.google.container.v1.INodePool;
type GkeOperation = protos.google.container.v1.IOperation;

const COMPUTE = 'https://www.googleapis.com/compute/v1/';
/** Labels the console puts on what it makes (GKE resource labels and Compute labels share the rules). */
const LABEL = { role: 'dr-role', policy: 'dr-policy', source: 'dr-source', cluster: 'dr-cluster' } as const;
/** The labels GKE puts on the Compute disks of a cluster. */
const GKE_DISK_LABEL = { cluster: 'goog-k8s-cluster-name', node: 'goog-gke-node' } as const;

export interface GkeNodePool {
  name: string;
  initialNodeCount: number;
  machineType: string | null;
  diskSizeGb: number | null;
  diskType: string | null;
  imageType: string | null;
  labels: Record<string, string>;
  taints: { key: string; value: string; effect: string }[];
  tags: string[];
  /** The nodes' service account (an email), or null for the project's Compute Engine default account. */
  serviceAccount: string | null;
  oauthScopes: string[];
  autoscaling: { minNodeCount: number; maxNodeCount: number } | null;
}

export interface GkeServiceAccount {
  email: string;
  displayName: string | null;
  description: string | null;
  /** Project roles granted to it in the source project (predefined and custom). */
  roles: string[];
}

export interface GkeCustomRole {
  /** projects/<source project>/roles/<id> */
  name: string;
  roleId: string;
  title: string;
  description: string | null;
  includedPermissions: string[];
  stage: string | null;
}

export interface GkeDisk {
  diskName: string;
  zone: string;
  diskLink: string;
  sizeGb: string | null;
  diskType: string | null;
  /** The customer's labels of the disk (GKE's `goog-*` and the console's `dr-*` left out). */
  labels: Record<string, string>;
  /** The PD CSI driver's description (the PV and PVC it was made for). */
  description: string | null;
  snapshot: string;
  snapshotLink: string;
}

export interface GkeCapture {
  /** projects/p/locations/l/clusters/n */
  clusterId: string;
  name: string;
  project: string;
  /** A region (regional cluster) or a zone (zonal cluster). */
  location: string;
  regional: boolean;
  selfLink: string;
  description: string | null;
  resourceLabels: Record<string, string>;
  version: string | null;
  releaseChannel: string | null;
  network: { network: string; subnetwork: string | null } | null;
  nodePools: GkeNodePool[];
  serviceAccounts: GkeServiceAccount[];
  customRoles: GkeCustomRole[];
  disks: GkeDisk[];
  storageLocation: string;
}

/** projects/p/locations/l/clusters/n (or a container self-link) → its parts. */
export function parseClusterId(id: string): { project: string; location: string; name: string } | null {
  const m = /(?:^|\/)projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/.exec(id);
  return m ? { project: m[1]!, location: m[2]!, name: m[3]! } : null;
}

/** A zone's region (europe-west1-b → europe-west1); a region is its own. */
const regionOf = (location: string): string => (/^[a-z]+-[a-z]+\d+-[a-z]$/.test(location) ? location.replace(/-[a-z]$/, '') : location);

/** A label value GKE and Compute accept: lower-case letters, digits, _ and -, at most 63. */
function labelValue(v: string): string {
  return v
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 63);
}

/** The customer's labels: GKE's own (`goog-*`) and the console's (`dr-*`) left out. */
const customerLabels = (labels: Record<string, string> | null | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !k.startsWith('dr-') && !k.startsWith('goog-')));

/** Cluster names: lower-case letters, digits and hyphens, starting with a letter, at most 40. */
const clusterName = (...parts: string[]): string => computeName(...parts).slice(0, 40).replace(/-+$/, '');

/** One account's GKE calls for a step: reads under gcp.container, operations awaited, mutations journaled. */
class GkeScope {
  constructor(readonly s: ComputeScope) {}

  get project(): string {
    return this.s.project;
  }

  read<T>(ctx: { read: StepContext['read'] }, action: string, fn: () => Promise<T>): Promise<T> {
    return ctx.read('gcp.container', (signal) => this.s.gcp.call(this.s.env.account, action, this.project, () => raced(fn(), signal)));
  }

  async cluster(ctx: { read: StepContext['read'] }, location: string, name: string): Promise<Cluster | undefined> {
    try {
      return (await this.read(ctx, 'container.projects.locations.clusters.get', () => this.s.c.container.getCluster({ name: `projects/${this.project}/locations/${location}/clusters/${name}` })))[0];
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Polls a GKE operation through projects.locations.operations.get until DONE; an operation that failed throws. */
  async wait(ctx: StepContext, location: string, operation: string, what: string): Promise<GkeOperation> {
    const pollMs = this.s.gcp.opts.pollIntervalMs ?? 5_000;
    for (;;) {
      const [op] = await this.read(ctx, 'container.projects.locations.operations.get', () =>
        this.s.c.container.getOperation({ name: `projects/${this.project}/locations/${location}/operations/${operation}` }),
      );
      if (String(op.status) === 'DONE') {
        if (op.error && (op.error.code ?? 0) !== 0) throw operationFailure(op.error, what);
        return op;
      }
      ctx.progress(`Waiting for ${what} (${String(op.status ?? 'PENDING').toLowerCase()})`);
      await sleep(pollMs, undefined, { signal: ctx.signal }).catch(() => {
        throw new ProviderFailure('Cancelled', `Waiting for ${what} was cancelled.`);
      });
    }
  }

  /** Waits for every GKE operation still running on `targetLink` (an adopted cluster a lost attempt started). */
  async settle(ctx: StepContext, location: string, targetLink: string, what: string): Promise<void> {
    const [list] = await this.read(ctx, 'container.projects.locations.operations.list', () =>
      this.s.c.container.listOperations({ parent: `projects/${this.project}/locations/${location}` }),
    );
    for (const op of list.operations ?? []) {
      if (String(op.status) !== 'DONE' && op.name && (op.targetLink ?? '').startsWith(targetLink)) await this.wait(ctx, location, op.name, what);
    }
  }

  /**
   * One GKE mutation through ctx.mutate: `start()` makes the call and answers GKE's Operation, whose
   * name is journaled before it is awaited. `absentOk`: NOT_FOUND means done (a delete of what is gone).
   */
  mutate(
    ctx: StepContext,
    opKey: string,
    spec: { action: string; location: string; what: string; intent: Record<string, unknown>; absentOk?: boolean; start: () => Promise<GkeOperation> },
  ): Promise<{ operation: string | null }> {
    return ctx.mutate(opKey, {
      family: 'gcp.container',
      intent: { ...spec.intent, action: spec.action, project: this.project, location: spec.location },
      resume: async (previous) => {
        const name = previous.handle?.operation;
        if (typeof name !== 'string') return undefined;
        try {
          await this.wait(ctx, spec.location, name, spec.what);
        } catch (err) {
          if (!(spec.absentOk && err instanceof ProviderFailure && err.code === 'NotFound')) throw err;
        }
        return { operation: name };
      },
      call: async (signal, journal) => {
        let op: GkeOperation;
        try {
          op = await this.s.gcp.call(this.s.env.account, spec.action, this.project, () => raced(spec.start(), signal));
        } catch (err) {
          if (spec.absentOk && err instanceof ProviderFailure && err.code === 'NotFound') return { operation: null };
          throw err;
        }
        if (!op.name) throw new ProviderFailure('ProviderError', `Google Kubernetes Engine accepted ${spec.action} but named no operation.`);
        await journal.handle({ operation: op.name, location: spec.location });
        await this.wait(ctx, spec.location, op.name, spec.what);
        return { operation: op.name };
      },
    });
  }
}

/** A GKE operation that ended with an error (google.rpc.Status), as a ProviderFailure sentence. */
function operationFailure(error: protos.google.rpc.IStatus, what: string): ProviderFailure {
  const text = (error.message ?? 'no message').slice(0, 400);
  switch (error.code) {
    case 8:
      return new ProviderFailure('ProviderQuotaExceeded', `${what} failed for lack of quota or capacity (${text}); free some or choose another region, then retry.`);
    case 5:
      return new ProviderFailure('NotFound', `${what} failed: ${text}.`);
    case 6:
      return new ProviderFailure('Conflict', `${what} failed: ${text}.`);
    case 7:
      return new ProviderFailure('ProviderPermissionDenied', `${what} was denied: ${text}.`);
    case 14:
      return new ProviderFailure('ProviderUnavailable', `${what} failed for now (${text}); the console will retry.`);
    default:
      return new ProviderFailure('ProviderError', `${what} failed: ${text}.`);
  }
}

async function scopes(gcp: GcpContext, env: EnvRef): Promise<{ s: ComputeScope; g: GkeScope }> {
  const s = await scopeOf(gcp, env);
  return { s, g: new GkeScope(s) };
}

const isAutopilot = (c: Cluster): boolean => c.autopilot?.enabled === true;

function refuseAutopilot(name: string): ProviderFailure {
  return new ProviderFailure(
    'PreconditionFailed',
    `GKE cluster ${name} is an Autopilot cluster, whose nodes Google manages: the console recreates Standard clusters only. Protect its workloads' disks another way, or remove it from the policy.`,
  );
}

/** The Compute disks GKE made for the cluster's volumes, in its zones. */
async function clusterDisks(s: ComputeScope, ctx: StepContext, cluster: Cluster, location: string): Promise<compute.google.cloud.compute.v1.IDisk[]> {
  const zones = (cluster.locations ?? []).length ? [...(cluster.locations ?? [])].sort() : regionOf(location) === location ? await zonesOf(s, ctx) : [location];
  const out: compute.google.cloud.compute.v1.IDisk[] = [];
  for (const zone of zones) {
    const [disks] = await s.read(ctx, 'compute.disks.list', () =>
      s.c.disks.list({ project: s.project, zone, filter: `labels.${GKE_DISK_LABEL.cluster} = "${cluster.name ?? ''}"` }),
    );
    for (const d of disks) if (d.name && !(GKE_DISK_LABEL.node in (d.labels ?? {}))) out.push(d);
  }
  return out.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
}

function poolOf(np: NodePool): GkeNodePool {
  const cfg = np.config ?? {};
  const sa = cfg.serviceAccount && cfg.serviceAccount !== 'default' ? cfg.serviceAccount : null;
  return {
    name: np.name ?? '',
    initialNodeCount: np.initialNodeCount ?? 1,
    machineType: cfg.machineType ?? null,
    diskSizeGb: cfg.diskSizeGb ?? null,
    diskType: cfg.diskType ?? null,
    imageType: cfg.imageType ?? null,
    labels: { ...(cfg.labels ?? {}) },
    taints: (cfg.taints ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? '', effect: String(t.effect ?? 'NO_SCHEDULE') })),
    tags: [...(cfg.tags ?? [])],
    serviceAccount: sa,
    oauthScopes: [...(cfg.oauthScopes ?? [])],
    autoscaling: np.autoscaling?.enabled ? { minNodeCount: np.autoscaling.minNodeCount ?? 0, maxNodeCount: np.autoscaling.maxNodeCount ?? 0 } : null,
  };
}

async function getRole(s: ComputeScope, ctx: { read: StepContext['read'] }, name: string): Promise<iam_v1.Schema$Role | undefined> {
  try {
    return await ctx.read('gcp.iam', (signal) =>
      s.gcp.call(s.env.account, 'iam.projects.roles.get', s.project, () => raced(s.c.iam.projects.roles.get({ name }, { signal }), signal)),
    ).then((r) => r.data);
  } catch (err) {
    if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
    throw err;
  }
}

/** The node service accounts, their project roles, and the definitions of the source project's custom roles among them. */
async function captureIam(s: ComputeScope, ctx: StepContext, pools: GkeNodePool[]): Promise<{ serviceAccounts: GkeServiceAccount[]; customRoles: GkeCustomRole[] }> {
  const emails = [...new Set(pools.map((p) => p.serviceAccount).filter((e): e is string => !!e))].sort();
  if (emails.length === 0) return { serviceAccounts: [], customRoles: [] };
  const policy = await projectPolicy(s, ctx, s.project);
  const serviceAccounts: GkeServiceAccount[] = [];
  const custom = new Set<string>();
  for (const email of emails) {
    const id = accountIdOf(email);
    const details = id ? await getServiceAccount(s, ctx, id.project, email) : undefined;
    const roles = rolesOf(policy, email);
    for (const r of roles) if (r.startsWith(`projects/${s.project}/roles/`)) custom.add(r);
    serviceAccounts.push({ email, displayName: details?.displayName ?? null, description: details?.description ?? null, roles });
  }
  const customRoles: GkeCustomRole[] = [];
  for (const name of [...custom].sort()) {
    const role = await getRole(s, ctx, name);
    if (!role || role.deleted) continue;
    customRoles.push({
      name,
      roleId: lastPart(name),
      title: role.title ?? lastPart(name),
      description: role.description ?? null,
      includedPermissions: [...(role.includedPermissions ?? [])].sort(),
      stage: role.stage ?? null,
    });
  }
  return { serviceAccounts, customRoles };
}

function readCapture(item: RecoveryPointItemRef): GkeCapture {
  const m = item.metadata as Partial<GkeCapture>;
  if (!m.name || !Array.isArray(m.nodePools) || !Array.isArray(m.disks) || m.disks.some((d) => !d.snapshotLink)) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of GKE cluster ${item.resource.name} holds no cluster configuration; choose a point made by a successful replication.`);
  }
  return m as GkeCapture;
}

/** Where the target's copy goes: the target region for a regional cluster, else the target's zone. */
async function targetLocation(s: ComputeScope, ctx: StepContext, cap: GkeCapture): Promise<{ location: string; zone: string }> {
  const zone = (await zonesOf(s, ctx))[0]!;
  return { location: cap.regional ? s.env.region : zone, zone };
}

function poolBody(p: GkeNodePool, serviceAccount: string | null): NodePool {
  return {
    name: p.name,
    initialNodeCount: p.initialNodeCount,
    config: {
      ...(p.machineType ? { machineType: p.machineType } : {}),
      ...(p.diskSizeGb ? { diskSizeGb: p.diskSizeGb } : {}),
      ...(p.diskType ? { diskType: p.diskType } : {}),
      ...(p.imageType ? { imageType: p.imageType } : {}),
      labels: p.labels,
      ...(p.taints.length ? { taints: p.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect as never })) } : {}),
      ...(p.tags.length ? { tags: p.tags } : {}),
      ...(serviceAccount ? { serviceAccount } : {}),
      ...(p.oauthScopes.length ? { oauthScopes: p.oauthScopes } : {}),
    },
    ...(p.autoscaling ? { autoscaling: { enabled: true, minNodeCount: p.autoscaling.minNodeCount, maxNodeCount: p.autoscaling.maxNodeCount } } : {}),
  };
}

/**
 * Creates the cluster with its node pools (one GKE operation), or adopts the one an earlier attempt of
 * this policy made (its journal lost), waiting for what still runs on it and adding the pools it lacks.
 */
async function ensureCluster(g: GkeScope, ctx: StepContext, opKey: string, location: string, body: Cluster, role: 'test' | 'failover'): Promise<{ cluster: Cluster; reused: boolean }> {
  const name = body.name ?? '';
  const what = `GKE cluster ${name} in ${location}`;
  const parent = `projects/${g.project}/locations/${location}`;
  ctx.progress(`Creating GKE cluster ${name} in ${location}`);
  let reused = false;
  // An earlier attempt of this step journaled the create: a cluster found is its own, not reused.
  const made = journaled(ctx, opKey);
  try {
    await g.mutate(ctx, opKey, {
      action: 'container.projects.locations.clusters.create',
      location,
      what,
      intent: { cluster: name, nodePools: (body.nodePools ?? []).map((p) => p.name ?? '') },
      start: async () => (await g.s.c.container.createCluster({ parent, cluster: body }))[0],
    });
  } catch (err) {
    if (!(err instanceof ProviderFailure && err.code === 'Conflict')) throw err;
    const existing = await g.cluster(ctx, location, name);
    if (!existing || existing.resourceLabels?.[LABEL.policy] !== body.resourceLabels?.[LABEL.policy] || existing.resourceLabels?.[LABEL.role] !== role) {
      throw new ProviderFailure('Conflict', `A GKE cluster named ${name} already exists in ${location} (project ${g.project}) and was not made by this policy's ${role === 'test' ? 'test failover' : 'failover'}: rename or delete it, then retry.`);
    }
    // This policy's own cluster from an attempt whose journal was lost: it is the one the point would make.
    await g.settle(ctx, location, existing.selfLink ?? '', what);
    reused = !made;
  }
  let cluster = await g.cluster(ctx, location, name);
  if (!cluster) throw new ProviderFailure('ProviderUnavailable', `${what} was created and then could not be read; the console will retry.`);
  const have = new Set((cluster.nodePools ?? []).map((p) => p.name ?? ''));
  const missing = (body.nodePools ?? []).filter((p) => !have.has(p.name ?? ''));
  for (const p of missing) {
    ctx.progress(`Adding node pool ${p.name ?? ''} to GKE cluster ${name}`);
    await g.mutate(ctx, `${opKey}-node-pool:${p.name ?? ''}`, {
      action: 'container.projects.locations.clusters.nodePools.create',
      location,
      what: `node pool ${p.name ?? ''} of ${what}`,
      intent: { cluster: name, nodePool: p.name ?? '' },
      start: async () => (await g.s.c.container.createNodePool({ parent: `${parent}/clusters/${name}`, nodePool: p }))[0],
    });
  }
  if (missing.length) cluster = (await g.cluster(ctx, location, name)) ?? cluster;
  return { cluster, reused };
}

/** Disks from the point's snapshots in the target zone (one Compute insert each, requestId-deduplicated). */
async function disksFromSnapshots(s: ComputeScope, ctx: StepContext, cap: GkeCapture, zone: string, name: (d: GkeDisk, i: number) => string, labels: Record<string, string>, purpose: string) {
  const made: { disk: GkeDisk; name: string; link: string; reused: boolean }[] = [];
  for (const [i, d] of cap.disks.entries()) {
    const diskName = name(d, i);
    const got = await insertDiskFromSnapshot(s, ctx, `${purpose}-disk:${d.diskName}`, zone, {
      name: diskName,
      snapshot: d.snapshot,
      snapshotLink: d.snapshotLink,
      sizeGb: d.sizeGb,
      diskType: d.diskType,
      description: d.description,
      labels: { ...d.labels, ...labels },
    });
    made.push({ disk: d, name: diskName, ...got });
  }
  return made;
}

/** Reads the disks back: each must be there, from its snapshot, at least the point's size. */
async function verifyDisks(s: ComputeScope, ctx: StepContext, zone: string, disks: { disk: GkeDisk; name: string }[]): Promise<string[]> {
  const failures: string[] = [];
  for (const d of disks) {
    const got = (await s.lookup(ctx, 'compute.disks.get', () => s.c.disks.get({ project: s.project, zone, disk: d.name })))?.[0];
    if (!got) failures.push(`disk ${d.name} (from snapshot ${d.disk.snapshot}) is missing`);
    else if (lastPart(got.sourceSnapshot) !== d.disk.snapshot) failures.push(`disk ${d.name} was not made from snapshot ${d.disk.snapshot}`);
    else if (d.disk.sizeGb && Number(got.sizeGb ?? 0) < Number(d.disk.sizeGb)) failures.push(`disk ${d.name} is ${String(got.sizeGb)} GB, not ${d.disk.sizeGb} GB`);
  }
  return failures;
}

/** What the cluster in the target does not carry of the point: warnings, and failures for what must be there. */
function compare(cap: GkeCapture, cluster: Cluster, accounts: Map<string, string | null>): { warnings: string[]; failures: string[] } {
  const warnings: string[] = [];
  const failures: string[] = [];
  const label = cap.name;
  if (String(cluster.status) !== 'RUNNING') failures.push(`the cluster is ${String(cluster.status ?? 'unknown').toLowerCase()}, not running`);
  if (cap.version && cluster.currentMasterVersion !== cap.version) warnings.push(`GKE cluster ${label} runs Kubernetes ${cluster.currentMasterVersion ?? 'unknown'}, not ${cap.version} as in the recovery point.`);
  for (const [k, v] of Object.entries(cap.resourceLabels)) if (cluster.resourceLabels?.[k] !== v) warnings.push(`GKE cluster ${label} lacks label ${k}=${v}.`);
  for (const p of cap.nodePools) {
    const made = (cluster.nodePools ?? []).find((n) => n.name === p.name);
    if (!made) {
      failures.push(`node pool ${p.name} is missing`);
      continue;
    }
    const cfg = made.config ?? {};
    if (p.machineType && cfg.machineType !== p.machineType) warnings.push(`Node pool ${p.name} of ${label} runs ${cfg.machineType ?? 'unknown'} nodes, not ${p.machineType}.`);
    if ((made.initialNodeCount ?? 0) !== p.initialNodeCount) warnings.push(`Node pool ${p.name} of ${label} starts ${made.initialNodeCount ?? 0} nodes, not ${p.initialNodeCount}.`);
    for (const [k, v] of Object.entries(p.labels)) if (cfg.labels?.[k] !== v) warnings.push(`Node pool ${p.name} of ${label} lacks node label ${k}=${v}.`);
    const want = accounts.get(p.name) ?? null;
    if (want && cfg.serviceAccount !== want) failures.push(`node pool ${p.name} does not run as ${want}`);
  }
  return { warnings, failures };
}

function report(ctx: StepContext, result: { warnings: string[]; failures: string[] }, label: string, step: string): void {
  for (const w of result.warnings) ctx.warn?.(w);
  if (result.failures.length) throw new ProviderFailure('ProviderError', `The ${step} of GKE cluster ${label} did not carry what it must: ${result.failures.join('; ')}.`);
}

/** The point's custom roles in the target project: same-named ones reused (R7), deleted ones undeleted, else created. */
async function ensureCustomRoles(s: ComputeScope, ctx: StepContext, cap: GkeCapture): Promise<ResourceMappingEntry[]> {
  const entries: ResourceMappingEntry[] = [];
  for (const r of cap.customRoles) {
    const name = `projects/${s.project}/roles/${r.roleId}`;
    const existing = await getRole(s, ctx, name);
    // What an earlier attempt of this step made (or undeleted) is this step's, not a same-named one found.
    const created = journaled(ctx, `create-role:${r.roleId}`);
    if (existing && !existing.deleted && !created && !journaled(ctx, `undelete-role:${r.roleId}`)) {
      entries.push({ sourceId: r.name, kind: 'IamRole', name, targetId: name, reused: true });
      continue;
    }
    if (existing && !created) {
      ctx.progress(`Undeleting custom role ${name}`);
      await ctx.mutate(`undelete-role:${r.roleId}`, {
        family: 'gcp.iam',
        intent: { action: 'iam.projects.roles.undelete', role: name },
        resume: async () => ((await getRole(s, ctx, name))?.deleted ? undefined : { name }),
        call: async (signal) => {
          await s.gcp.call(s.env.account, 'iam.projects.roles.undelete', s.project, () => raced(s.c.iam.projects.roles.undelete({ name, requestBody: {} }, { signal }), signal));
          return { name };
        },
      });
      entries.push({ sourceId: r.name, kind: 'IamRole', name, targetId: name, reused: true });
      continue;
    }
    ctx.progress(`Creating custom role ${name}`);
    await ctx.mutate(`create-role:${r.roleId}`, {
      family: 'gcp.iam',
      intent: { action: 'iam.projects.roles.create', role: name, permissions: r.includedPermissions },
      resume: async () => ((await getRole(s, ctx, name)) ? { name } : undefined),
      call: async (signal) => {
        try {
          await s.gcp.call(s.env.account, 'iam.projects.roles.create', s.project, () =>
            raced(
              s.c.iam.projects.roles.create(
                {
                  parent: `projects/${s.project}`,
                  requestBody: {
                    roleId: r.roleId,
                    role: { title: r.title, includedPermissions: r.includedPermissions, ...(r.description ? { description: r.description } : {}), ...(r.stage ? { stage: r.stage } : {}) },
                  },
                },
                { signal },
              ),
              signal,
            ),
          );
        } catch (err) {
          // Made meanwhile (another step, an operator): it is the same-named role, reused.
          if (!(err instanceof ProviderFailure && err.code === 'Conflict')) throw err;
        }
        return { name };
      },
    });
    entries.push({ sourceId: r.name, kind: 'IamRole', name, targetId: name, reused: false });
  }
  // Read back: every role the bindings name must be there, with the point's permissions.
  for (const r of cap.customRoles) {
    const name = `projects/${s.project}/roles/${r.roleId}`;
    const got = await getRole(s, ctx, name);
    if (!got || got.deleted) throw new ProviderFailure('ProviderError', `Custom role ${name} is not in project ${s.project} after the failover made it; check the project's roles, then retry.`);
    const perms = new Set(got.includedPermissions ?? []);
    const lacking = r.includedPermissions.filter((p) => !perms.has(p));
    if (lacking.length) ctx.warn?.(`Custom role ${name} in project ${s.project} lacks ${lacking.join(', ')}, which the recovery point's role grants; the same-named role was reused as it is.`);
  }
  return entries;
}

/** A node service account in the target project: the same-named one reused (R7), else created. */
async function ensureServiceAccount(s: ComputeScope, ctx: StepContext, cap: GkeCapture, sa: GkeServiceAccount): Promise<{ email: string; entry: ResourceMappingEntry }> {
  const id = accountIdOf(sa.email);
  if (!id) {
    // A Google-managed account is not created: it is used as it is.
    return { email: sa.email, entry: { sourceId: sa.email, kind: 'ServiceAccount', name: sa.email, targetId: sa.email, reused: true } };
  }
  const email = `${id.accountId}@${s.project}.iam.gserviceaccount.com`;
  const name = `projects/${s.project}/serviceAccounts/${email}`;
  const existing = await getServiceAccount(s, ctx, s.project, email);
  const opKey = `create-service-account:${id.accountId}`;
  // Found, and not made by an earlier attempt of this step: the same-named account, reused (R7).
  if (existing && !journaled(ctx, opKey)) return { email, entry: { sourceId: sa.email, kind: 'ServiceAccount', name: email, targetId: existing.name ?? name, reused: true } };
  ctx.progress(`Creating service account ${email}`);
  const made = await ctx.mutate(opKey, {
    family: 'gcp.iam',
    intent: { action: 'iam.projects.serviceAccounts.create', accountId: id.accountId, project: s.project },
    resume: async () => ((await getServiceAccount(s, ctx, s.project, email)) ? { name } : undefined),
    call: async (signal) => {
      try {
        const r = await s.gcp.call(s.env.account, 'iam.projects.serviceAccounts.create', s.project, () =>
          raced(
            s.c.iam.projects.serviceAccounts.create(
              {
                name: `projects/${s.project}`,
                requestBody: { accountId: id.accountId, serviceAccount: { displayName: sa.displayName ?? id.accountId, description: (sa.description ?? `Failover Console: failover of ${cap.clusterId}`).slice(0, 256) } },
              },
              { signal },
            ),
            signal,
          ),
        );
        return { name: r.data.name ?? name };
      } catch (err) {
        if (err instanceof ProviderFailure && err.code === 'Conflict') return { name };
        throw err;
      }
    },
  });
  return { email, entry: { sourceId: sa.email, kind: 'ServiceAccount', name: email, targetId: made.name, reused: false } };
}

/** The account's project roles in the target (custom roles under the target project's name); bindings already there are reused. */
async function ensureRoles(s: ComputeScope, ctx: StepContext, cap: GkeCapture, sa: GkeServiceAccount, email: string): Promise<ResourceMappingEntry[]> {
  const custom = new Set(cap.customRoles.map((r) => r.name));
  const wanted: string[] = [];
  for (const r of sa.roles) {
    const m = /^projects\/([^/]+)\/roles\/(.+)$/.exec(r);
    if (!m) wanted.push(r);
    else if (custom.has(r)) wanted.push(`projects/${s.project}/roles/${m[2]!}`);
    else ctx.warn?.(`GKE cluster ${cap.name}: custom role ${r} of project ${m[1]!} was not granted in project ${s.project} (create it there and grant it to ${email}).`);
  }
  if (wanted.length === 0) return [];
  const before = rolesOf(await projectPolicy(s, ctx, s.project), email);
  const granted = await grantProjectRoles(s, ctx, `grant-project-roles:${email}`, email, wanted.filter((r) => !before.includes(r)));
  const after = rolesOf(await projectPolicy(s, ctx, s.project), email);
  const absent = wanted.filter((r) => !after.includes(r));
  if (absent.length) throw new ProviderFailure('ProviderError', `Project ${s.project} does not grant ${absent.join(', ')} to ${email} after the failover granted ${absent.length === 1 ? 'it' : 'them'}; check the project's IAM policy, then retry.`);
  return wanted.map((role) => ({ sourceId: `${cap.project}/${role}`, kind: 'IamRoleBinding', name: `${role} → ${email}`, targetId: `projects/${s.project}/iamPolicy/${role}/${member(email)}`, reused: before.includes(role) && !granted.includes(role) }));
}

/** The cluster body for the target: the point's configuration, pools running as `accounts` (pool name → email). */
async function clusterBody(s: ComputeScope, ctx: StepContext, cap: GkeCapture, name: string, labels: Record<string, string>, accounts: Map<string, string | null>): Promise<Cluster> {
  const net = cap.network && cap.network.network !== 'default' ? await targetSubnetwork(s, ctx, { name: cap.name, network: { ...cap.network, externalIp: false } }, `GKE cluster ${cap.name}`) : null;
  return {
    name,
    ...(cap.description ? { description: cap.description } : {}),
    resourceLabels: labels,
    ...(cap.version ? { initialClusterVersion: cap.version } : {}),
    ...(cap.releaseChannel ? { releaseChannel: { channel: cap.releaseChannel as never } } : {}),
    ...(net ? { network: lastPart(net.network), subnetwork: lastPart(net.subnetwork) } : {}),
    nodePools: cap.nodePools.map((p) => poolBody(p, accounts.get(p.name) ?? null)),
  };
}

export async function discoverGkeClusters(gcp: GcpContext, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  const { s, g } = await scopes(gcp, ctx.env);
  const reader = discoverReader(ctx.signal);
  const [list] = await g.read(reader, 'container.projects.locations.clusters.list', () => s.c.container.listClusters({ parent: `projects/${s.project}/locations/-` }));
  const out: DiscoveredResource[] = [];
  for (const c of list.clusters ?? []) {
    const location = c.location ?? c.zone ?? '';
    if (!c.name || regionOf(location) !== ctx.env.region || c.resourceLabels?.[LABEL.role] === 'test') continue;
    const pools = c.nodePools?.length ?? 0;
    out.push({
      type: 'gcp.gke',
      nativeId: `projects/${s.project}/locations/${location}/clusters/${c.name}`,
      name: c.name,
      region: ctx.env.region,
      tags: { ...(c.resourceLabels ?? {}) },
      summary: (isAutopilot(c)
        ? `Autopilot cluster in ${location} (not supported: the console recreates Standard clusters only)`
        : `Kubernetes ${c.currentMasterVersion ?? 'unknown'} in ${location}, ${pools} node pool${pools === 1 ? '' : 's'}, ${String(c.status ?? 'unknown').toLowerCase()}`
      ).slice(0, 256),
    });
  }
  return out.sort((a, b) => a.nativeId.localeCompare(b.nativeId));
}

export function createGkeHandler(gcp: GcpContext): ResourceHandler {
  return {
    type: 'gcp.gke',
    usesLatestPoint: false,

    discover: (ctx) => discoverGkeClusters(gcp, ctx),

    foresee(item) {
      const m = item.metadata as Partial<GkeCapture>;
      const custom = new Set((m.customRoles ?? []).map((r) => r.name));
      const foreign = [...new Set((m.serviceAccounts ?? []).flatMap((a) => a.roles).filter((r) => r.startsWith('projects/') && !custom.has(r)))];
      return foreign.length ? [`GKE cluster ${m.name ?? item.resource.name}: custom role${foreign.length === 1 ? '' : 's'} ${foreign.join(', ')} of another project ${foreign.length === 1 ? 'is' : 'are'} granted only where the target project has ${foreign.length === 1 ? 'it' : 'them'}.`] : [];
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const ref = parseClusterId(resource.nativeId);
      if (!ref) throw new ProviderFailure('ValidationFailed', `"${resource.nativeId}" is not a GKE cluster name (projects/<project>/locations/<location>/clusters/<name>).`);
      const { s: src, g } = await scopes(gcp, ctx.source);
      const dst = await scopeOf(gcp, ctx.target);
      const cluster = await g.cluster(ctx, ref.location, ref.name);
      if (!cluster) throw new ProviderFailure('NotFound', `GKE cluster ${ref.name} no longer exists in ${ref.location} (project ${ref.project}); remove it from the policy or restore it.`);
      if (isAutopilot(cluster)) throw refuseAutopilot(ref.name);
      const nodePools = (cluster.nodePools ?? []).map(poolOf);
      const iam = await captureIam(src, ctx, nodePools);
      const location = ctx.target.region;
      const suffix = stepSuffix(ctx, 'point', 10);
      const disks: GkeDisk[] = [];
      for (const d of await clusterDisks(src, ctx, cluster, ref.location)) {
        const diskName = d.name ?? '';
        const snapshot = computeName(diskName.slice(0, 40), 'dr', suffix);
        ctx.progress(`Snapshotting disk ${diskName} of GKE cluster ${ref.name} into ${location}`);
        // Snapshots live in the target's project, stored in the target's region.
        await dst.mutate(ctx, `snapshot:${diskName}`, {
          action: 'compute.snapshots.insert',
          scope: { global: true },
          what: `snapshot ${snapshot} of disk ${diskName}`,
          intent: { snapshot, sourceDisk: d.selfLink ?? '', storageLocations: [location] },
          start: async (requestId) =>
            (
              await dst.c.snapshots.insert({
                project: dst.project,
                requestId,
                snapshotResource: {
                  name: snapshot,
                  sourceDisk: d.selfLink ?? '',
                  storageLocations: [location],
                  description: `Failover Console recovery point of ${resource.nativeId}`,
                  labels: { [LABEL.role]: 'replication', [LABEL.policy]: labelValue(ctx.policyId), [LABEL.source]: labelValue(diskName), [LABEL.cluster]: labelValue(ref.name) },
                },
              })
            )[0].latestResponse as compute.google.cloud.compute.v1.IOperation,
        });
        const [snap] = await dst.read(ctx, 'compute.snapshots.get', () => dst.c.snapshots.get({ project: dst.project, snapshot }));
        if (String(snap.status) !== 'READY' || !(snap.storageLocations ?? []).includes(location) || lastPart(snap.sourceDisk) !== diskName) {
          throw new ProviderFailure('ProviderError', `Snapshot ${snapshot} of disk ${diskName} is ${String(snap.status).toLowerCase()} in ${(snap.storageLocations ?? []).join(', ') || 'no location'}, not ready in ${location}; the console will retry.`);
        }
        disks.push({
          diskName,
          zone: lastPart(d.zone),
          diskLink: d.selfLink ?? '',
          sizeGb: d.sizeGb == null ? null : String(d.sizeGb),
          diskType: d.type ? lastPart(d.type) : null,
          labels: customerLabels(d.labels),
          description: d.description ?? null,
          snapshot,
          snapshotLink: snap.selfLink ?? `${COMPUTE}projects/${dst.project}/global/snapshots/${snapshot}`,
        });
      }
      const metadata: GkeCapture = {
        clusterId: `projects/${src.project}/locations/${ref.location}/clusters/${ref.name}`,
        name: ref.name,
        project: src.project,
        location: ref.location,
        regional: regionOf(ref.location) === ref.location,
        selfLink: cluster.selfLink ?? '',
        description: cluster.description || null,
        resourceLabels: customerLabels(cluster.resourceLabels),
        version: cluster.currentMasterVersion ?? null,
        releaseChannel: cluster.releaseChannel?.channel && String(cluster.releaseChannel.channel) !== 'UNSPECIFIED' ? String(cluster.releaseChannel.channel) : null,
        network: cluster.network ? { network: lastPart(cluster.network), subnetwork: cluster.subnetwork ? lastPart(cluster.subnetwork) : null } : null,
        nodePools,
        ...iam,
        disks,
        storageLocation: location,
      };
      return {
        metadata: { ...metadata },
        dataRefs: [
          { kind: 'ClusterConfiguration', id: metadata.clusterId, region: ctx.source.region },
          ...disks.map((d) => ({ kind: 'Snapshot', id: d.snapshotLink, region: location })),
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      const { s, g } = await scopes(gcp, ctx.target);
      await requireSnapshots(s, ctx, cap, `GKE cluster ${cap.name}`);
      const { location, zone } = await targetLocation(s, ctx, cap);
      const name = clusterName('drtest', cap.name.slice(0, 22), stepSuffix(ctx, 'test', 8));
      const labels = { ...cap.resourceLabels, [LABEL.role]: 'test', [LABEL.policy]: labelValue(ctx.policyId) };
      // No IAM change for a test: the nodes run as the same-named account where the target has it,
      // else as the project's default account (said as a warning).
      const accounts = new Map<string, string | null>();
      for (const p of cap.nodePools) {
        const id = p.serviceAccount ? accountIdOf(p.serviceAccount) : null;
        const email = id ? `${id.accountId}@${s.project}.iam.gserviceaccount.com` : p.serviceAccount;
        if (id && !(await getServiceAccount(s, ctx, s.project, email!))) {
          ctx.warn?.(`Node pool ${p.name} of test cluster ${name} runs as the project's default account: service account ${email} does not exist in project ${s.project}.`);
          accounts.set(p.name, null);
        } else accounts.set(p.name, email);
      }
      const { cluster } = await ensureCluster(g, ctx, 'test-cluster', location, await clusterBody(s, ctx, cap, name, labels, accounts), 'test');
      const disks = await disksFromSnapshots(s, ctx, cap, zone, (_d, i) => computeName(name, `d${i}`), { [LABEL.role]: 'test', [LABEL.policy]: labelValue(ctx.policyId), [LABEL.cluster]: name }, 'test');
      const result = compare(cap, cluster, accounts);
      result.failures.push(...(await verifyDisks(s, ctx, zone, disks)));
      report(ctx, result, cap.name, 'test failover');
      // The cluster before its disks: the reset job deletes them in the reverse order.
      return [
        { kind: 'KubernetesCluster', nativeId: `projects/${s.project}/locations/${location}/clusters/${name}`, name, region: ctx.target.region, sourceId: cap.clusterId },
        ...disks.map((d) => ({ kind: 'Disk', nativeId: `projects/${s.project}/zones/${zone}/disks/${d.name}`, name: d.name, region: ctx.target.region, sourceId: d.disk.diskLink })),
      ];
    },

    async reset(created, ctx): Promise<void> {
      const { s, g } = await scopes(gcp, ctx.target);
      if (created.kind === 'KubernetesCluster') {
        const ref = parseClusterId(created.nativeId);
        if (!ref) return;
        const cluster = await g.cluster(ctx, ref.location, ref.name);
        if (!cluster) return;
        if (cluster.resourceLabels?.[LABEL.role] !== 'test') {
          throw new ProviderFailure('PreconditionFailed', `GKE cluster ${ref.name} in ${ref.location} was not made by a test failover (no ${LABEL.role}=test label); Reset leaves it alone.`);
        }
        // A cluster busy with an operation refuses the delete: wait for it first.
        await g.settle(ctx, ref.location, cluster.selfLink ?? '', `GKE cluster ${ref.name} in ${ref.location}`);
        await g.mutate(ctx, `delete-cluster:${ref.name}`, {
          action: 'container.projects.locations.clusters.delete',
          location: ref.location,
          what: `deleting GKE cluster ${ref.name} in ${ref.location}`,
          intent: { cluster: ref.name },
          absentOk: true,
          start: async () => (await s.c.container.deleteCluster({ name: `projects/${s.project}/locations/${ref.location}/clusters/${ref.name}` }))[0],
        });
        return;
      }
      if (created.kind !== 'Disk') return;
      const m = /(?:^|\/)projects\/[^/]+\/zones\/([^/]+)\/disks\/([^/]+)$/.exec(created.nativeId);
      if (!m) return;
      const [, zone, disk] = m as unknown as [string, string, string];
      const found = (await s.lookup(ctx, 'compute.disks.get', () => s.c.disks.get({ project: s.project, zone, disk })))?.[0];
      if (!found) return;
      if (found.labels?.[LABEL.role] !== 'test') throw new ProviderFailure('PreconditionFailed', `Disk ${disk} in ${zone} was not made by a test failover (no ${LABEL.role}=test label); Reset leaves it alone.`);
      if ((found.users ?? []).length) throw new ProviderFailure('PreconditionFailed', `Test disk ${disk} in ${zone} is attached to ${(found.users ?? []).map(lastPart).join(', ')}: detach it, then reset again.`);
      await s.mutate(ctx, `delete-disk:${disk}`, {
        action: 'compute.disks.delete',
        scope: { zone },
        what: `deleting disk ${disk}`,
        intent: { disk, zone },
        absentOk: true,
        start: async (requestId) => (await s.c.disks.delete({ project: s.project, zone, disk, requestId }))[0].latestResponse as compute.google.cloud.compute.v1.IOperation,
      });
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      const { s, g } = await scopes(gcp, ctx.target);
      await requireSnapshots(s, ctx, cap, `GKE cluster ${cap.name}`);
      const { location, zone } = await targetLocation(s, ctx, cap);
      const entries: ResourceMappingEntry[] = [];

      // IAM first: the nodes run as the accounts, which hold their roles (R7: same-named reused).
      entries.push(...(await ensureCustomRoles(s, ctx, cap)));
      const emails = new Map<string, string>();
      for (const sa of cap.serviceAccounts) {
        const made = await ensureServiceAccount(s, ctx, cap, sa);
        emails.set(sa.email, made.email);
        entries.push(made.entry);
        entries.push(...(await ensureRoles(s, ctx, cap, sa, made.email)));
      }
      const accounts = new Map(cap.nodePools.map((p) => [p.name, p.serviceAccount ? (emails.get(p.serviceAccount) ?? p.serviceAccount) : null]));
      const labels = { ...cap.resourceLabels, [LABEL.role]: 'failover', [LABEL.policy]: labelValue(ctx.policyId) };
      const { cluster, reused } = await ensureCluster(g, ctx, 'failover-cluster', location, await clusterBody(s, ctx, cap, cap.name, labels, accounts), 'failover');
      // The SELECTED point's snapshots, as disks named as the source's, labelled for the new cluster.
      const disks = await disksFromSnapshots(s, ctx, cap, zone, (d) => d.diskName, { [LABEL.role]: 'failover', [LABEL.policy]: labelValue(ctx.policyId), [LABEL.cluster]: cap.name }, 'failover');

      entries.unshift({ sourceId: cap.selfLink || cap.clusterId, kind: 'KubernetesCluster', name: cap.name, targetId: cluster.selfLink ?? '', ...(reused ? { reused: true } : {}) });
      for (const p of cluster.nodePools ?? []) {
        entries.push({ sourceId: `${cap.selfLink || cap.clusterId}/nodePools/${p.name ?? ''}`, kind: 'NodePool', name: `${cap.name}/${p.name ?? ''}`, targetId: p.selfLink ?? '' });
      }
      for (const d of disks) entries.push({ sourceId: d.disk.diskLink, kind: 'Disk', name: d.name, targetId: d.link, ...(d.reused ? { reused: true } : {}) });
      ctx.progress(`Comparing GKE cluster ${cap.name} in ${location} with the recovery point`);
      const result = compare(cap, cluster, accounts);
      result.failures.push(...(await verifyDisks(s, ctx, zone, disks)));
      report(ctx, result, cap.name, 'failover');
      return entries;
    },

    // A point is a set of snapshots and a configuration taken at replication time: nothing runs
    // between points, so there is nothing to stop. The snapshots stay; production is never touched.
    stopReplication: () => Promise.resolve(),
  };
}

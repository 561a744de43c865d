// The Azure Resource Manager test peer: a loopback HTTP server speaking ARM's wire contract for the
// resource types in resource-types.ts, because no ARM emulator installs here (../../../../shared
// PEERS.md). Resource ids, PUT create-or-update idempotent by name, GET / DELETE / list with
// nextLink paging, provisioningState, long-running operations (Azure-AsyncOperation, Location,
// Retry-After), ARM error bodies, per-subscription x-ms-ratelimit-remaining-* buckets, and injectable
// 429s, errors and failed operations. Every response is recorded so a test can hold it to the
// contract table (contract.ts). No test-runner imports: vitest suites and Playwright specs share it.
//
// Operations progress when they are polled (their status URL, their Location URL or the resource
// itself), never by wall-clock time, so a test on a busy machine sees the same sequence.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ARM_TYPES, BLOB_SERVICE_DEFAULTS, armType, type ArmResource, type ArmType } from './resource-types';

export interface RecordedResponse {
  /** Logical operation (the contract table's key): 'VirtualMachines_CreateOrUpdate', 'AsyncOperation_Get', 'Error'. */
  operation: string;
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  body: unknown;
  authorization: string | undefined;
}

export interface Fault {
  /** Which requests: method (any when absent) and a test on the path (without query). */
  method?: string;
  path?: RegExp;
  status: number;
  code: string;
  message: string;
  /** Sent as Retry-After (seconds) when set. */
  retryAfter?: number;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

export interface OperationFailure {
  method?: 'PUT' | 'DELETE' | 'PATCH' | 'POST';
  path?: RegExp;
  code: string;
  message: string;
  times?: number;
}

export interface ArmPeerOptions {
  subscriptionIds?: string[];
  /** Polls an operation answers InProgress before it ends (default 1: the first poll says InProgress). */
  pollsToComplete?: number;
  /** Retry-After (seconds) on 202s and status bodies; default 0 so pollers use their own interval. */
  retryAfterSeconds?: number;
  /** Per-subscription token buckets (ARM: reads 250, writes 200, deletes 200, refilling 25/10/10 a second). */
  buckets?: Partial<Record<BucketKind, { size: number; refillPerSecond: number }>>;
  /** Items per list page before a nextLink (default 100). */
  pageSize?: number;
  /**
   * The blob data plane of a storage account, when the test world has one for it (an Azurite
   * account): its blob endpoint becomes the account's primaryEndpoints.blob and its key what listKeys
   * returns. Accounts without one get *.blob.core.windows.net endpoints and random keys.
   */
  blobDataPlane?: (accountName: string) => { endpoint: string; key: string } | undefined;
  /** The tenant Subscriptions_List reports (default: a random one). */
  tenantId?: string;
}

export interface ArmOperation {
  id: string;
  method: 'PUT' | 'DELETE' | 'PATCH' | 'POST';
  /** The POST action (`failover`), for method POST. */
  action?: string;
  resourceId: string;
  typeKey: string;
  location: string;
  apiVersion: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  polls: number;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
  failWith?: { code: string; message: string };
  namespace: string;
  /** A flexible-server PATCH that stops replication (MySQL replicationRole None, PostgreSQL replica.promoteMode Standalone): done when the operation ends. */
  promote?: boolean;
}

type BucketKind = 'reads' | 'writes' | 'deletes';

export interface ArmPeer {
  url: string;
  port: number;
  subscriptionId: string;
  readonly responses: RecordedResponse[];
  readonly requests: RecordedRequest[];
  /** The next matching request(s) get this ARM error instead of being served. */
  inject(fault: Fault): void;
  /** The next long-running operation matching ends Failed with this error. */
  failNextOperation(failure: OperationFailure): void;
  /** While held, operations stay InProgress however often they are polled. */
  hold(): void;
  release(): void;
  /** A stored resource by id (case-insensitive), as the wire shows it. */
  resource(id: string): ArmResource | undefined;
  /** Stored resources, optionally of one type ('Microsoft.Compute/disks'). */
  list(type?: string): ArmResource[];
  operations(): ArmOperation[];
  close(): Promise<void>;
}

const DEFAULT_BUCKETS: Record<BucketKind, { size: number; refillPerSecond: number }> = {
  reads: { size: 250, refillPerSecond: 25 },
  writes: { size: 200, refillPerSecond: 10 },
  deletes: { size: 200, refillPerSecond: 10 },
};

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Ctx {
  method: string;
  path: string;
  operation: string;
  headers: Record<string, string>;
}

const lower = (s: string) => s.toLowerCase();
const clone = <T>(v: T): T => structuredClone(v);

function get(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  }
}

export async function startArmPeer(options: ArmPeerOptions = {}): Promise<ArmPeer> {
  const subscriptions = new Set((options.subscriptionIds ?? [randomUUID()]).map(lower));
  const subscriptionId = [...subscriptions][0]!;
  const tenantId = options.tenantId ?? randomUUID();
  const pollsToComplete = options.pollsToComplete ?? 1;
  const retryAfter = String(options.retryAfterSeconds ?? 0);
  const pageSize = options.pageSize ?? 100;
  const bucketConfig = { ...DEFAULT_BUCKETS, ...options.buckets };

  /** Resource groups and resources, keyed by lower-case id. */
  const groups = new Map<string, ArmResource>();
  const resources = new Map<string, ArmResource>();
  const ops = new Map<string, ArmOperation>();
  const faults: Fault[] = [];
  const failures: OperationFailure[] = [];
  const buckets = new Map<string, { tokens: number; at: number }>();
  const responses: RecordedResponse[] = [];
  const requests: RecordedRequest[] = [];
  /** Storage account keys by account id: returned by listKeys only, never by a GET. */
  const accountKeys = new Map<string, string>();
  let held = false;
  let base = '';

  // ---- throttling: one token bucket per subscription and kind ----------------------------------
  function take(sub: string, kind: BucketKind): { remaining: number } {
    const cfg = bucketConfig[kind];
    const key = `${sub}:${kind}`;
    const nowMs = Date.now();
    const b = buckets.get(key) ?? { tokens: cfg.size, at: nowMs };
    b.tokens = Math.min(cfg.size, b.tokens + ((nowMs - b.at) / 1000) * cfg.refillPerSecond);
    b.at = nowMs;
    buckets.set(key, b);
    if (b.tokens < 1) {
      const wait = cfg.refillPerSecond > 0 ? Math.max(1, Math.ceil((1 - b.tokens) / cfg.refillPerSecond)) : 60;
      throw new ArmError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${kind.replace(/s$/, '')}' requests for subscription '${sub}' exceeded the limit. Please try again after '${wait}' seconds.`,
        { 'retry-after': String(wait), [`x-ms-ratelimit-remaining-subscription-${kind}`]: '0' },
      );
    }
    b.tokens -= 1;
    return { remaining: Math.floor(b.tokens) };
  }

  // ---- responses ---------------------------------------------------------------------------------
  function send(res: ServerResponse, ctx: Ctx, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const all: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': randomUUID(),
      ...ctx.headers,
      ...headers,
    };
    const text = body === undefined ? '' : JSON.stringify(body);
    if (body !== undefined) all['content-type'] = 'application/json; charset=utf-8';
    responses.push({ operation: ctx.operation, method: ctx.method, path: ctx.path, status, headers: all, body: body === undefined ? undefined : clone(body) });
    res.writeHead(status, all);
    res.end(text);
  }

  function sendError(res: ServerResponse, ctx: Ctx, err: ArmError): void {
    send(res, { ...ctx, operation: 'Error' }, err.status, { error: { code: err.code, message: err.message } }, err.headers);
  }

  // ---- ids ---------------------------------------------------------------------------------------
  const groupId = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
  function resourceId(sub: string, rg: string, type: ArmType, names: string[]): string {
    const parts = type.segments.flatMap((seg, i) => [seg, names[i]!]);
    return `${groupId(sub, rg)}/providers/${type.namespace}/${parts.join('/')}`;
  }

  function findGroup(sub: string, rg: string): ArmResource | undefined {
    return groups.get(lower(groupId(sub, rg)));
  }
  function requireGroup(sub: string, rg: string): ArmResource {
    const g = findGroup(sub, rg);
    if (!g) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    return g;
  }

  function notFound(type: ArmType, names: string[], rg: string): ArmError {
    const typeName = `${type.namespace}/${type.segments.join('/')}`;
    return new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${typeName}/${names.join('/')}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }

  function referenced(id: unknown, what: string, owner: string): ArmResource {
    const r = typeof id === 'string' ? resources.get(lower(id)) : undefined;
    if (!r) throw new ArmError(400, 'InvalidResourceReference', `Resource ${String(id)} referenced by resource ${owner} was not found as ${what}. Please make sure that the referenced resource exists, and that both resources are in the same region.`);
    return r;
  }

  // ---- operations --------------------------------------------------------------------------------
  function startOperation(method: ArmOperation['method'], id: string, type: ArmType | null, location: string, apiVersion: string, path: string, action?: string): ArmOperation {
    const idx = failures.findIndex((f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)));
    let failWith: ArmOperation['failWith'];
    if (idx >= 0) {
      const f = failures[idx]!;
      failWith = { code: f.code, message: f.message };
      f.times = (f.times ?? 1) - 1;
      if (f.times <= 0) failures.splice(idx, 1);
    }
    const op: ArmOperation = {
      id: randomUUID(),
      method,
      resourceId: id,
      typeKey: type?.key ?? 'microsoft.resources/resourcegroups',
      namespace: type?.namespace ?? 'Microsoft.Resources',
      location,
      apiVersion,
      status: 'InProgress',
      polls: 0,
      startTime: new Date().toISOString(),
      ...(failWith ? { failWith } : {}),
      ...(action ? { action } : {}),
    };
    ops.set(op.id, op);
    return op;
  }

  function inFlight(id: string): ArmOperation | undefined {
    for (const op of ops.values()) if (op.status === 'InProgress' && lower(op.resourceId) === lower(id)) return op;
    return undefined;
  }

  /** One poll of an operation (its status, its Location or its resource): ends it when due. */
  function advance(op: ArmOperation): void {
    if (op.status !== 'InProgress' || held) return;
    op.polls += 1;
    if (op.polls <= pollsToComplete) return;
    finish(op);
  }

  function finish(op: ArmOperation): void {
    op.endTime = new Date().toISOString();
    const type = ARM_TYPES.find((x) => x.key === op.typeKey);
    const key = lower(op.resourceId);
    if (op.failWith) {
      op.status = 'Failed';
      op.error = op.failWith;
      const r = resources.get(key) ?? groups.get(key);
      if (r && type?.state) r.properties[type.state.key] = op.method === 'PUT' ? type.state.failed : type.state.done;
      if (r && !type) r.properties.provisioningState = 'Succeeded';
      return;
    }
    op.status = 'Succeeded';
    if (op.method === 'DELETE') {
      if (groups.has(key)) {
        groups.delete(key);
        for (const rid of [...resources.keys()]) if (rid.startsWith(`${key}/`)) resources.delete(rid);
      } else {
        removeResource(key);
      }
      return;
    }
    const r = resources.get(key);
    if (r && type?.state) r.properties[type.state.key] = type.state.done;
    if (r && op.promote) promoteReplica(r);
    if (r && type && op.method === 'POST') runAction(op, r);
    else if (r && type && op.method === 'PUT') onCreated(r, type);
  }

  /** A long-running POST action that succeeded: what the resource provider does. */
  function runAction(op: ArmOperation, link: ArmResource): void {
    if (op.action !== 'failover' && op.action !== 'forceFailoverAllowDataLoss') return;
    // Failing over to this link's database: it becomes primary, its partner becomes the geo-secondary
    // (a no-op when it already is primary).
    if (link.properties.role === 'Primary') return;
    const dbId = link.id.replace(/\/replicationLinks\/[^/]+$/, '');
    const partnerDbId = String(link.properties.partnerDatabaseId ?? '');
    const partnerLink = resources.get(lower(`${partnerDbId}/replicationLinks/${link.name}`));
    Object.assign(link.properties, { role: 'Primary', partnerRole: 'Secondary' });
    if (partnerLink) Object.assign(partnerLink.properties, { role: 'Secondary', partnerRole: 'Primary' });
    const db = resources.get(lower(dbId));
    const partner = resources.get(lower(partnerDbId));
    if (db) delete db.properties.secondaryType;
    if (partner) partner.properties.secondaryType = 'Geo';
  }

  /** A flexible-server replica stops replicating: it becomes a standalone server and its source no longer lists it. */
  function promoteReplica(r: ArmResource): void {
    const mysql = lower(r.type).includes('mysql');
    const sourceId = r.properties.sourceServerResourceId;
    delete r.properties.sourceServerResourceId;
    if (mysql) {
      r.properties.replicationRole = 'None';
      r.properties.replicaCapacity = 10;
    } else {
      r.properties.replicationRole = 'Primary';
      r.properties.replica = { role: 'Primary', capacity: 5 };
      r.properties.replicaCapacity = 5;
    }
    if (typeof sourceId === 'string') sourceLostReplica(sourceId);
  }

  function replicasOf(sourceId: string): ArmResource[] {
    return [...resources.values()].filter(
      (x) => typeof x.properties.sourceServerResourceId === 'string' && lower(x.properties.sourceServerResourceId) === lower(sourceId) && /replica/i.test(String(x.properties.replicationRole)),
    );
  }

  /** MySQL: a source left without replicas goes back to replicationRole None (PostgreSQL stays Primary). */
  function sourceLostReplica(sourceId: string): void {
    const source = resources.get(lower(sourceId));
    if (source && lower(source.type).includes('mysql') && replicasOf(sourceId).length === 0) source.properties.replicationRole = 'None';
  }

  function removeResource(key: string): void {
    const r = resources.get(key);
    if (!r) return;
    resources.delete(key);
    for (const rid of [...resources.keys()]) if (rid.startsWith(`${key}/`)) resources.delete(rid);
    // A deleted link ends the geo-replication on both sides; both databases stay, standalone.
    if (lower(r.type) === 'microsoft.sql/servers/databases/replicationlinks') {
      const partnerDb = String(r.properties.partnerDatabaseId ?? '');
      resources.delete(lower(`${partnerDb}/replicationLinks/${r.name}`));
      for (const dbId of [key.replace(/\/replicationlinks\/[^/]+$/, ''), lower(partnerDb)]) {
        const db = resources.get(dbId);
        if (db) delete db.properties.secondaryType;
      }
    }
    // A dropped database ends its geo-replication: the partner's link goes too.
    if (lower(r.type) === 'microsoft.sql/servers/databases') {
      for (const [rid, x] of [...resources.entries()]) {
        if (lower(x.type) === 'microsoft.sql/servers/databases/replicationlinks' && lower(String(x.properties.partnerDatabaseId ?? '')) === key) resources.delete(rid);
      }
    }
    const rtype = lower(r.type);
    // A deleted agent pool leaves the cluster's agentPoolProfiles; a deleted cluster takes its node resource group.
    if (rtype === 'microsoft.containerservice/managedclusters/agentpools') {
      const parent = resources.get(key.replace(/\/agentpools\/[^/]+$/, ''));
      if (parent) parent.properties.agentPoolProfiles = ((parent.properties.agentPoolProfiles as Array<Record<string, unknown>>) ?? []).filter((x) => lower(String(x.name)) !== lower(r.name));
    }
    if (rtype === 'microsoft.containerservice/managedclusters' && typeof r.properties.nodeResourceGroup === 'string') {
      const nodeGroup = lower(groupId(r.id.split('/')[2]!, r.properties.nodeResourceGroup));
      groups.delete(nodeGroup);
      for (const rid of [...resources.keys()]) if (rid.startsWith(`${nodeGroup}/`)) resources.delete(rid);
    }
    if ((rtype === 'microsoft.dbformysql/flexibleservers' || rtype === 'microsoft.dbforpostgresql/flexibleservers') && typeof r.properties.sourceServerResourceId === 'string') {
      sourceLostReplica(r.properties.sourceServerResourceId);
    }
    // A deleted VM lets go of its disks and NICs (deleteOption Delete removes them too).
    if (lower(r.type) === 'microsoft.compute/virtualmachines') {
      const storage = (r.properties.storageProfile ?? {}) as Record<string, unknown>;
      const disks = [storage.osDisk, ...((storage.dataDisks as unknown[]) ?? [])] as Array<Record<string, unknown> | undefined>;
      for (const d of disks) {
        const diskId = get(d, 'managedDisk.id');
        const disk = typeof diskId === 'string' ? resources.get(lower(diskId)) : undefined;
        if (!disk) continue;
        if (d?.deleteOption === 'Delete') resources.delete(lower(disk.id));
        else {
          delete disk.managedBy;
          disk.properties.diskState = 'Unattached';
        }
      }
      for (const nicRef of (get(r, 'properties.networkProfile.networkInterfaces') as Array<Record<string, unknown>> | undefined) ?? []) {
        const nic = typeof nicRef.id === 'string' ? resources.get(lower(nicRef.id)) : undefined;
        if (nic) delete nic.properties.virtualMachine;
      }
    }
  }

  /** The link pair a geo-secondary gets once it is created: one under each database, the same link id. */
  function linkSecondary(secondary: ArmResource): void {
    const primary = resources.get(lower(String(secondary.properties.sourceDatabaseId ?? '')));
    if (!primary) return;
    const linkId = randomUUID();
    const startTime = new Date().toISOString();
    const serverOf = (dbId: string) => dbId.split('/')[8] ?? '';
    const link = (self: ArmResource, partner: ArmResource, role: string, partnerRole: string): ArmResource => ({
      id: `${self.id}/replicationLinks/${linkId}`,
      name: linkId,
      type: 'Microsoft.Sql/servers/databases/replicationLinks',
      properties: {
        partnerServer: serverOf(partner.id),
        partnerDatabase: partner.name,
        partnerDatabaseId: partner.id,
        partnerLocation: partner.location,
        role,
        partnerRole,
        replicationMode: 'ASYNC',
        startTime,
        percentComplete: 100,
        replicationState: 'CATCH_UP',
        isTerminationAllowed: true,
        linkType: 'GEO',
      },
    });
    for (const l of [link(secondary, primary, 'Secondary', 'Primary'), link(primary, secondary, 'Primary', 'Secondary')]) resources.set(lower(l.id), l);
  }

  /** What the resource provider does once a create succeeds: attach disks, bind NICs, link a geo-secondary. */
  function onCreated(r: ArmResource, type: ArmType): void {
    if (type.key === 'microsoft.sql/servers/databases' && r.properties.createMode === 'Secondary') {
      const hasLink = [...resources.keys()].some((k) => k.startsWith(`${lower(r.id)}/replicationlinks/`));
      if (!hasLink) linkSecondary(r);
      return;
    }
    if (type.key === 'microsoft.storage/storageaccounts') {
      // Every account has its blob service; versioning and change feed start off.
      const id = `${r.id}/blobServices/default`;
      if (!resources.has(lower(id))) {
        resources.set(lower(id), {
          id,
          name: 'default',
          type: 'Microsoft.Storage/storageAccounts/blobServices',
          sku: clone(r.sku),
          properties: clone(BLOB_SERVICE_DEFAULTS) as Record<string, unknown>,
        });
      }
      return;
    }
    if (type.key === 'microsoft.containerservice/managedclusters/agentpools') {
      const parent = resources.get(lower(r.id).replace(/\/agentpools\/[^/]+$/, ''));
      if (!parent) return;
      const profiles = ((parent.properties.agentPoolProfiles as Array<Record<string, unknown>>) ?? []).filter((x) => lower(String(x.name)) !== lower(r.name));
      parent.properties.agentPoolProfiles = [...profiles, { name: r.name, ...clone(r.properties) }];
      return;
    }
    if (type.key === 'microsoft.containerservice/managedclusters') {
      for (const pool of [...resources.values()]) if (lower(pool.id).startsWith(`${lower(r.id)}/agentpools/`)) pool.properties.provisioningState = 'Succeeded';
      return;
    }
    if (type.key !== 'microsoft.compute/virtualmachines') return;
    const storage = (r.properties.storageProfile ?? {}) as Record<string, unknown>;
    for (const d of [storage.osDisk, ...((storage.dataDisks as unknown[]) ?? [])] as Array<Record<string, unknown> | undefined>) {
      const diskId = get(d, 'managedDisk.id');
      const disk = typeof diskId === 'string' ? resources.get(lower(diskId)) : undefined;
      if (disk) {
        disk.managedBy = r.id;
        disk.properties.diskState = 'Attached';
      }
    }
    for (const nicRef of (get(r, 'properties.networkProfile.networkInterfaces') as Array<Record<string, unknown>> | undefined) ?? []) {
      const nic = typeof nicRef.id === 'string' ? resources.get(lower(nicRef.id)) : undefined;
      if (nic) nic.properties.virtualMachine = { id: r.id };
    }
  }

  function asyncHeaders(op: ArmOperation, type: ArmType | null, sub: string, withAzureAsync: boolean): Record<string, string> {
    const api = `api-version=${encodeURIComponent(op.apiVersion)}`;
    const headers: Record<string, string> = { 'retry-after': retryAfter };
    const loc = lower(op.location.replace(/\s+/g, ''));
    if (type) {
      // Compute's Location is its operation URL with monitor=true (DiskRP / ComputeRP delete examples).
      headers.location =
        type.namespace === 'Microsoft.Compute'
          ? `${base}/subscriptions/${sub}/providers/${type.namespace}/locations/${loc}/${type.statusSegment}/${op.id}?monitor=true&${api}`
          : `${base}/subscriptions/${sub}/providers/${type.namespace}/locations/${loc}/operationResults/${op.id}?${api}`;
      if (withAzureAsync) headers['azure-asyncoperation'] = `${base}/subscriptions/${sub}/providers/${type.namespace}/locations/${loc}/${type.statusSegment}/${op.id}?${api}`;
    } else {
      headers.location = `${base}/subscriptions/${sub}/operationresults/${op.id}?${api}`;
    }
    return headers;
  }

  // ---- resource shape ----------------------------------------------------------------------------
  function build(sub: string, rg: string, type: ArmType, names: string[], body: Record<string, unknown>, previous: ArmResource | undefined, group: ArmResource): ArmResource {
    const id = previous?.id ?? resourceId(sub, rg, type, names);
    const name = names[names.length - 1]!;
    const location = type.located ? String(body.location ?? (previous?.location as string | undefined) ?? '') : undefined;
    if (type.located && !body.location) {
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    }
    for (const path of type.required) {
      if (get(body, path) === undefined) throw new ArmError(400, 'InvalidParameter', `Required parameter '${path.replace(/^properties\./, '')}' is missing (null).`);
    }
    const props = clone((body.properties ?? {}) as Record<string, unknown>);
    // Secrets are write-only: the service never returns them.
    delete props.administratorLoginPassword;
    if (props.osProfile && typeof props.osProfile === 'object') delete (props.osProfile as Record<string, unknown>).adminPassword;
    if (props.windowsProfile && typeof props.windowsProfile === 'object') delete (props.windowsProfile as Record<string, unknown>).adminPassword;
    if (props.servicePrincipalProfile && typeof props.servicePrincipalProfile === 'object') delete (props.servicePrincipalProfile as Record<string, unknown>).secret;
    delete props.provisioningState;
    const ctx = { subscriptionId: sub, name, location: location || group.location, previous };
    // Read-only values fill what the request left out (a GET-modify-PUT sends them back unchanged).
    for (const [k, v] of Object.entries(type.readOnly?.(ctx) ?? {})) if (props[k] === undefined) props[k] = v;
    const r: ArmResource = { id, name, type: type.reportedType, properties: props };
    if (type.located) r.location = location!;
    if (body.tags !== undefined) r.tags = clone(body.tags as Record<string, string>);
    for (const k of type.topLevel) if (body[k] !== undefined) r[k] = clone(body[k]);
    Object.assign(r, type.readOnlyTop?.(ctx, body) ?? {});
    if (previous?.managedBy) r.managedBy = previous.managedBy;
    return r;
  }

  /** Reference checks and the properties a resource takes from what it references. */
  function relate(type: ArmType, r: ArmResource, names: string[], sub: string, rg: string, body: Record<string, unknown>): void {
    const p = r.properties;
    switch (type.key) {
      case 'microsoft.network/virtualnetworks': {
        // Inline subnets become child resources, as ARM does.
        const subnets = (p.subnets as Array<Record<string, unknown>> | undefined) ?? [];
        p.subnets = subnets.map((s) => {
          const sid = `${r.id}/subnets/${String(s.name)}`;
          const child: ArmResource = {
            id: sid,
            name: String(s.name),
            type: 'Microsoft.Network/virtualNetworks/subnets',
            properties: { ...clone((s.properties ?? {}) as Record<string, unknown>), provisioningState: 'Succeeded' },
          };
          resources.set(lower(sid), child);
          return child;
        });
        break;
      }
      case 'microsoft.network/networkinterfaces': {
        const configs = (p.ipConfigurations as Array<Record<string, unknown>>) ?? [];
        p.ipConfigurations = configs.map((c, i) => {
          const cp = clone((c.properties ?? {}) as Record<string, unknown>);
          referenced(get(cp, 'subnet.id'), 'a subnet', r.id);
          if (cp.publicIPAddress) referenced(get(cp, 'publicIPAddress.id'), 'a public IP address', r.id);
          return {
            name: String(c.name ?? `ipconfig${i + 1}`),
            id: `${r.id}/ipConfigurations/${String(c.name ?? `ipconfig${i + 1}`)}`,
            properties: { ...cp, provisioningState: 'Succeeded', privateIPAddress: cp.privateIPAddress ?? `10.0.0.${4 + i}`, privateIPAllocationMethod: cp.privateIPAllocationMethod ?? 'Dynamic', primary: i === 0, privateIPAddressVersion: 'IPv4' },
          };
        });
        if (p.networkSecurityGroup) referenced(get(p, 'networkSecurityGroup.id'), 'a network security group', r.id);
        break;
      }
      case 'microsoft.compute/virtualmachines': {
        for (const nic of (get(p, 'networkProfile.networkInterfaces') as Array<Record<string, unknown>>) ?? []) {
          const n = referenced(nic.id, 'a network interface', r.id);
          const vm = get(n, 'properties.virtualMachine.id');
          if (typeof vm === 'string' && lower(vm) !== lower(r.id)) {
            throw new ArmError(400, 'NicInUse', `Network Interface ${n.id} is used by existing resource ${vm}. In order to delete the network interface, it must be dissociated from the resource.`);
          }
        }
        const storage = p.storageProfile as Record<string, unknown>;
        const disks = [
          ['OsDisk', storage.osDisk],
          ...(((storage.dataDisks as unknown[]) ?? []).map((d, i) => [`DataDisk_${i}`, d] as const)),
        ] as Array<[string, Record<string, unknown>]>;
        for (const [label, d] of disks) {
          const managed = (d.managedDisk ?? {}) as Record<string, unknown>;
          if (d.createOption === 'Attach') {
            const disk = referenced(managed.id, 'a managed disk', r.id);
            if (disk.managedBy && lower(String(disk.managedBy)) !== lower(r.id)) {
              throw new ArmError(409, 'OperationNotAllowed', `Disk '${disk.name}' is already attached to VM '${String(disk.managedBy)}'.`);
            }
            d.name = d.name ?? disk.name;
            d.managedDisk = { ...managed, id: disk.id, storageAccountType: (get(disk, 'sku.name') as string | undefined) ?? 'Standard_LRS' };
          } else if (!managed.id) {
            // FromImage / Empty: the provider makes the disk resource in the VM's group.
            const diskName = String(d.name ?? `${names[0]}_${label}_1_${randomUUID().replace(/-/g, '').slice(0, 32)}`);
            const diskId = `${groupId(sub, rg)}/providers/Microsoft.Compute/disks/${diskName}`;
            resources.set(lower(diskId), {
              id: diskId,
              name: diskName,
              type: 'Microsoft.Compute/disks',
              location: r.location!,
              sku: { name: String(managed.storageAccountType ?? 'Standard_LRS') },
              properties: {
                creationData: { createOption: d.createOption === 'Empty' ? 'Empty' : 'FromImage' },
                diskSizeGB: (d.diskSizeGB as number | undefined) ?? 30,
                uniqueId: randomUUID(),
                timeCreated: new Date().toISOString(),
                diskState: 'Unattached',
                encryption: { type: 'EncryptionAtRestWithPlatformKey' },
                provisioningState: 'Succeeded',
                ...(label === 'OsDisk' ? { osType: d.osType ?? 'Linux' } : {}),
              },
            });
            d.name = diskName;
            d.managedDisk = { ...managed, id: diskId, storageAccountType: managed.storageAccountType ?? 'Standard_LRS' };
          }
        }
        break;
      }
      case 'microsoft.compute/disks':
      case 'microsoft.compute/snapshots': {
        const creation = p.creationData as Record<string, unknown>;
        if (['Copy', 'CopyStart', 'Restore'].includes(String(creation.createOption))) {
          const source = resources.get(lower(String(creation.sourceResourceId ?? '').replace(/^(?!\/)/, '/')));
          if (!source) throw new ArmError(404, 'NotFound', `Resource ${String(creation.sourceResourceId)} was not found.`);
          creation.sourceUniqueId = source.properties.uniqueId;
          if (creation.createOption === 'CopyStart') copyStart(type, r, p, source);
          if (type.key === 'microsoft.compute/disks' && lower(source.type) === 'microsoft.compute/snapshots' && typeof source.properties.completionPercent === 'number' && source.properties.completionPercent < 100) {
            throw new ArmError(409, 'OperationNotAllowed', `Snapshot ${source.id} is still being copied (completionPercent ${source.properties.completionPercent}); create the disk once its copy completes.`);
          }
          p.diskSizeGB = p.diskSizeGB ?? source.properties.diskSizeGB;
          p.osType = p.osType ?? source.properties.osType;
          if (type.key === 'microsoft.compute/snapshots' && lower(source.type) === 'microsoft.compute/disks' && p.incremental) {
            p.incrementalSnapshotFamilyId = source.properties.uniqueId;
          }
        }
        if (p.diskSizeGB === undefined && creation.createOption === 'Empty') {
          throw new ArmError(400, 'InvalidParameter', "Required parameter 'diskSizeGB' is missing (null).");
        }
        if (typeof p.diskSizeGB === 'number') p.diskSizeBytes = p.diskSizeGB * 1024 ** 3;
        break;
      }
      case 'microsoft.network/networksecuritygroups': {
        const withIds = (kind: string) => (rules: unknown) =>
          ((rules as Array<Record<string, unknown>>) ?? []).map((rule) => ({ ...rule, id: `${r.id}/${kind}/${String(rule.name)}`, properties: { ...((rule.properties ?? {}) as object), provisioningState: 'Succeeded' } }));
        p.securityRules = withIds('securityRules')(p.securityRules);
        p.defaultSecurityRules = withIds('defaultSecurityRules')(p.defaultSecurityRules);
        break;
      }
      case 'microsoft.containerservice/managedclusters': {
        // AKS makes the first pool of a cluster a System pool when the request names no mode for it.
        const asked = (p.agentPoolProfiles as Array<Record<string, unknown>>) ?? [];
        if (asked.length && !asked.some((x) => x.mode === 'System') && asked[0]!.mode === undefined) asked[0]!.mode = 'System';
        p.agentPoolProfiles = asked.map((pool) => ({
          ...pool,
          provisioningState: 'Succeeded',
          orchestratorVersion: pool.orchestratorVersion ?? p.kubernetesVersion,
          currentOrchestratorVersion: pool.orchestratorVersion ?? p.kubernetesVersion,
        }));
        // AKS makes the node resource group (MC_{group}_{cluster}_{location}) where the nodes and
        // persistent-volume disks live, and one agentPools child per profile.
        const before = resources.get(lower(r.id));
        p.nodeResourceGroup = p.nodeResourceGroup ?? before?.properties.nodeResourceGroup ?? `MC_${rg}_${names[0]}_${lower(String(r.location))}`;
        const nodeGroup = groupId(sub, String(p.nodeResourceGroup));
        if (!groups.has(lower(nodeGroup))) {
          groups.set(lower(nodeGroup), { id: nodeGroup, name: String(p.nodeResourceGroup), type: 'Microsoft.Resources/resourceGroups', location: String(r.location), managedBy: r.id, properties: { provisioningState: 'Succeeded' } });
        }
        for (const pool of p.agentPoolProfiles as Array<Record<string, unknown>>) {
          const { name: poolName, ...poolProps } = pool;
          const pid = `${r.id}/agentPools/${String(poolName)}`;
          resources.set(lower(pid), { id: pid, name: String(poolName), type: 'Microsoft.ContainerService/managedClusters/agentPools', properties: { osType: 'Linux', maxPods: 110, ...clone(poolProps) } });
        }
        break;
      }
      case 'microsoft.containerservice/managedclusters/agentpools': {
        const parent = resources.get(lower(r.id).replace(/\/agentpools\/[^/]+$/, ''))!;
        p.orchestratorVersion = p.orchestratorVersion || parent.properties.kubernetesVersion;
        p.currentOrchestratorVersion = p.orchestratorVersion;
        break;
      }
      case 'microsoft.sql/servers/databases': {
        if (p.createMode === 'Secondary') {
          const source = referenced(p.sourceDatabaseId, 'a source database', r.id);
          p.secondaryType = p.secondaryType ?? 'Geo';
          p.collation = source.properties.collation;
        }
        if (p.createMode === 'Copy') {
          const source = referenced(p.sourceDatabaseId, 'a source database', r.id);
          p.collation = source.properties.collation;
          // A copy keeps the source's service objective unless the request names one.
          if (!body.sku && source.sku) r.sku = clone(source.sku);
        }
        break;
      }
      case 'microsoft.storage/storageaccounts': {
        const plane = options.blobDataPlane?.(r.name);
        if (plane) (p.primaryEndpoints as Record<string, unknown>).blob = plane.endpoint;
        if (!accountKeys.has(lower(r.id))) accountKeys.set(lower(r.id), plane?.key ?? randomBytes(64).toString('base64'));
        break;
      }
      case 'microsoft.storage/storageaccounts/blobservices': {
        if (names[1] !== 'default') throw new ArmError(400, 'InvalidResourceName', `The blob service of an account is named 'default', not '${names[1]}'.`);
        const account = resources.get(lower(r.id.replace(/\/blobServices\/default$/i, '')))!;
        r.sku = clone(account.sku);
        // A blob service PUT replaces the properties; object replication keeps versioning and change feed on.
        const policies = [...resources.values()].filter((x) => lower(x.type) === 'microsoft.storage/storageaccounts/objectreplicationpolicies' && lower(x.id).startsWith(`${lower(account.id)}/`));
        if (policies.length && p.isVersioningEnabled !== true) throw new ArmError(400, 'InvalidRequestPropertyValue', "The value 'False' is not allowed for property isVersioningEnabled because Object Replication is enabled.");
        if (policies.some((x) => lower(String(x.properties.sourceAccount)) === lower(account.name)) && get(p, 'changeFeed.enabled') !== true) {
          throw new ArmError(400, 'InvalidRequestPropertyValue', "The value 'False' is not allowed for property Change Feed because Object Replication is enabled.");
        }
        break;
      }
      case 'microsoft.dbformysql/flexibleservers':
      case 'microsoft.dbforpostgresql/flexibleservers': {
        const mysql = type.key.includes('mysql');
        if (p.createMode === 'Replica') {
          const source = referenced(p.sourceServerResourceId, 'a source server', r.id);
          // PostgreSQL names a replica in another region GeoAsyncReplica (KnownReplicationRole).
          const geo = lower(String(source.location)) !== lower(String(r.location));
          p.replicationRole = mysql ? 'Replica' : geo ? 'GeoAsyncReplica' : 'AsyncReplica';
          p.version = source.properties.version;
          p.replicaCapacity = 0;
          source.properties.replicationRole = mysql ? 'Source' : 'Primary';
          if (!r.sku && source.sku) r.sku = clone(source.sku);
          if (!mysql) p.replica = { role: p.replicationRole, capacity: 0, replicationState: 'Active' };
        } else {
          p.replicationRole = p.replicationRole ?? (mysql ? 'None' : 'Primary');
          if (!mysql) p.replica = { role: p.replicationRole, capacity: 5 };
        }
        break;
      }
      case 'microsoft.storage/storageaccounts/objectreplicationpolicies': {
        // As the service requires: the policy is made on the destination first (id `default`, the
        // service picks the policy and rule ids), then on the source under that policy id with the
        // same rule ids; versioning on both accounts, change feed on the source.
        const nameOf = (ref: unknown) => String(ref ?? '').split('/').pop()!;
        const here = names[0]!;
        const srcName = nameOf(p.sourceAccount);
        const dstName = nameOf(p.destinationAccount);
        const account = (n: string) => [...resources.values()].find((x) => lower(x.type) === 'microsoft.storage/storageaccounts' && lower(x.name) === lower(n) && lower(x.id).startsWith(`/subscriptions/${sub}/`));
        const blob = (a: ArmResource) => resources.get(lower(`${a.id}/blobServices/default`))?.properties ?? {};
        const src = account(srcName);
        const dst = account(dstName);
        if (!src || !dst) throw new ArmError(404, 'ResourceNotFound', `The storage account '${!src ? srcName : dstName}' named by the object replication policy was not found.`);
        const onDestination = lower(here) === lower(dstName);
        if (!onDestination && lower(here) !== lower(srcName)) {
          throw new ArmError(400, 'InvalidRequestPropertyValue', `The account '${here}' is neither the source nor the destination of this object replication policy.`);
        }
        if (blob(src).isVersioningEnabled !== true || blob(dst).isVersioningEnabled !== true) {
          throw new ArmError(400, 'InvalidRequestPropertyValue', 'Object replication requires blob versioning on both the source and the destination account.');
        }
        if (!onDestination) {
          if (get(blob(src), 'changeFeed.enabled') !== true) throw new ArmError(400, 'InvalidRequestPropertyValue', 'Object replication requires the change feed on the source account.');
          const mirror = names[1] === 'default' ? undefined : resources.get(lower(`${dst.id}/objectReplicationPolicies/${names[1]}`));
          if (!mirror) {
            throw new ArmError(400, 'InvalidRequestPropertyValue', `Create the object replication policy on the destination account '${dstName}' first (policy id 'default'), then on the source with the policy id it returns.`);
          }
          const ruleIds = new Set(((mirror.properties.rules as Array<Record<string, unknown>>) ?? []).map((x) => String(x.ruleId)));
          for (const x of (p.rules as Array<Record<string, unknown>>) ?? []) {
            if (!x.ruleId || !ruleIds.has(String(x.ruleId))) throw new ArmError(400, 'InvalidRequestPropertyValue', `Rule ${String(x.ruleId ?? '(no id)')} is not a rule of the destination's policy ${names[1]}.`);
          }
        }
        const policyId = names[1] === 'default' ? randomUUID() : names[1]!;
        r.name = policyId;
        r.id = r.id.replace(/[^/]+$/, policyId);
        p.policyId = policyId;
        p.enabledTime = p.enabledTime ?? new Date().toISOString();
        p.rules = ((p.rules as Array<Record<string, unknown>>) ?? []).map((rule) => ({ ...rule, ruleId: rule.ruleId ?? randomUUID() }));
        break;
      }
      default:
        break;
    }
  }

  /**
   * A cross-region copy of an incremental snapshot (CopyStart, learn.microsoft.com "Copy an incremental
   * snapshot to a new region"): only a snapshot, only incremental, only to another region; the copy
   * goes on after the PUT's operation ends, shown by properties.completionPercent (100 = usable).
   */
  function copyStart(type: ArmType, r: ArmResource, p: Record<string, unknown>, source: ArmResource): void {
    if (type.key !== 'microsoft.compute/snapshots' || lower(source.type) !== 'microsoft.compute/snapshots') {
      throw new ArmError(400, 'InvalidParameter', `CopyStart copies a snapshot to a snapshot in another region; ${source.id} is not a snapshot.`);
    }
    if (p.incremental !== true || source.properties.incremental !== true) {
      throw new ArmError(400, 'InvalidParameter', 'CopyStart is supported only for incremental snapshots: set incremental to true on both snapshots.');
    }
    if (lower(String(source.location ?? '').replace(/\s+/g, '')) === lower(String(r.location ?? '').replace(/\s+/g, ''))) {
      throw new ArmError(400, 'InvalidParameter', `CopyStart copies to another region; the source snapshot is already in ${String(r.location)}.`);
    }
    p.completionPercent = 0;
  }

  /** A read of a CopyStart snapshot whose PUT finished advances its background copy (by reads, not the clock). */
  function advanceCopy(r: ArmResource): void {
    if (held || lower(r.type) !== 'microsoft.compute/snapshots' || get(r, 'properties.creationData.createOption') !== 'CopyStart') return;
    if (r.properties.provisioningState !== 'Succeeded' || typeof r.properties.completionPercent !== 'number' || r.properties.completionPercent >= 100) return;
    r.properties.completionPercent = Math.min(100, r.properties.completionPercent + 50);
  }

  // ---- handlers ----------------------------------------------------------------------------------
  function page(items: ArmResource[], url: URL, ctx: Ctx, res: ServerResponse): void {
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0') || 0;
    const sorted = [...items].sort((a, b) => a.id.localeCompare(b.id));
    const slice = sorted.slice(skip, skip + pageSize);
    const body: Record<string, unknown> = { value: slice.map(clone) };
    if (skip + pageSize < sorted.length) {
      const next = new URL(url.toString());
      next.searchParams.set('$skiptoken', String(skip + pageSize));
      body.nextLink = `${base}${next.pathname}${next.search}`;
    }
    send(res, ctx, 200, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '');
    const ctx: Ctx = { method, path, operation: 'Error', headers: {} };
    let body: unknown;
    try {
      body = await readBody(req);
    } catch (err) {
      requests.push({ method, path, apiVersion: url.searchParams.get('api-version'), body: undefined, authorization: req.headers.authorization });
      sendError(res, ctx, err as ArmError);
      return;
    }
    const apiVersion = url.searchParams.get('api-version');
    requests.push({ method, path, apiVersion, body: clone(body), authorization: req.headers.authorization });
    try {
      const auth = req.headers.authorization;
      if (!auth || !/^Bearer \S+$/.test(auth)) {
        throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing or is not a bearer token.");
      }
      if (!apiVersion) throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
      const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
      // Subscriptions_List (tenant level: the subscriptions the caller has a role in; its own bucket).
      if (seg.length === 1 && lower(seg[0]!) === 'subscriptions') {
        if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed on the subscription collection.`);
        ctx.operation = 'Subscriptions_List';
        ctx.headers['x-ms-ratelimit-remaining-tenant-reads'] = String(take('tenant', 'reads').remaining);
        const value = [...subscriptions].map((id) => ({
          id: `/subscriptions/${id}`,
          subscriptionId: id,
          tenantId: tenantId,
          displayName: `Peer subscription ${id.slice(0, 8)}`,
          state: 'Enabled',
          subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
          authorizationSource: 'RoleBased',
        }));
        return send(res, ctx, 200, { value });
      }
      if (lower(seg[0] ?? '') !== 'subscriptions' || !seg[1]) throw new ArmError(404, 'InvalidResourceType', `The resource path '${path}' is not an ARM path this peer serves.`);
      const sub = lower(seg[1]);
      if (!subscriptions.has(sub)) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${seg[1]}' could not be found.`);

      const fi = faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)));
      if (fi >= 0) {
        const f = faults[fi]!;
        f.times = (f.times ?? 1) - 1;
        if (f.times <= 0) faults.splice(fi, 1);
        throw new ArmError(f.status, f.code, f.message, f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {});
      }
      // ARM counts POST actions (listKeys, failover) as writes.
      const kind: BucketKind = method === 'GET' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
      const { remaining } = take(sub, kind);
      ctx.headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(remaining);

      route(seg, sub, method, body, url, apiVersion, ctx, res);
    } catch (err) {
      if (err instanceof ArmError) {
        sendError(res, ctx, err);
        return;
      }
      sendError(res, ctx, new ArmError(500, 'InternalServerError', `The peer failed: ${(err as Error).message}`));
    }
  }

  function route(seg: string[], sub: string, method: string, body: unknown, url: URL, apiVersion: string, ctx: Ctx, res: ServerResponse): void {
    const s = seg.map(lower);
    // Subscription-level operation status and results.
    if (s[2] === 'providers' && s[4] === 'locations' && seg.length === 8) {
      const op = ops.get(seg[7]!);
      const type = ARM_TYPES.find((x) => lower(x.namespace) === s[3]);
      if (!op || !type || lower(op.namespace) !== s[3]) throw new ArmError(404, 'NotFound', `The operation '${seg[7]}' could not be found.`);
      if (s[6] === 'operationresults' || url.searchParams.get('monitor') === 'true') return locationPoll(op, sub, ctx, res);
      if (s[6] === lower(type.statusSegment) || ARM_TYPES.some((x) => lower(x.statusSegment) === s[6] && lower(x.namespace) === s[3])) {
        if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', 'Operation status is read with GET.');
        ctx.operation = 'AsyncOperation_Get';
        advance(op);
        const statusBody: Record<string, unknown> = { id: `/subscriptions/${sub}/providers/${type.namespace}/locations/${seg[5]}/${seg[6]}/${op.id}`, name: op.id, status: op.status, startTime: op.startTime };
        if (op.endTime) statusBody.endTime = op.endTime;
        if (op.error) statusBody.error = op.error;
        if (op.status === 'Succeeded') statusBody.percentComplete = 100;
        return send(res, ctx, 200, statusBody, op.status === 'InProgress' ? { 'retry-after': retryAfter } : {});
      }
    }
    if (s[2] === 'operationresults' && seg.length === 4) {
      const op = ops.get(seg[3]!);
      if (!op) throw new ArmError(404, 'NotFound', `The operation '${seg[3]}' could not be found.`);
      return locationPoll(op, sub, ctx, res);
    }
    // Resource groups.
    if (s[2] === 'resourcegroups' && seg.length === 3) {
      if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed on the resource group collection.`);
      ctx.operation = 'ResourceGroups_List';
      return page([...groups.values()].filter((g) => lower(g.id).startsWith(`/subscriptions/${sub}/`)), url, ctx, res);
    }
    if (s[2] === 'resourcegroups' && seg.length === 4) return resourceGroup(seg[3]!, sub, method, body, apiVersion, ctx, res);
    // Subscription-wide list of one type.
    if (s[2] === 'providers' && seg.length === 5) {
      const type = armType(seg[3]!, [seg[4]!]);
      if (!type) throw new ArmError(400, 'InvalidResourceType', `The resource type '${seg[4]}' could not be found in the namespace '${seg[3]}'.`);
      ctx.operation = `${type.operationGroup}_ListBySubscription`;
      return page(
        [...resources.values()].filter((r) => lower(r.type) === lower(type.reportedType) && lower(r.id).startsWith(`/subscriptions/${sub}/`)),
        url,
        ctx,
        res,
      );
    }
    // Resources under a group: .../resourceGroups/{rg}/providers/{ns}/{t1}[/{n1}[/{t2}[/{n2}]]]
    if (s[2] === 'resourcegroups' && s[4] === 'providers' && seg.length >= 7) {
      const rg = seg[3]!;
      const ns = seg[5]!;
      let rest = seg.slice(6);
      // A POST action names one resource and adds a verb: .../replicationLinks/{id}/failover, .../{account}/listKeys.
      const action = method === 'POST' && rest.length % 2 === 1 ? rest.at(-1)! : undefined;
      if (action) rest = rest.slice(0, -1);
      const typeSegs = rest.filter((_, i) => i % 2 === 0);
      const names = rest.filter((_, i) => i % 2 === 1);
      const server = typeSegs.length === 2 && lower(typeSegs[1]!) === 'replicas' && names.length === 1 ? armType(ns, [typeSegs[0]!]) : undefined;
      if (server?.patch === 'async-202-empty') {
        requireGroup(sub, rg);
        if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed on a server's replicas.`);
        return listReplicas(server, rg, names[0]!, sub, url, ctx, res);
      }
      const type = armType(ns, typeSegs);
      if (!type) throw new ArmError(400, 'InvalidResourceType', `The resource type '${typeSegs.join('/')}' could not be found in the namespace '${ns}' for api version '${apiVersion}'.`);
      const group = requireGroup(sub, rg);
      if (names.length === typeSegs.length - 1) {
        if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed on a collection.`);
        ctx.operation = `${type.operationGroup}_List`;
        const prefix = names.length === 0 ? lower(`${groupId(sub, rg)}/providers/${ns}/`) : lower(`${resourceId(sub, rg, { ...type, segments: type.segments.slice(0, -1) }, names)}/`);
        if (names.length > 0 && !resources.has(prefix.slice(0, -1))) throw notFound({ ...type, segments: type.segments.slice(0, -1) }, names, rg);
        return page(
          [...resources.values()].filter((r) => lower(r.type) === lower(type.reportedType) && lower(r.id).startsWith(prefix) && r.id.split('/').length === prefix.split('/').length + 1),
          url,
          ctx,
          res,
        );
      }
      if (action && names.length === typeSegs.length) return postAction(type, group, rg, names, sub, action, apiVersion, ctx, res);
      if (names.length === typeSegs.length) return resource(type, group, rg, names, sub, method, body, apiVersion, ctx, res);
    }
    throw new ArmError(404, 'InvalidResourceType', `The resource path '${ctx.path}' is not an ARM path this peer serves.`);
  }

  function locationPoll(op: ArmOperation, sub: string, ctx: Ctx, res: ServerResponse): void {
    ctx.operation = 'OperationResult_Get';
    advance(op);
    if (op.status === 'InProgress') {
      const type = ARM_TYPES.find((x) => x.key === op.typeKey) ?? null;
      const headers = asyncHeaders(op, type, sub, false);
      return send(res, ctx, 202, undefined, { location: headers.location!, 'retry-after': retryAfter });
    }
    if (op.status === 'Failed') throw new ArmError(400, op.error!.code, op.error!.message);
    // ARM RPC: the finished delete's Location answers 200 (or 204); the RPs here document 200.
    if (op.method === 'DELETE') return send(res, ctx, 200);
    const r = resources.get(lower(op.resourceId));
    const type = ARM_TYPES.find((x) => x.key === op.typeKey);
    if (r && type) ctx.operation = `${type.operationGroup}_Get`;
    return r ? send(res, ctx, 200, clone(r)) : send(res, ctx, 204);
  }

  function resourceGroup(rg: string, sub: string, method: string, body: unknown, apiVersion: string, ctx: Ctx, res: ServerResponse): void {
    const key = lower(groupId(sub, rg));
    const existing = groups.get(key);
    if (method === 'GET' || method === 'HEAD') {
      ctx.operation = 'ResourceGroups_Get';
      if (!existing) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
      const op = inFlight(existing.id);
      if (op) advance(op);
      const now = groups.get(key);
      if (!now) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
      return send(res, ctx, 200, clone(now));
    }
    if (method === 'PUT') {
      ctx.operation = 'ResourceGroups_CreateOrUpdate';
      const b = (body ?? {}) as Record<string, unknown>;
      if (!b.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      if (!/^[-\w.()]{0,89}[-\w()]$/.test(rg)) throw new ArmError(400, 'InvalidResourceGroupName', `The resource group name '${rg}' is invalid.`);
      if (existing && inFlight(existing.id)) throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${rg}' is in deprovisioning state and cannot perform this operation.`);
      if (existing && lower(String(existing.location)) !== lower(String(b.location))) {
        throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${String(b.location)}'. The Resource group already exists in location '${String(existing.location)}'.`);
      }
      const g: ArmResource = {
        id: existing?.id ?? groupId(sub, rg),
        name: existing?.name ?? rg,
        type: 'Microsoft.Resources/resourceGroups',
        location: String(b.location),
        properties: { provisioningState: 'Succeeded' },
        ...(b.tags !== undefined ? { tags: clone(b.tags as Record<string, string>) } : {}),
        ...(b.managedBy !== undefined ? { managedBy: b.managedBy } : {}),
      };
      groups.set(key, g);
      return send(res, ctx, existing ? 200 : 201, clone(g));
    }
    if (method === 'DELETE') {
      ctx.operation = 'ResourceGroups_Delete';
      if (!existing) return send(res, ctx, 204);
      const running = inFlight(existing.id);
      const op = running ?? startOperation('DELETE', existing.id, null, String(existing.location), apiVersion, ctx.path);
      existing.properties.provisioningState = 'Deleting';
      return send(res, ctx, 202, undefined, asyncHeaders(op, null, sub, false));
    }
    throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed on a resource group.`);
  }

  function resource(type: ArmType, group: ArmResource, rg: string, names: string[], sub: string, method: string, body: unknown, apiVersion: string, ctx: Ctx, res: ServerResponse): void {
    const id = resourceId(sub, rg, type, names);
    const key = lower(id);
    const existing = resources.get(key);
    if (method === 'GET') {
      ctx.operation = `${type.operationGroup}_Get`;
      if (!existing) throw notFound(type, names, rg);
      const op = inFlight(existing.id);
      if (op) advance(op);
      const now = resources.get(key);
      if (!now) throw notFound(type, names, rg);
      advanceCopy(now);
      return send(res, ctx, 200, clone(now));
    }
    if (type.providerOwned && (method === 'PUT' || method === 'PATCH')) {
      throw new ArmError(405, 'MethodNotAllowed', `${method} is not served by this peer for ${type.reportedType}: the resource provider makes and removes them.`);
    }
    if (method === 'PATCH') {
      if (!type.patch) throw new ArmError(405, 'MethodNotAllowed', `PATCH is not served by this peer for ${type.reportedType}.`);
      // AKS (tags only) and the flexible servers (stopping replication) follow their own rules (patch);
      // the others merge what the body carries (patchResource).
      if (type.patch === 'sync-tags' || type.key.endsWith('/flexibleservers')) return patch(type, existing, rg, names, sub, body, apiVersion, ctx, res);
      if (!existing) throw notFound(type, names, rg);
      return patchResource(type, existing, (body ?? {}) as Record<string, unknown>, apiVersion, sub, ctx, res);
    }
    if (method === 'PUT') {
      ctx.operation = `${type.operationGroup}_CreateOrUpdate`;
      if (group.properties.provisioningState === 'Deleting') throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${rg}' is in deprovisioning state and cannot perform this operation.`);
      if (names.length > 1) {
        const parentId = resourceId(sub, rg, { ...type, segments: type.segments.slice(0, -1) }, names.slice(0, -1));
        if (!resources.has(lower(parentId))) {
          throw new ArmError(404, 'ParentResourceNotFound', `Failed to perform 'write' on resource(s) of type '${type.segments.join('/')}', because the parent resource '${parentId}' could not be found.`);
        }
      }
      const running = existing ? inFlight(existing.id) : undefined;
      if (running?.method === 'DELETE') throw new ArmError(409, 'OperationNotAllowed', `The resource '${existing!.name}' is being deleted; it cannot be updated until the delete completes.`);
      if (running && type.namespace === 'Microsoft.Network') {
        throw new ArmError(429, 'AnotherOperationInProgress', `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${asyncHeaders(running, type, sub, true)['azure-asyncoperation']}.`, { 'retry-after': retryAfter });
      }
      const b = (body ?? {}) as Record<string, unknown>;
      const r = build(sub, rg, type, names, b, existing, group);
      relate(type, r, names, sub, rg, b);
      const finalKey = lower(r.id);
      const created = !resources.has(finalKey);
      if (type.put === 'sync') {
        resources.set(finalKey, r);
        return send(res, ctx, created ? (type.createdStatus ?? 201) : 200, clone(r));
      }
      if (type.state) r.properties[type.state.key] = created ? type.state.creating : type.state.updating;
      resources.set(finalKey, r);
      const op = running ?? startOperation('PUT', r.id, type, String(r.location ?? group.location), apiVersion, ctx.path);
      switch (type.put) {
        case 'async-body':
          return send(res, ctx, created ? 201 : 200, clone(r), { 'azure-asyncoperation': asyncHeaders(op, type, sub, true)['azure-asyncoperation']!, 'retry-after': retryAfter });
        case 'async-202-body':
          return send(res, ctx, 202, clone(r), asyncHeaders(op, type, sub, true));
        case 'async-202-empty':
          return send(res, ctx, 202, undefined, asyncHeaders(op, type, sub, !type.locationOnly));
      }
    }
    if (method === 'DELETE') {
      ctx.operation = `${type.operationGroup}_Delete`;
      if (!existing) return send(res, ctx, 204);
      checkDeletable(type, existing);
      if (type.del === 'sync') {
        removeResource(key);
        return send(res, ctx, 200);
      }
      const running = inFlight(existing.id);
      if (running && running.method !== 'DELETE') throw new ArmError(409, 'OperationNotAllowed', `The resource '${existing.name}' has an operation in progress; delete it once that completes.`);
      const op = running ?? startOperation('DELETE', existing.id, type, String(existing.location ?? group.location), apiVersion, ctx.path);
      if (type.state) existing.properties[type.state.key] = type.state.deleting;
      return send(res, ctx, 202, undefined, asyncHeaders(op, type, sub, true));
    }
    throw new ArmError(405, 'MethodNotAllowed', `${method} is not served by this peer for ${type.reportedType}.`);
  }

  function postAction(type: ArmType, group: ArmResource, rg: string, names: string[], sub: string, action: string, apiVersion: string, ctx: Ctx, res: ServerResponse): void {
    const spec = Object.entries(type.actions ?? {}).find(([k]) => lower(k) === lower(action));
    if (!spec) throw new ArmError(404, 'InvalidResourceType', `The action '${action}' is not served by this peer for ${type.reportedType}.`);
    const [verb, { style, operation }] = spec;
    ctx.operation = operation;
    const r = resources.get(lower(resourceId(sub, rg, type, names)));
    if (!r) throw notFound(type, names, rg);
    if (style === 'sync') {
      if (verb === 'listKeys') {
        const key = accountKeys.get(lower(r.id)) ?? '';
        const second = createHash('sha256').update(`${key}:key2`).digest('base64');
        return send(res, ctx, 200, { keys: [{ keyName: 'key1', value: key, permissions: 'Full' }, { keyName: 'key2', value: second, permissions: 'Full' }] });
      }
      throw new ArmError(404, 'InvalidResourceType', `The action '${action}' is not served by this peer.`);
    }
    const running = inFlight(r.id);
    if (running) throw new ArmError(409, 'Conflict', `An operation on '${r.name}' is in progress; retry once it completes.`);
    const parent = resources.get(lower(r.id.split('/').slice(0, -2).join('/')));
    const op = startOperation('POST', r.id, type, String(r.location ?? parent?.location ?? group.location), apiVersion, ctx.path, verb);
    return send(res, ctx, 202, undefined, asyncHeaders(op, type, sub, true));
  }

  /** PATCH: only the keys sent change; tags replace the tags when sent; objects merge. */
  function patchResource(type: ArmType, existing: ArmResource, body: Record<string, unknown>, apiVersion: string, sub: string, ctx: Ctx, res: ServerResponse): void {
    ctx.operation = `${type.operationGroup}_Update`;
    if (inFlight(existing.id)) throw new ArmError(409, 'Conflict', `An operation on '${existing.name}' is in progress; retry once it completes.`);
    const merge = (into: Record<string, unknown>, from: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(from)) {
        if (v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object' && !Array.isArray(into[k])) merge(into[k] as Record<string, unknown>, v as Record<string, unknown>);
        else into[k] = clone(v);
      }
    };
    const props = clone((body.properties ?? {}) as Record<string, unknown>);
    delete props.provisioningState;
    delete props.administratorLoginPassword;
    merge(existing.properties, props);
    if (body.tags !== undefined) existing.tags = clone(body.tags as Record<string, string>);
    for (const k of type.topLevel) {
      if (body[k] === undefined) continue;
      if (existing[k] && typeof existing[k] === 'object' && typeof body[k] === 'object') merge(existing[k] as Record<string, unknown>, body[k] as Record<string, unknown>);
      else existing[k] = clone(body[k]);
    }
    if (type.patch === 'sync') return send(res, ctx, 200, clone(existing));
    if (type.state) existing.properties[type.state.key] = type.state.updating;
    const op = startOperation('PATCH', existing.id, type, String(existing.location ?? ''), apiVersion, ctx.path);
    return send(res, ctx, 202, undefined, asyncHeaders(op, type, sub, true));
  }

  /**
   * PATCH: AKS takes tags only (ManagedClusters_UpdateTags, 200 with the cluster). A flexible server
   * merges what the body carries (sku, tags, storage, backup, high availability...) and answers 202
   * with both headers; stopping replication (MySQL replicationRole None, PostgreSQL
   * replica.promoteMode Standalone) happens when that operation ends.
   */
  function patch(type: ArmType, existing: ArmResource | undefined, rg: string, names: string[], sub: string, body: unknown, apiVersion: string, ctx: Ctx, res: ServerResponse): void {
    ctx.operation = type.patch === 'sync-tags' ? `${type.operationGroup}_UpdateTags` : `${type.operationGroup}_Update`;
    if (!existing) throw notFound(type, names, rg);
    const running = inFlight(existing.id);
    if (running) throw new ArmError(409, 'OperationNotAllowed', `The server '${existing.name}' has an operation in progress; update it once that completes.`);
    const b = (body ?? {}) as Record<string, unknown>;
    if (b.tags !== undefined && (b.tags === null || typeof b.tags !== 'object')) throw new ArmError(400, 'InvalidParameter', "The value of parameter 'tags' is invalid.");
    if (type.patch === 'sync-tags') {
      if (b.tags !== undefined) existing.tags = clone(b.tags as Record<string, string>);
      return send(res, ctx, 200, clone(existing));
    }
    const mysql = type.key.includes('mysql');
    const props = clone((b.properties ?? {}) as Record<string, unknown>);
    delete props.administratorLoginPassword;
    let promote = false;
    if (mysql && props.replicationRole !== undefined) {
      if (props.replicationRole !== 'None') throw new ArmError(400, 'InvalidParameter', `replicationRole can only be updated to 'None' (stop replication), not '${String(props.replicationRole)}'.`);
      promote = existing.properties.replicationRole === 'Replica';
      delete props.replicationRole;
    }
    if (!mysql && props.replica !== undefined) {
      const replica = props.replica as Record<string, unknown>;
      if (replica.promoteMode !== undefined && replica.promoteMode !== 'Standalone') throw new ArmError(400, 'InvalidParameter', `promoteMode '${String(replica.promoteMode)}' is not served by this peer (Standalone is).`);
      if (replica.promoteOption !== undefined && !['Planned', 'Forced'].includes(String(replica.promoteOption))) throw new ArmError(400, 'InvalidParameter', `promoteOption '${String(replica.promoteOption)}' is not Planned or Forced.`);
      promote = replica.promoteMode === 'Standalone' && /replica/i.test(String(existing.properties.replicationRole));
      delete props.replica;
    }
    delete props.replicationRole;
    delete props.createMode;
    // Nested settings merge one level down (storage, backup, highAvailability...), as the RP applies a partial body.
    for (const [k, v] of Object.entries(props)) {
      const cur = existing.properties[k];
      existing.properties[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' ? { ...(cur as object), ...(v as object) } : v;
    }
    if (b.sku !== undefined) existing.sku = { ...((existing.sku as object | undefined) ?? {}), ...(b.sku as object) };
    if (b.tags !== undefined) existing.tags = clone(b.tags as Record<string, string>);
    if (type.state) existing.properties[type.state.key] = type.state.updating;
    const op = startOperation('PATCH', existing.id, type, String(existing.location), apiVersion, ctx.path);
    if (promote) op.promote = true;
    return send(res, ctx, 202, undefined, asyncHeaders(op, type, sub, true));
  }

  /** GET .../flexibleServers/{s}/replicas: the servers replicating from this one (Replicas_ListByServer). */
  function listReplicas(type: ArmType, rg: string, name: string, sub: string, url: URL, ctx: Ctx, res: ServerResponse): void {
    ctx.operation = `${type.operationGroup}_ListReplicas`;
    const id = resourceId(sub, rg, type, [name]);
    if (!resources.has(lower(id))) throw notFound(type, [name], rg);
    return page(replicasOf(id), url, ctx, res);
  }

  function checkDeletable(type: ArmType, r: ArmResource): void {
    if (type.key === 'microsoft.containerservice/managedclusters/agentpools' && r.properties.mode === 'System') {
      const siblings = [...resources.values()].filter((x) => lower(x.type) === type.key && lower(x.id) !== lower(r.id) && lower(x.id).startsWith(lower(r.id).replace(/[^/]+$/, '')));
      if (!siblings.some((x) => x.properties.mode === 'System')) {
        throw new ArmError(400, 'OperationNotAllowed', `Agent pool '${r.name}' is the cluster's last System pool; a cluster needs at least one System agent pool.`);
      }
    }
    if (type.key === 'microsoft.compute/disks' && r.managedBy) {
      throw new ArmError(409, 'OperationNotAllowed', `Disk ${r.name} is attached to VM ${String(r.managedBy)}.`);
    }
    if (type.key === 'microsoft.network/networkinterfaces' && r.properties.virtualMachine) {
      throw new ArmError(400, 'NicInUse', `Network Interface ${r.id} is used by existing resource ${String(get(r, 'properties.virtualMachine.id'))}. In order to delete the network interface, it must be dissociated from the resource.`);
    }
    const usedBy = (what: string) =>
      [...resources.values()].find(
        (x) => lower(x.type) === 'microsoft.network/networkinterfaces' && ((x.properties.ipConfigurations as Array<Record<string, unknown>>) ?? []).some((c) => lower(String(get(c, what) ?? '')) === lower(r.id)),
      );
    if (type.key === 'microsoft.network/virtualnetworks/subnets') {
      const nic = usedBy('properties.subnet.id');
      if (nic) throw new ArmError(400, 'InUseSubnetCannotBeDeleted', `Subnet ${r.name} is in use by ${nic.id}/ipConfigurations and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`);
    }
    if (type.key === 'microsoft.network/publicipaddresses') {
      const nic = usedBy('properties.publicIPAddress.id');
      if (nic) throw new ArmError(400, 'PublicIPAddressInUse', `Public IP address ${r.id} can not be deleted since it is still allocated to resource ${nic.id}/ipConfigurations.`);
    }
    if (type.key === 'microsoft.network/virtualnetworks') {
      const inside = `${lower(r.id)}/subnets/`;
      const nic = [...resources.values()].find(
        (x) => lower(x.type) === 'microsoft.network/networkinterfaces' && ((x.properties.ipConfigurations as Array<Record<string, unknown>>) ?? []).some((c) => lower(String(get(c, 'properties.subnet.id') ?? '')).startsWith(inside)),
      );
      if (nic) throw new ArmError(400, 'InUseSubnetCannotBeDeleted', `A subnet of virtual network ${r.name} is in use by ${nic.id}/ipConfigurations and cannot be deleted.`);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    port,
    subscriptionId,
    responses,
    requests,
    inject: (fault) => void faults.push({ ...fault }),
    failNextOperation: (failure) => void failures.push({ ...failure }),
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
    },
    resource: (id) => {
      const r = resources.get(lower(id)) ?? groups.get(lower(id));
      return r ? clone(r) : undefined;
    },
    list: (type) => [...resources.values()].filter((r) => !type || lower(r.type) === lower(type)).map(clone),
    operations: () => [...ops.values()].map(clone),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

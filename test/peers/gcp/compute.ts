// Compute Engine v1 for the GCP peer: instances, disks (also from a snapshot), snapshots with
// storageLocations, networks, subnetworks, machine types, zones and the zone / region / global
// operations. Mutations answer an Operation (PENDING), carry `requestId` deduplication (the same
// requestId returns the same operation, as Compute does for about an hour) and take effect at DONE.

import { createHash } from 'node:crypto';
import { GoogleApiError, alreadyExists, invalid, notFound } from './errors';
import type { Handler, HandlerContext, PeerOperation, PeerState } from './server';

export const COMPUTE_BASE = 'https://www.googleapis.com/compute/v1/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = Record<string, unknown>;

const MACHINE_TYPES: Record<string, { guestCpus: number; memoryMb: number; isSharedCpu?: boolean }> = {
  'e2-micro': { guestCpus: 2, memoryMb: 1024, isSharedCpu: true },
  'e2-medium': { guestCpus: 2, memoryMb: 4096, isSharedCpu: true },
  'e2-standard-2': { guestCpus: 2, memoryMb: 8192 },
  'e2-standard-4': { guestCpus: 4, memoryMb: 16384 },
  'n2-standard-4': { guestCpus: 4, memoryMb: 16384 },
};

const regionOf = (zone: string): string => zone.replace(/-[a-z]$/, '');
const multiRegionOf = (region: string): string => (region.startsWith('europe') ? 'eu' : region.startsWith('asia') ? 'asia' : 'us');

/** `projects/p/zones/z/disks/d` from a full URL, a relative name or a partial `zones/z/disks/d`. */
export function relativeName(ref: string, project: string): string {
  const r = ref.replace(/^https:\/\/(www\.googleapis\.com|compute\.googleapis\.com)\/compute\/(v1|beta)\//, '');
  return r.startsWith('projects/') ? r : `projects/${project}/${r}`;
}

const link = (name: string): string => COMPUTE_BASE + name;

function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('base64').slice(0, 11) + '=';
}

function get(peer: PeerState, name: string): Json {
  const r = peer.store.get(name);
  if (!r) throw notFound(name);
  return r;
}

/** The body of a list, with the simple `field = "value"` / `!=` filters the adapter needs. */
function list(peer: PeerState, ctx: HandlerContext, prefix: string, kind: string): Json {
  const filter = ctx.query.get('filter');
  let items = [...peer.store.entries()].filter(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map(([, v]) => v);
  if (filter) {
    const m = /^\s*\(?\s*([\w.-]+)\s*(=|!=|eq|ne)\s*"?([^"()]*?)"?\s*\)?\s*$/.exec(filter);
    if (!m) throw invalid(`Invalid value for field 'filter': '${filter}'. The peer supports one field = "value" term.`);
    const [, field, op, value] = m;
    items = items.filter((it) => {
      const v = field!.split('.').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], it);
      const eq = String(v) === value;
      return op === '=' || op === 'eq' ? eq : !eq;
    });
  }
  const out: Json = { kind, id: prefix.replace(/\/$/, ''), selfLink: link(prefix.replace(/\/$/, '')) };
  const { page, next } = paginate(items, ctx.query, 'maxResults', 500);
  if (page.length > 0) out.items = page;
  if (next) out.nextPageToken = next;
  return out;
}

/**
 * One page of a list: `maxResults` (Compute, Cloud SQL) or `pageSize` (IAM, Storage Transfer) items
 * from the offset a `pageToken` names. The token is opaque to clients; here it is the offset.
 */
export function paginate<T>(items: T[], query: URLSearchParams, sizeParam: string, max: number): { page: T[]; next?: string } {
  const size = Math.min(Number(query.get(sizeParam) ?? max) || max, max);
  const token = query.get('pageToken');
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^offset:/, '')) : 0;
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw invalid(`Invalid value for field 'pageToken': '${token}'.`);
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(`offset:${start + size}`).toString('base64url') : undefined;
  return { page, next };
}

/**
 * Compute's aggregated list: one entry per zone (`zones/<zone>`), with the zone's items under `key`
 * or, for an empty zone, the NO_RESULTS_ON_PAGE warning Compute sends instead.
 */
function aggregated(collection: string, key: string, kind: string): Handler {
  return (ctx) => {
    const { peer } = ctx;
    const project = ctx.params.project!;
    peer.checkProject(project);
    const items: Json = {};
    for (const zone of peer.zones) {
      const scoped = list(peer, ctx, `projects/${project}/zones/${zone}/${collection}/`, '').items as Json[] | undefined;
      items[`zones/${zone}`] = scoped
        ? { [key]: scoped }
        : { warning: { code: 'NO_RESULTS_ON_PAGE', message: 'There are no results for scope \'zones/' + zone + '\' on this page.', data: [{ key: 'scope', value: `zones/${zone}` }] } };
    }
    return { kind, id: `projects/${project}/aggregated/${collection}`, items, selfLink: link(`projects/${project}/aggregated/${collection}`) };
  };
}

type Scope = { zone: string } | { region: string } | { global: true };

function scopePath(project: string, scope: Scope): string {
  if ('zone' in scope) return `projects/${project}/zones/${scope.zone}`;
  if ('region' in scope) return `projects/${project}/regions/${scope.region}`;
  return `projects/${project}/global`;
}

/**
 * Starts (or, for a known requestId, finds) a Compute operation. `start` runs at once (the resource
 * appears in its transitional state); `finish` runs at DONE.
 */
function operate(
  ctx: HandlerContext,
  scope: Scope,
  operationType: string,
  target: string,
  start: () => { targetId: string; finish: () => void; rollback?: () => void },
): Json {
  const { peer } = ctx;
  const project = ctx.params.project!;
  peer.checkProject(project);
  const requestId = ctx.query.get('requestId');
  if (requestId !== null) {
    if (!UUID.test(requestId) || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(requestId)) {
      throw invalid(`Invalid value for field 'requestId': '${requestId}'. The request ID must be a valid UUID (the zero UUID is not supported).`);
    }
    const seen = peer.requestIds.get(`${project}/${requestId}`);
    if (seen) return peer.operations.get(seen)!.wire;
  }
  const { targetId, finish, rollback } = start();
  const name = `operation-${Date.now()}-${ctx.peer.nextId().slice(-8)}-${ctx.peer.nextId().slice(-8)}`;
  const opPath = `${scopePath(project, scope)}/operations/${name}`;
  const wire: Json = {
    kind: 'compute#operation',
    id: peer.nextId(),
    name,
    operationType,
    targetLink: link(target),
    targetId,
    status: 'PENDING',
    user: `failover-console@${project}.iam.gserviceaccount.com`,
    progress: 0,
    insertTime: peer.now(),
    selfLink: link(opPath),
  };
  if ('zone' in scope) wire.zone = link(`projects/${project}/zones/${scope.zone}`);
  if ('region' in scope) wire.region = link(`projects/${project}/regions/${scope.region}`);
  const op: PeerOperation = peer.startOperation({ service: 'compute', name, wire, finish, rollback }, ctx.method.id);
  peer.store.set(`compute-op:${opPath}`, wire);
  if (requestId !== null) peer.requestIds.set(`${project}/${requestId}`, op.name);
  return wire;
}

function checkZone(peer: PeerState, zone: string): void {
  if (!peer.zones.includes(zone)) throw invalid(`Invalid value for field 'zone': '${zone}'. Unknown zone.`);
}

function checkRegion(peer: PeerState, region: string): void {
  if (!peer.regions.includes(region)) throw invalid(`Invalid value for field 'region': '${region}'. Unknown region.`);
}

function requireName(body: Json, field = 'resource.name'): string {
  const name = body.name;
  if (typeof name !== 'string' || !/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw invalid(`Invalid value for field '${field}': '${String(name ?? '')}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
  }
  return name;
}

function createDisk(peer: PeerState, project: string, zone: string, spec: Json, fieldPrefix: string): { name: string; disk: Json } {
  const name = requireName(spec, `${fieldPrefix}.name`);
  const relName = `projects/${project}/zones/${zone}/disks/${name}`;
  if (peer.store.has(relName)) throw alreadyExists(relName);
  const disk: Json = {
    ...spec,
    kind: 'compute#disk',
    id: peer.nextId(),
    creationTimestamp: peer.now(),
    name,
    zone: link(`projects/${project}/zones/${zone}`),
    status: 'CREATING',
    selfLink: link(relName),
    type: link(relativeName(typeof spec.type === 'string' ? spec.type : `zones/${zone}/diskTypes/pd-balanced`, project)),
    labelFingerprint: fingerprint(spec.labels ?? {}),
    sizeGb: String(spec.sizeGb ?? '10'),
  };
  if (typeof spec.sourceSnapshot === 'string') {
    const snapName = relativeName(spec.sourceSnapshot, project);
    const snap = get(peer, snapName);
    if (snap.status !== 'READY') {
      throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'resourceNotReady', `The resource '${snapName}' is not ready`);
    }
    disk.sourceSnapshot = snap.selfLink;
    disk.sourceSnapshotId = snap.id;
    if (spec.sizeGb === undefined) disk.sizeGb = snap.diskSizeGb;
    else if (Number(spec.sizeGb) < Number(snap.diskSizeGb)) {
      throw invalid(`Invalid value for field '${fieldPrefix}.sizeGb': '${String(spec.sizeGb)}'. Requested disk size cannot be smaller than the snapshot size (${String(snap.diskSizeGb)} GB).`);
    }
  } else if (typeof spec.sourceImage === 'string') {
    disk.sourceImage = spec.sourceImage;
    disk.sourceImageId = peer.nextId();
  }
  return { name: relName, disk };
}

const insertDisk: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  checkZone(peer, params.zone!);
  const target = `projects/${params.project}/zones/${params.zone}/disks/${String(body.name)}`;
  return operate(ctx, { zone: params.zone! }, 'insert', target, () => {
    const { name, disk } = createDisk(peer, params.project!, params.zone!, body, 'resource');
    peer.store.set(name, disk);
    return {
      targetId: String(disk.id),
      finish: () => void (disk.status = 'READY'),
      rollback: () => void peer.store.delete(name),
    };
  });
};

const deleteDisk: Handler = (ctx) => {
  const { peer, params } = ctx;
  const name = `projects/${params.project}/zones/${params.zone}/disks/${params.disk}`;
  return operate(ctx, { zone: params.zone! }, 'delete', name, () => {
    const disk = get(peer, name);
    const users = (disk.users as string[] | undefined) ?? [];
    if (users.length > 0) {
      throw new GoogleApiError(
        400,
        'FAILED_PRECONDITION',
        'resourceInUseByAnotherResource',
        `The disk resource '${name}' is already being used by '${relativeName(users[0]!, params.project!)}'`,
      );
    }
    disk.status = 'DELETING';
    return { targetId: String(disk.id), finish: () => void peer.store.delete(name), rollback: () => void (disk.status = 'READY') };
  });
};

const insertSnapshot: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  const project = params.project!;
  const target = `projects/${project}/global/snapshots/${String(body.name)}`;
  return operate(ctx, { global: true }, 'insert', target, () => {
    const name = requireName(body);
    const relName = `projects/${project}/global/snapshots/${name}`;
    if (peer.store.has(relName)) throw alreadyExists(relName);
    if (typeof body.sourceDisk !== 'string') throw invalid("Invalid value for field 'resource.sourceDisk': ''. A source disk is required.");
    const diskName = relativeName(body.sourceDisk, project);
    const disk = get(peer, diskName);
    const zone = /zones\/([^/]+)/.exec(diskName)?.[1] ?? '';
    const locations = (body.storageLocations as string[] | undefined) ?? [multiRegionOf(regionOf(zone))];
    if (locations.length !== 1) throw invalid("Invalid value for field 'resource.storageLocations': only one storage location is allowed.");
    for (const loc of locations) {
      if (!peer.regions.includes(loc) && !['us', 'eu', 'asia'].includes(loc)) {
        throw invalid(`Invalid value for field 'resource.storageLocations[0]': '${loc}'. Unknown location.`);
      }
    }
    const snap: Json = {
      ...body,
      kind: 'compute#snapshot',
      id: peer.nextId(),
      creationTimestamp: peer.now(),
      name,
      status: 'CREATING',
      sourceDisk: disk.selfLink,
      sourceDiskId: disk.id,
      diskSizeGb: disk.sizeGb,
      storageBytes: '0',
      storageBytesStatus: 'UPDATING',
      storageLocations: locations,
      labelFingerprint: fingerprint(body.labels ?? {}),
      selfLink: link(relName),
    };
    peer.store.set(relName, snap);
    return {
      targetId: String(snap.id),
      finish: () => {
        snap.status = 'READY';
        snap.storageBytes = String(Number(disk.sizeGb) * 1024 ** 3 / 10);
        snap.storageBytesStatus = 'UP_TO_DATE';
      },
      rollback: () => void peer.store.delete(relName),
    };
  });
};

const deleteSnapshot: Handler = (ctx) => {
  const { peer, params } = ctx;
  const name = `projects/${params.project}/global/snapshots/${params.snapshot}`;
  return operate(ctx, { global: true }, 'delete', name, () => {
    const snap = get(peer, name);
    snap.status = 'DELETING';
    return { targetId: String(snap.id), finish: () => void peer.store.delete(name), rollback: () => void (snap.status = 'READY') };
  });
};

const insertInstance: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  const project = params.project!;
  const zone = params.zone!;
  checkZone(peer, zone);
  const target = `projects/${project}/zones/${zone}/instances/${String(body.name)}`;
  return operate(ctx, { zone }, 'insert', target, () => {
    const name = requireName(body);
    const relName = `projects/${project}/zones/${zone}/instances/${name}`;
    if (peer.store.has(relName)) throw alreadyExists(relName);
    const mt = typeof body.machineType === 'string' ? body.machineType : '';
    const mtName = /machineTypes\/([^/]+)$/.exec(mt)?.[1];
    if (!mtName || !MACHINE_TYPES[mtName] || !relativeName(mt, project).includes(`/zones/${zone}/`)) {
      throw invalid(`Invalid value for field 'resource.machineType': '${mt}'. Machine type with name '${mtName ?? mt}' does not exist in zone '${zone}'.`);
    }
    const specs = (body.disks as Json[] | undefined) ?? [];
    if (!specs.some((d) => d.boot === true)) throw invalid("Invalid value for field 'resource.disks': ''. Boot disk must be specified.");
    const created: { name: string; disk: Json }[] = [];
    const attached: Json[] = specs.map((d, i) => {
      let diskName: string;
      if (typeof d.source === 'string') {
        diskName = relativeName(d.source, project);
        const disk = get(peer, diskName);
        if (((disk.users as string[] | undefined) ?? []).length > 0 && d.mode !== 'READ_ONLY') {
          throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'resourceInUseByAnotherResource', `The disk resource '${diskName}' is already being used by '${relativeName((disk.users as string[])[0]!, project)}'`);
        }
      } else if (d.initializeParams && typeof d.initializeParams === 'object') {
        const ip = d.initializeParams as Json;
        const made = createDisk(
          peer,
          project,
          zone,
          {
            name: ip.diskName ?? (i === 0 ? name : `${name}-${i}`),
            sizeGb: ip.diskSizeGb,
            sourceSnapshot: ip.sourceSnapshot,
            sourceImage: ip.sourceImage,
            labels: ip.labels,
            type: ip.diskType,
          },
          `resource.disks[${i}].initializeParams`,
        );
        created.push(made);
        diskName = made.name;
      } else throw invalid(`Invalid value for field 'resource.disks[${i}]': a source or initializeParams is required.`);
      const rest = { ...d };
      delete rest.initializeParams;
      return {
        ...rest,
        kind: 'compute#attachedDisk',
        type: 'PERSISTENT',
        mode: d.mode ?? 'READ_WRITE',
        source: link(diskName),
        deviceName: d.deviceName ?? (/disks\/([^/]+)$/.exec(diskName)?.[1] ?? `persistent-disk-${i}`),
        index: i,
        boot: d.boot === true,
        autoDelete: d.autoDelete ?? (d.initializeParams !== undefined),
        interface: d.interface ?? 'SCSI',
      };
    });
    const nics = ((body.networkInterfaces as Json[] | undefined) ?? [{}]).map((n, i) => {
      const network = relativeName(typeof n.network === 'string' ? n.network : 'global/networks/default', project);
      get(peer, network);
      const subnetwork = relativeName(typeof n.subnetwork === 'string' ? n.subnetwork : `regions/${regionOf(zone)}/subnetworks/default`, project);
      const sub = get(peer, subnetwork);
      return {
        ...n,
        kind: 'compute#networkInterface',
        name: `nic${i}`,
        network: link(network),
        subnetwork: sub.selfLink,
        networkIP: `10.128.0.${(Number(peer.nextId().slice(-2)) % 250) + 2}`,
        fingerprint: fingerprint(n),
        stackType: 'IPV4_ONLY',
      };
    });
    for (const c of created) peer.store.set(c.name, c.disk);
    const metadata = (body.metadata as Json | undefined) ?? {};
    const instance: Json = {
      ...body,
      kind: 'compute#instance',
      id: peer.nextId(),
      creationTimestamp: peer.now(),
      name,
      machineType: link(relativeName(mt, project)),
      status: 'PROVISIONING',
      zone: link(`projects/${project}/zones/${zone}`),
      disks: attached,
      networkInterfaces: nics,
      metadata: { kind: 'compute#metadata', ...metadata, fingerprint: fingerprint(metadata.items ?? []) },
      labelFingerprint: fingerprint(body.labels ?? {}),
      tags: { ...((body.tags as Json | undefined) ?? {}), fingerprint: fingerprint((body.tags as Json | undefined)?.items ?? []) },
      selfLink: link(relName),
      cpuPlatform: 'Unknown CPU Platform',
      startRestricted: false,
      deletionProtection: body.deletionProtection ?? false,
      fingerprint: fingerprint(name),
    };
    peer.store.set(relName, instance);
    for (const a of attached) {
      const disk = peer.store.get(relativeName(String(a.source), project))!;
      disk.users = [...((disk.users as string[] | undefined) ?? []), link(relName)];
    }
    return {
      targetId: String(instance.id),
      finish: () => {
        instance.status = 'RUNNING';
        for (const c of created) c.disk.status = 'READY';
        instance.lastStartTimestamp = peer.now();
      },
      rollback: () => {
        peer.store.delete(relName);
        for (const c of created) peer.store.delete(c.name);
        for (const a of attached) {
          const disk = peer.store.get(relativeName(String(a.source), project));
          if (disk) disk.users = ((disk.users as string[]) ?? []).filter((u) => u !== link(relName));
        }
      },
    };
  });
};

const deleteInstance: Handler = (ctx) => {
  const { peer, params } = ctx;
  const project = params.project!;
  const name = `projects/${project}/zones/${params.zone}/instances/${params.instance}`;
  return operate(ctx, { zone: params.zone! }, 'delete', name, () => {
    const instance = get(peer, name);
    if (instance.deletionProtection === true) {
      throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'resourceIsProtected', `Resource '${name}' is protected and cannot be deleted.`);
    }
    instance.status = 'STOPPING';
    return {
      targetId: String(instance.id),
      finish: () => {
        for (const a of (instance.disks as Json[]) ?? []) {
          const diskName = relativeName(String(a.source), project);
          const disk = peer.store.get(diskName);
          if (!disk) continue;
          if (a.autoDelete === true) peer.store.delete(diskName);
          else disk.users = ((disk.users as string[]) ?? []).filter((u) => u !== instance.selfLink);
        }
        peer.store.delete(name);
      },
      rollback: () => void (instance.status = 'RUNNING'),
    };
  });
};

const setLabels: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  const name = `projects/${params.project}/zones/${params.zone}/instances/${params.instance}`;
  return operate(ctx, { zone: params.zone! }, 'setLabels', name, () => {
    const instance = get(peer, name);
    if (body.labelFingerprint !== instance.labelFingerprint) {
      throw new GoogleApiError(412, 'FAILED_PRECONDITION', 'conditionNotMet', 'Labels fingerprint either invalid or resource labels have changed');
    }
    return {
      targetId: String(instance.id),
      finish: () => {
        instance.labels = body.labels ?? {};
        instance.labelFingerprint = fingerprint(instance.labels);
      },
    };
  });
};

const setMetadata: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  const name = `projects/${params.project}/zones/${params.zone}/instances/${params.instance}`;
  return operate(ctx, { zone: params.zone! }, 'setMetadata', name, () => {
    const instance = get(peer, name);
    const current = instance.metadata as Json;
    if (body.fingerprint !== current.fingerprint) {
      throw new GoogleApiError(412, 'FAILED_PRECONDITION', 'conditionNotMet', 'Supplied fingerprint does not match current metadata fingerprint.');
    }
    return {
      targetId: String(instance.id),
      finish: () => {
        instance.metadata = { kind: 'compute#metadata', items: body.items ?? [], fingerprint: fingerprint(body.items ?? []) };
      },
    };
  });
};

function operationGet(scope: 'zone' | 'region' | 'global', wait: boolean): Handler {
  return (ctx) => {
    const { peer, params } = ctx;
    peer.checkProject(params.project!);
    const path =
      scope === 'zone'
        ? `projects/${params.project}/zones/${params.zone}/operations/${params.operation}`
        : scope === 'region'
          ? `projects/${params.project}/regions/${params.region}/operations/${params.operation}`
          : `projects/${params.project}/global/operations/${params.operation}`;
    const op = peer.operations.get(params.operation!);
    if (!op || op.service !== 'compute' || op.wire.selfLink !== link(path)) throw notFound(path);
    peer.poll(op, wait && !peer.waitReturnsEarly);
    return op.wire;
  };
}

function operationList(scope: 'zone' | 'region' | 'global'): Handler {
  return (ctx) => {
    const { params } = ctx;
    const base =
      scope === 'zone'
        ? `projects/${params.project}/zones/${params.zone}/operations/`
        : scope === 'region'
          ? `projects/${params.project}/regions/${params.region}/operations/`
          : `projects/${params.project}/global/operations/`;
    const items = [...ctx.peer.operations.values()]
      .filter((o) => o.service === 'compute' && String(o.wire.selfLink).startsWith(link(base)))
      .map((o) => o.wire);
    const out: Json = { kind: 'compute#operationList', id: base.replace(/\/$/, ''), selfLink: link(base.replace(/\/$/, '')) };
    if (items.length > 0) out.items = items;
    return out;
  };
}

/** Zones, machine types and the default network with one auto subnetwork per region. */
export function seedCompute(peer: PeerState): void {
  const p = peer.project;
  for (const region of peer.regions) {
    peer.store.set(`projects/${p}/regions/${region}`, {
      kind: 'compute#region',
      id: peer.nextId(),
      name: region,
      status: 'UP',
      zones: peer.zones.filter((z) => regionOf(z) === region).map((z) => link(`projects/${p}/zones/${z}`)),
      selfLink: link(`projects/${p}/regions/${region}`),
      creationTimestamp: '2020-01-01T00:00:00.000-07:00',
      description: region,
    });
  }
  for (const zone of peer.zones) {
    peer.store.set(`projects/${p}/zones/${zone}`, {
      kind: 'compute#zone',
      id: peer.nextId(),
      name: zone,
      description: zone,
      status: 'UP',
      region: link(`projects/${p}/regions/${regionOf(zone)}`),
      selfLink: link(`projects/${p}/zones/${zone}`),
      creationTimestamp: '2020-01-01T00:00:00.000-07:00',
      availableCpuPlatforms: ['Intel Cascade Lake', 'AMD Milan'],
    });
    for (const [mt, spec] of Object.entries(MACHINE_TYPES)) {
      peer.store.set(`projects/${p}/zones/${zone}/machineTypes/${mt}`, {
        kind: 'compute#machineType',
        id: peer.nextId(),
        name: mt,
        description: `${spec.guestCpus} vCPUs, ${spec.memoryMb / 1024} GB RAM`,
        guestCpus: spec.guestCpus,
        memoryMb: spec.memoryMb,
        isSharedCpu: spec.isSharedCpu ?? false,
        maximumPersistentDisks: 128,
        maximumPersistentDisksSizeGb: '263168',
        zone,
        selfLink: link(`projects/${p}/zones/${zone}/machineTypes/${mt}`),
        creationTimestamp: '2020-01-01T00:00:00.000-07:00',
      });
    }
  }
  const network = `projects/${p}/global/networks/default`;
  const subnets = peer.regions.map((region, i) => {
    const name = `projects/${p}/regions/${region}/subnetworks/default`;
    peer.store.set(name, {
      kind: 'compute#subnetwork',
      id: peer.nextId(),
      name: 'default',
      network: link(network),
      ipCidrRange: `10.${128 + i}.0.0/20`,
      gatewayAddress: `10.${128 + i}.0.1`,
      region: link(`projects/${p}/regions/${region}`),
      selfLink: link(name),
      fingerprint: fingerprint(name),
      privateIpGoogleAccess: false,
      stackType: 'IPV4_ONLY',
      creationTimestamp: '2020-01-01T00:00:00.000-07:00',
    });
    return link(name);
  });
  peer.store.set(network, {
    kind: 'compute#network',
    id: peer.nextId(),
    name: 'default',
    description: 'Default network for the project',
    autoCreateSubnetworks: true,
    subnetworks: subnets,
    routingConfig: { routingMode: 'REGIONAL' },
    selfLink: link(network),
    creationTimestamp: '2020-01-01T00:00:00.000-07:00',
  });
}

const insertNetwork: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  const target = `projects/${params.project}/global/networks/${String(body.name)}`;
  return operate(ctx, { global: true }, 'insert', target, () => {
    const name = requireName(body);
    if (peer.store.has(target)) throw alreadyExists(target);
    const net: Json = { ...body, kind: 'compute#network', id: peer.nextId(), name, selfLink: link(target), creationTimestamp: peer.now(), routingConfig: body.routingConfig ?? { routingMode: 'REGIONAL' } };
    return { targetId: String(net.id), finish: () => void peer.store.set(target, net) };
  });
};

const insertSubnetwork: Handler = (ctx) => {
  const { peer, params, body } = ctx;
  checkRegion(peer, params.region!);
  const target = `projects/${params.project}/regions/${params.region}/subnetworks/${String(body.name)}`;
  return operate(ctx, { region: params.region! }, 'insert', target, () => {
    const name = requireName(body);
    if (peer.store.has(target)) throw alreadyExists(target);
    if (typeof body.network !== 'string') throw invalid("Invalid value for field 'resource.network': ''.");
    const network = get(peer, relativeName(body.network, params.project!));
    if (typeof body.ipCidrRange !== 'string') throw invalid("Invalid value for field 'resource.ipCidrRange': ''.");
    const sub: Json = {
      ...body,
      kind: 'compute#subnetwork',
      id: peer.nextId(),
      name,
      network: network.selfLink,
      region: link(`projects/${params.project}/regions/${params.region}`),
      selfLink: link(target),
      fingerprint: fingerprint(target),
      gatewayAddress: body.ipCidrRange.replace(/\.0\/\d+$/, '.1'),
      creationTimestamp: peer.now(),
    };
    return {
      targetId: String(sub.id),
      finish: () => {
        peer.store.set(target, sub);
        network.subnetworks = [...((network.subnetworks as string[] | undefined) ?? []), link(target)];
      },
    };
  });
};

const getter =
  (path: (p: Record<string, string>) => string): Handler =>
  (ctx) => {
    ctx.peer.checkProject(ctx.params.project!);
    return get(ctx.peer, path(ctx.params));
  };

const lister =
  (prefix: (p: Record<string, string>) => string, kind: string): Handler =>
  (ctx) => {
    ctx.peer.checkProject(ctx.params.project!);
    return list(ctx.peer, ctx, prefix(ctx.params), kind);
  };

export const computeHandlers: Record<string, Handler> = {
  'compute.instances.insert': insertInstance,
  'compute.instances.get': getter((p) => `projects/${p.project}/zones/${p.zone}/instances/${p.instance}`),
  'compute.instances.list': lister((p) => `projects/${p.project}/zones/${p.zone}/instances/`, 'compute#instanceList'),
  'compute.instances.delete': deleteInstance,
  'compute.instances.aggregatedList': aggregated('instances', 'instances', 'compute#instanceAggregatedList'),
  'compute.disks.aggregatedList': aggregated('disks', 'disks', 'compute#diskAggregatedList'),
  'compute.instances.setLabels': setLabels,
  'compute.instances.setMetadata': setMetadata,
  'compute.disks.insert': insertDisk,
  'compute.disks.get': getter((p) => `projects/${p.project}/zones/${p.zone}/disks/${p.disk}`),
  'compute.disks.list': lister((p) => `projects/${p.project}/zones/${p.zone}/disks/`, 'compute#diskList'),
  'compute.disks.delete': deleteDisk,
  'compute.snapshots.insert': insertSnapshot,
  'compute.snapshots.get': getter((p) => `projects/${p.project}/global/snapshots/${p.snapshot}`),
  'compute.snapshots.list': lister((p) => `projects/${p.project}/global/snapshots/`, 'compute#snapshotList'),
  'compute.snapshots.delete': deleteSnapshot,
  'compute.networks.insert': insertNetwork,
  'compute.networks.get': getter((p) => `projects/${p.project}/global/networks/${p.network}`),
  'compute.networks.list': lister((p) => `projects/${p.project}/global/networks/`, 'compute#networkList'),
  'compute.subnetworks.insert': insertSubnetwork,
  'compute.subnetworks.get': getter((p) => `projects/${p.project}/regions/${p.region}/subnetworks/${p.subnetwork}`),
  'compute.subnetworks.list': lister((p) => `projects/${p.project}/regions/${p.region}/subnetworks/`, 'compute#subnetworkList'),
  'compute.machineTypes.get': getter((p) => `projects/${p.project}/zones/${p.zone}/machineTypes/${p.machineType}`),
  'compute.machineTypes.list': lister((p) => `projects/${p.project}/zones/${p.zone}/machineTypes/`, 'compute#machineTypeList'),
  'compute.zones.get': getter((p) => `projects/${p.project}/zones/${p.zone}`),
  'compute.zones.list': lister((p) => `projects/${p.project}/zones/`, 'compute#zoneList'),
  'compute.regions.get': getter((p) => `projects/${p.project}/regions/${p.region}`),
  'compute.regions.list': lister((p) => `projects/${p.project}/regions/`, 'compute#regionList'),
  'compute.zoneOperations.get': operationGet('zone', false),
  'compute.zoneOperations.wait': operationGet('zone', true),
  'compute.zoneOperations.list': operationList('zone'),
  'compute.regionOperations.get': operationGet('region', false),
  'compute.regionOperations.wait': operationGet('region', true),
  'compute.regionOperations.list': operationList('region'),
  'compute.globalOperations.get': operationGet('global', false),
  'compute.globalOperations.wait': operationGet('global', true),
  'compute.globalOperations.list': operationList('global'),
};

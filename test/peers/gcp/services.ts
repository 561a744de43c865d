// GKE (container v1), Cloud SQL Admin v1, IAM v1 and Storage Transfer v1 for the GCP peer. GKE and
// Cloud SQL answer long-running operations (advanced by polling their operations.get); IAM and
// Storage Transfer answer at once, as the real services do.

import { createHash, randomUUID } from 'node:crypto';
import { paginate } from './compute';
import { API_TITLES, GoogleApiError, invalid } from './errors';
import type { Handler, HandlerContext, PeerState } from './server';

type Json = Record<string, unknown>;

const CONTAINER_BASE = 'https://container.googleapis.com/v1/';
const SQL_BASE = 'https://sqladmin.googleapis.com/v1/';

const etagOf = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('base64').slice(0, 12);

function notFound(status: 'NOT_FOUND', message: string, reason = 'notFound'): GoogleApiError {
  return new GoogleApiError(404, status, reason, message);
}

// ---------------------------------------------------------------------------------------------
// GKE

function clusterKey(project: string, location: string, cluster: string): string {
  return `container:projects/${project}/locations/${location}/clusters/${cluster}`;
}

function parseName(name: string, kind: 'cluster' | 'nodePool' | 'operation' | 'location'): Record<string, string> {
  const patterns = {
    location: /^projects\/([^/]+)\/locations\/([^/]+)$/,
    cluster: /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/,
    nodePool: /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)\/nodePools\/([^/]+)$/,
    operation: /^projects\/([^/]+)\/locations\/([^/]+)\/operations\/([^/]+)$/,
  };
  const m = patterns[kind].exec(name);
  if (!m) throw invalid(`Invalid ${kind} name '${name}'.`);
  return { project: m[1]!, location: m[2]!, cluster: m[3] ?? '', nodePool: m[4] ?? '', operation: m[3] ?? '' };
}

function checkLocation(peer: PeerState, location: string): void {
  if (!peer.regions.includes(location) && !peer.zones.includes(location)) {
    throw invalid(`Location "${location}" is not a valid zone or region.`);
  }
}

function getCluster(peer: PeerState, project: string, location: string, name: string): Json {
  const c = peer.store.get(clusterKey(project, location, name));
  if (!c) throw notFound('NOT_FOUND', `Not found: projects/${project}/locations/${location}/clusters/${name}.`);
  return c;
}

function busy(peer: PeerState, cluster: Json): void {
  const running = [...peer.operations.values()].find(
    (o) => o.service === 'container' && !o.done && String(o.wire.targetLink).startsWith(String(cluster.selfLink)),
  );
  if (running) {
    // As GKE answers (seen in kubernetes-sigs/cluster-api-provider-gcp#1363, rancher/gke-operator#509).
    throw new GoogleApiError(
      400,
      'FAILED_PRECONDITION',
      'failedPrecondition',
      `Cluster is running incompatible operation ${running.name}.`,
      'global',
      { reason: 'CLUSTER_ALREADY_HAS_OPERATION', domain: 'container.googleapis.com' },
    );
  }
}

function containerOperation(
  ctx: HandlerContext,
  project: string,
  location: string,
  operationType: string,
  targetLink: string,
  finish: () => void,
  rollback?: () => void,
): Json {
  const name = `operation-${Date.now()}-${ctx.peer.nextId().slice(-8)}`;
  const wire: Json = {
    name,
    zone: location,
    location,
    operationType,
    status: 'PENDING',
    selfLink: `${CONTAINER_BASE}projects/${ctx.peer.projectNumber}/locations/${location}/operations/${name}`,
    targetLink,
    startTime: ctx.peer.now(),
  };
  void project;
  return ctx.peer.startOperation({ service: 'container', name, wire, finish, rollback }, ctx.method.id).wire;
}

function nodePoolWire(peer: PeerState, clusterLink: string, np: Json, version: string): Json {
  return {
    ...np,
    initialNodeCount: np.initialNodeCount ?? 3,
    config: { diskSizeGb: 100, machineType: 'e2-medium', imageType: 'COS_CONTAINERD', ...((np.config as Json | undefined) ?? {}) },
    status: 'PROVISIONING',
    selfLink: `${clusterLink}/nodePools/${String(np.name)}`,
    version,
    etag: etagOf([np, peer.now()]),
  };
}

const createCluster: Handler = (ctx) => {
  const { peer } = ctx;
  const { project, location } = parseName(ctx.params.parent!, 'location');
  peer.checkProject(project!);
  checkLocation(peer, location!);
  const spec = (ctx.body.cluster as Json | undefined) ?? {};
  const name = spec.name;
  if (typeof name !== 'string' || !/^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) {
    throw invalid(`Cluster name "${String(name ?? '')}" must start with a letter and be 1-40 lowercase letters, digits or hyphens.`);
  }
  const key = clusterKey(project!, location!, name);
  if (peer.store.has(key)) {
    throw new GoogleApiError(409, 'ALREADY_EXISTS', 'alreadyExists', `Already exists: projects/${project}/locations/${location}/clusters/${name}.`);
  }
  const pools = (spec.nodePools as Json[] | undefined) ?? [];
  if (pools.length > 0 && (spec.initialNodeCount !== undefined || spec.nodeConfig !== undefined)) {
    throw invalid('Cluster.initial_node_count and Cluster.node_config must not be set when Cluster.node_pools is set.');
  }
  const selfLink = `${CONTAINER_BASE}projects/${project}/locations/${location}/clusters/${name}`;
  const version = (spec.initialClusterVersion as string | undefined) ?? '1.33.5-gke.1000';
  const defaultPool = pools.length === 0 ? [{ name: 'default-pool', initialNodeCount: spec.initialNodeCount ?? 3, config: spec.nodeConfig }] : pools;
  const cluster: Json = {
    ...spec,
    id: peer.nextId(),
    location,
    zone: location,
    locations: spec.locations ?? (peer.zones.includes(location!) ? [location] : peer.zones.filter((z) => z.startsWith(location!))),
    selfLink,
    status: 'PROVISIONING',
    endpoint: `34.1.${Number(peer.nextId().slice(-2)) % 250}.${Number(peer.nextId().slice(-3)) % 250}`,
    createTime: peer.now(),
    currentMasterVersion: version,
    currentNodeVersion: version,
    network: spec.network ?? 'default',
    subnetwork: spec.subnetwork ?? 'default',
    labelFingerprint: etagOf(spec.resourceLabels ?? {}),
    etag: etagOf([name, peer.now()]),
    nodePools: defaultPool.map((np) => nodePoolWire(peer, selfLink, np, version)),
  };
  delete cluster.initialNodeCount;
  delete cluster.nodeConfig;
  peer.store.set(key, cluster);
  return containerOperation(
    ctx,
    project!,
    location!,
    'CREATE_CLUSTER',
    selfLink,
    () => {
      cluster.status = 'RUNNING';
      for (const np of cluster.nodePools as Json[]) np.status = 'RUNNING';
    },
    () => void peer.store.delete(key),
  );
};

const getClusterH: Handler = (ctx) => {
  const { project, location, cluster } = parseName(ctx.params.name!, 'cluster');
  ctx.peer.checkProject(project!);
  return getCluster(ctx.peer, project!, location!, cluster!);
};

const listClusters: Handler = (ctx) => {
  const { project, location } = parseName(ctx.params.parent!, 'location');
  ctx.peer.checkProject(project!);
  const prefix = location === '-' ? `container:projects/${project}/locations/` : `container:projects/${project}/locations/${location}/clusters/`;
  const clusters = [...ctx.peer.store.entries()]
    .filter(([k]) => k.startsWith(prefix) && /\/clusters\/[^/]+$/.test(k))
    .map(([, v]) => v);
  return clusters.length > 0 ? { clusters } : {};
};

const deleteCluster: Handler = (ctx) => {
  const { peer } = ctx;
  const { project, location, cluster: name } = parseName(ctx.params.name!, 'cluster');
  peer.checkProject(project!);
  const cluster = getCluster(peer, project!, location!, name!);
  busy(peer, cluster);
  cluster.status = 'STOPPING';
  return containerOperation(ctx, project!, location!, 'DELETE_CLUSTER', String(cluster.selfLink), () =>
    void peer.store.delete(clusterKey(project!, location!, name!)),
  () => void (cluster.status = 'RUNNING'));
};

function pools(cluster: Json): Json[] {
  return (cluster.nodePools as Json[] | undefined) ?? [];
}

const createNodePool: Handler = (ctx) => {
  const { peer } = ctx;
  const { project, location, cluster: cname } = parseName(ctx.params.parent!, 'cluster');
  peer.checkProject(project!);
  const cluster = getCluster(peer, project!, location!, cname!);
  busy(peer, cluster);
  if (cluster.status !== 'RUNNING') {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'failedPrecondition', `Cluster ${cname} is not running (status ${String(cluster.status)}).`);
  }
  const spec = (ctx.body.nodePool as Json | undefined) ?? {};
  if (typeof spec.name !== 'string' || spec.name === '') throw invalid('Node_pool.name must be specified.');
  if (pools(cluster).some((p) => p.name === spec.name)) {
    throw new GoogleApiError(409, 'ALREADY_EXISTS', 'alreadyExists', `Already exists: ${String(cluster.selfLink).replace(CONTAINER_BASE, '')}/nodePools/${spec.name}.`);
  }
  const np = nodePoolWire(peer, String(cluster.selfLink), spec, String(cluster.currentNodeVersion));
  cluster.nodePools = [...pools(cluster), np];
  cluster.status = 'RECONCILING';
  return containerOperation(
    ctx,
    project!,
    location!,
    'CREATE_NODE_POOL',
    String(np.selfLink),
    () => {
      np.status = 'RUNNING';
      cluster.status = 'RUNNING';
    },
    () => {
      cluster.nodePools = pools(cluster).filter((p) => p !== np);
      cluster.status = 'RUNNING';
    },
  );
};

function getPool(peer: PeerState, name: string): { cluster: Json; np: Json; project: string; location: string } {
  const { project, location, cluster: cname, nodePool } = parseName(name, 'nodePool');
  peer.checkProject(project!);
  const cluster = getCluster(peer, project!, location!, cname!);
  const np = pools(cluster).find((p) => p.name === nodePool);
  if (!np) throw notFound('NOT_FOUND', `Not found: ${name}.`);
  return { cluster, np, project: project!, location: location! };
}

const getNodePool: Handler = (ctx) => getPool(ctx.peer, ctx.params.name!).np;

const listNodePools: Handler = (ctx) => {
  const { project, location, cluster } = parseName(ctx.params.parent!, 'cluster');
  ctx.peer.checkProject(project!);
  const list = pools(getCluster(ctx.peer, project!, location!, cluster!));
  return list.length > 0 ? { nodePools: list } : {};
};

const deleteNodePool: Handler = (ctx) => {
  const { cluster, np, project, location } = getPool(ctx.peer, ctx.params.name!);
  busy(ctx.peer, cluster);
  np.status = 'STOPPING';
  cluster.status = 'RECONCILING';
  return containerOperation(ctx, project, location, 'DELETE_NODE_POOL', String(np.selfLink), () => {
    cluster.nodePools = pools(cluster).filter((p) => p !== np);
    cluster.status = 'RUNNING';
  });
};

const getContainerOperation: Handler = (ctx) => {
  const { project, operation } = parseName(ctx.params.name!, 'operation');
  ctx.peer.checkProject(project!);
  const op = ctx.peer.operations.get(operation!);
  if (!op || op.service !== 'container') throw notFound('NOT_FOUND', `Not found: operation ${operation}.`);
  ctx.peer.poll(op);
  return op.wire;
};

const listContainerOperations: Handler = (ctx) => {
  const { project, location } = parseName(ctx.params.parent!, 'location');
  ctx.peer.checkProject(project!);
  const operations = [...ctx.peer.operations.values()]
    .filter((o) => o.service === 'container' && (location === '-' || o.wire.location === location))
    .map((o) => o.wire);
  return operations.length > 0 ? { operations } : {};
};

export const containerHandlers: Record<string, Handler> = {
  'container.projects.locations.clusters.create': createCluster,
  'container.projects.locations.clusters.get': getClusterH,
  'container.projects.locations.clusters.list': listClusters,
  'container.projects.locations.clusters.delete': deleteCluster,
  'container.projects.locations.clusters.nodePools.create': createNodePool,
  'container.projects.locations.clusters.nodePools.get': getNodePool,
  'container.projects.locations.clusters.nodePools.list': listNodePools,
  'container.projects.locations.clusters.nodePools.delete': deleteNodePool,
  'container.projects.locations.operations.get': getContainerOperation,
  'container.projects.locations.operations.list': listContainerOperations,
};

// ---------------------------------------------------------------------------------------------
// Cloud SQL Admin

const sqlKey = (project: string, instance: string): string => `sql:projects/${project}/instances/${instance}`;

function getSql(peer: PeerState, project: string, name: string): Json {
  const i = peer.store.get(sqlKey(project, name));
  if (!i) throw notFound('NOT_FOUND', 'The Cloud SQL instance does not exist.', 'instanceDoesNotExist');
  return i;
}

function sqlBusy(peer: PeerState, instance: Json): void {
  const running = [...peer.operations.values()].find(
    (o) => o.service === 'sqladmin' && !o.done && o.wire.targetLink === instance.selfLink,
  );
  if (running) {
    // Cloud SQL's body for this (apache/airflow#62671 quotes it) has no `status`; the peer adds ABORTED.
    throw new GoogleApiError(
      409,
      'ABORTED',
      'operationInProgress',
      'Operation failed because another operation was already in progress. Try your request after the current operation is complete.',
    );
  }
}

function sqlOperation(ctx: HandlerContext, instance: Json, operationType: string, finish: () => void, rollback?: () => void): Json {
  const { peer } = ctx;
  const name = randomUUID();
  const project = String(instance.project);
  const wire: Json = {
    kind: 'sql#operation',
    name,
    targetLink: instance.selfLink,
    targetId: instance.name,
    targetProject: project,
    status: 'PENDING',
    user: `failover-console@${project}.iam.gserviceaccount.com`,
    insertTime: peer.now(),
    operationType,
    selfLink: `${SQL_BASE}projects/${project}/operations/${name}`,
  };
  return peer.startOperation({ service: 'sqladmin', name, wire, finish, rollback }, ctx.method.id).wire;
}

const insertSql: Handler = (ctx) => {
  const { peer, body } = ctx;
  const project = ctx.params.project!;
  peer.checkProject(project);
  const name = body.name;
  if (typeof name !== 'string' || !/^[a-z](?:[-a-z0-9]{0,96}[a-z0-9])?$/.test(name)) {
    throw new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', 'Invalid request: instance name (' + String(name ?? '') + ').');
  }
  if (peer.store.has(sqlKey(project, name))) {
    throw new GoogleApiError(409, 'ALREADY_EXISTS', 'instanceAlreadyExists', 'The Cloud SQL instance already exists.');
  }
  const settings = (body.settings as Json | undefined) ?? {};
  let master: Json | undefined;
  if (typeof body.masterInstanceName === 'string') {
    const [mp, mn] = body.masterInstanceName.includes(':') ? body.masterInstanceName.split(':') : [project, body.masterInstanceName];
    master = getSql(peer, mp!, mn!);
    if (master.instanceType === 'READ_REPLICA_INSTANCE') {
      throw new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', 'Invalid request: a read replica cannot be the primary of another replica here.');
    }
    if (body.databaseVersion !== undefined && body.databaseVersion !== master.databaseVersion) {
      throw new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', 'Invalid request: the replica database version must match the primary.');
    }
  } else if (typeof settings.tier !== 'string') {
    throw new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', 'Invalid request: settings.tier is required.');
  }
  const region = (body.region as string | undefined) ?? (master?.region as string | undefined) ?? 'us-central1';
  if (!peer.regions.includes(region)) throw new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', `Invalid request: region (${region}).`);
  const masterSettings = (master?.settings as Json | undefined) ?? {};
  const instance: Json = {
    ...body,
    kind: 'sql#instance',
    name,
    project,
    region,
    databaseVersion: body.databaseVersion ?? master?.databaseVersion ?? 'POSTGRES_16',
    state: 'PENDING_CREATE',
    backendType: 'SECOND_GEN',
    instanceType: master ? 'READ_REPLICA_INSTANCE' : 'CLOUD_SQL_INSTANCE',
    connectionName: `${project}:${region}:${name}`,
    gceZone: peer.zones.find((z) => z.startsWith(region)) ?? `${region}-a`,
    selfLink: `${SQL_BASE}projects/${project}/instances/${name}`,
    createTime: peer.now(),
    serviceAccountEmailAddress: `p${peer.projectNumber}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
    settings: {
      kind: 'sql#settings',
      tier: masterSettings.tier,
      availabilityType: 'ZONAL',
      dataDiskSizeGb: '10',
      dataDiskType: 'PD_SSD',
      ...settings,
      settingsVersion: '1',
    },
    etag: etagOf([name, peer.now()]),
  };
  delete instance.rootPassword;
  if (master) instance.masterInstanceName = `${String(master.project)}:${String(master.name)}`;
  const key = sqlKey(project, name);
  peer.store.set(key, instance);
  if (master) master.replicaNames = [...((master.replicaNames as string[] | undefined) ?? []), name];
  return sqlOperation(
    ctx,
    instance,
    master ? 'CREATE_REPLICA' : 'CREATE',
    () => void (instance.state = 'RUNNABLE'),
    () => {
      peer.store.delete(key);
      if (master) master.replicaNames = ((master.replicaNames as string[]) ?? []).filter((r) => r !== name);
    },
  );
};

const getSqlH: Handler = (ctx) => {
  ctx.peer.checkProject(ctx.params.project!);
  return getSql(ctx.peer, ctx.params.project!, ctx.params.instance!);
};

const listSql: Handler = (ctx) => {
  ctx.peer.checkProject(ctx.params.project!);
  const prefix = `sql:projects/${ctx.params.project}/instances/`;
  const all = [...ctx.peer.store.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  const { page, next } = paginate(all, ctx.query, 'maxResults', 500);
  const out: Json = { kind: 'sql#instancesList' };
  if (page.length > 0) out.items = page;
  if (next) out.nextPageToken = next;
  return out;
};

const patchSql: Handler = (ctx) => {
  const { peer, body } = ctx;
  peer.checkProject(ctx.params.project!);
  const instance = getSql(peer, ctx.params.project!, ctx.params.instance!);
  sqlBusy(peer, instance);
  const settings = instance.settings as Json;
  const patch = (body.settings as Json | undefined) ?? {};
  if (patch.settingsVersion !== undefined && String(patch.settingsVersion) !== settings.settingsVersion) {
    throw new GoogleApiError(412, 'FAILED_PRECONDITION', 'staleData', 'The settings version is stale: read the instance again and retry.');
  }
  for (const k of ['name', 'project', 'region', 'masterInstanceName', 'instanceType']) {
    if (body[k] !== undefined && body[k] !== instance[k] && !(k === 'masterInstanceName')) {
      throw new GoogleApiError(400, 'INVALID_ARGUMENT', 'invalid', `Invalid request: ${k} cannot be changed.`);
    }
  }
  return sqlOperation(ctx, instance, 'UPDATE', () => {
    const { settings: _ignored, ...top } = body;
    void _ignored;
    Object.assign(instance, top);
    instance.settings = { ...settings, ...patch, settingsVersion: String(Number(settings.settingsVersion) + 1) };
    instance.etag = etagOf([instance.settings, peer.now()]);
  });
};

const deleteSql: Handler = (ctx) => {
  const { peer } = ctx;
  peer.checkProject(ctx.params.project!);
  const instance = getSql(peer, ctx.params.project!, ctx.params.instance!);
  sqlBusy(peer, instance);
  if (((instance.replicaNames as string[] | undefined) ?? []).length > 0) {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'invalid', 'The instance has read replicas: delete or promote them first.');
  }
  const settings = instance.settings as Json;
  if (settings.deletionProtectionEnabled === true) {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'invalid', 'The instance is protected from deletion (settings.deletionProtectionEnabled).');
  }
  instance.state = 'PENDING_DELETE';
  return sqlOperation(ctx, instance, 'DELETE', () => {
    peer.store.delete(sqlKey(String(instance.project), String(instance.name)));
    detachReplica(peer, instance);
  });
};

function detachReplica(peer: PeerState, replica: Json): void {
  if (typeof replica.masterInstanceName !== 'string') return;
  const [mp, mn] = replica.masterInstanceName.split(':');
  const master = peer.store.get(sqlKey(mp!, mn!));
  if (master) {
    const left = ((master.replicaNames as string[] | undefined) ?? []).filter((r) => r !== replica.name);
    if (left.length > 0) master.replicaNames = left;
    else delete master.replicaNames;
  }
}

const promoteReplica: Handler = (ctx) => {
  const { peer } = ctx;
  peer.checkProject(ctx.params.project!);
  const instance = getSql(peer, ctx.params.project!, ctx.params.instance!);
  sqlBusy(peer, instance);
  if (instance.instanceType !== 'READ_REPLICA_INSTANCE') {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'instanceNotReplica', 'The instance is not a read replica instance.');
  }
  return sqlOperation(ctx, instance, 'PROMOTE_REPLICA', () => {
    detachReplica(peer, instance);
    delete instance.masterInstanceName;
    delete instance.replicaConfiguration;
    instance.instanceType = 'CLOUD_SQL_INSTANCE';
  });
};

const getSqlOperation: Handler = (ctx) => {
  ctx.peer.checkProject(ctx.params.project!);
  const op = ctx.peer.operations.get(ctx.params.operation!);
  if (!op || op.service !== 'sqladmin') throw notFound('NOT_FOUND', 'The Cloud SQL operation does not exist.', 'operationDoesNotExist');
  ctx.peer.poll(op);
  return op.wire;
};

const listSqlOperations: Handler = (ctx) => {
  ctx.peer.checkProject(ctx.params.project!);
  const instance = ctx.query.get('instance');
  const items = [...ctx.peer.operations.values()]
    .filter((o) => o.service === 'sqladmin' && (instance === null || o.wire.targetId === instance))
    .map((o) => o.wire);
  return items.length > 0 ? { kind: 'sql#operationsList', items } : { kind: 'sql#operationsList' };
};

export const sqlHandlers: Record<string, Handler> = {
  'sql.instances.insert': insertSql,
  'sql.instances.get': getSqlH,
  'sql.instances.list': listSql,
  'sql.instances.patch': patchSql,
  'sql.instances.delete': deleteSql,
  'sql.instances.promoteReplica': promoteReplica,
  'sql.operations.get': getSqlOperation,
  'sql.operations.list': listSqlOperations,
};

// ---------------------------------------------------------------------------------------------
// IAM

const saKey = (project: string, email: string): string => `iam:projects/${project}/serviceAccounts/${email}`;

function findSa(peer: PeerState, name: string): { key: string; sa: Json } {
  const m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(name);
  if (!m) throw invalid(`Invalid service account name '${name}'.`);
  const [, project, id] = m;
  if (project !== '-') peer.checkProject(project!);
  for (const [key, sa] of peer.store) {
    if (key.startsWith('iam:') && (sa.email === id || sa.uniqueId === id)) return { key, sa };
  }
  throw notFound('NOT_FOUND', `Unknown service account`);
}

const createSa: Handler = (ctx) => {
  const { peer, body } = ctx;
  const m = /^projects\/([^/]+)$/.exec(ctx.params.name!);
  const project = m?.[1] ?? '';
  peer.checkProject(project);
  const accountId = body.accountId;
  if (typeof accountId !== 'string' || !/^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/.test(accountId)) {
    throw invalid(
      `Invalid value for field 'accountId': '${String(accountId ?? '')}'. Service account name must be between 6 and 30 characters (inclusive), must begin with a lowercase letter, and consist of lowercase alphanumeric characters that can be separated by hyphens.`,
    );
  }
  const email = `${accountId}@${project}.iam.gserviceaccount.com`;
  if (peer.store.has(saKey(project, email))) {
    throw new GoogleApiError(409, 'ALREADY_EXISTS', 'alreadyExists', `Service account ${accountId} already exists within project projects/${project}.`);
  }
  const spec = (body.serviceAccount as Json | undefined) ?? {};
  const uniqueId = `1${peer.nextId()}`.slice(0, 21).padEnd(21, '7');
  const sa: Json = {
    name: `projects/${project}/serviceAccounts/${email}`,
    projectId: project,
    uniqueId,
    email,
    etag: 'MDEwMjE5MjA=',
    oauth2ClientId: uniqueId,
  };
  if (spec.displayName !== undefined) sa.displayName = spec.displayName;
  if (spec.description !== undefined) sa.description = spec.description;
  peer.store.set(saKey(project, email), sa);
  peer.store.set(`iam-policy:${email}`, { version: 1, etag: 'ACAB' });
  return sa;
};

const getSa: Handler = (ctx) => findSa(ctx.peer, ctx.params.name!).sa;

const listSa: Handler = (ctx) => {
  const project = /^projects\/([^/]+)$/.exec(ctx.params.name!)?.[1] ?? '';
  ctx.peer.checkProject(project);
  const all = [...ctx.peer.store.entries()].filter(([k]) => k.startsWith(`iam:projects/${project}/`)).map(([, v]) => v);
  const { page, next } = paginate(all, ctx.query, 'pageSize', 100);
  const out: Json = {};
  if (page.length > 0) out.accounts = page;
  if (next) out.nextPageToken = next;
  return out;
};

const deleteSa: Handler = (ctx) => {
  const { key, sa } = findSa(ctx.peer, ctx.params.name!);
  ctx.peer.store.delete(key);
  ctx.peer.store.delete(`iam-policy:${String(sa.email)}`);
  return {};
};

const getSaPolicy: Handler = (ctx) => {
  const { sa } = findSa(ctx.peer, ctx.params.resource!);
  return ctx.peer.store.get(`iam-policy:${String(sa.email)}`)!;
};

const setSaPolicy: Handler = (ctx) => {
  const { sa } = findSa(ctx.peer, ctx.params.resource!);
  const key = `iam-policy:${String(sa.email)}`;
  const current = ctx.peer.store.get(key)!;
  const policy = (ctx.body.policy as Json | undefined) ?? {};
  if (policy.etag !== undefined && policy.etag !== current.etag) {
    throw new GoogleApiError(409, 'ABORTED', 'aborted', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
  }
  for (const b of (policy.bindings as Json[] | undefined) ?? []) {
    if (typeof b.role !== 'string' || !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[\w.]+$/.test(b.role)) {
      throw invalid(`Role ${String(b.role)} is not supported for this resource.`);
    }
  }
  const next: Json = { version: policy.version ?? 1, etag: etagOf([policy.bindings ?? [], ctx.peer.now(), ctx.peer.nextId()]) };
  if (policy.bindings !== undefined && (policy.bindings as Json[]).length > 0) next.bindings = policy.bindings;
  ctx.peer.store.set(key, next);
  return next;
};

// Custom roles of a project (iam.projects.roles): a deleted role is kept, `deleted: true`, and can be
// undeleted; its id stays taken (a create answers 409), as the IAM documentation says of the days
// before a deleted role is purged. `list` answers the BASIC view (no includedPermissions) unless
// `view=FULL`, and leaves out deleted roles unless `showDeleted`. An ALPHA role has no `stage`.

const roleKey = (project: string, roleId: string): string => `iamrole:projects/${project}/roles/${roleId}`;

function findRole(peer: PeerState, name: string): Json {
  const m = /^projects\/([^/]+)\/roles\/([^/]+)$/.exec(name);
  if (!m) throw invalid(`Invalid role name '${name}'.`);
  peer.checkProject(m[1]!);
  const role = peer.store.get(roleKey(m[1]!, m[2]!));
  if (!role) throw notFound('NOT_FOUND', `The role named ${name} was not found.`);
  return role;
}

function roleEtag(role: Json): void {
  role.etag = Buffer.from(etagOf([role.title, role.description, role.includedPermissions, role.stage, role.deleted])).toString('base64');
}

function checkEtag(role: Json, etag: unknown): void {
  if (etag !== undefined && etag !== null && etag !== '' && etag !== role.etag) {
    throw new GoogleApiError(409, 'ABORTED', 'aborted', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
  }
}

const createRole: Handler = (ctx) => {
  const { peer, body } = ctx;
  const project = /^projects\/([^/]+)$/.exec(ctx.params.parent!)?.[1] ?? '';
  peer.checkProject(project);
  const roleId = body.roleId;
  if (typeof roleId !== 'string' || !/^[a-zA-Z0-9_.]{3,64}$/.test(roleId)) {
    throw invalid(`The role ID "${String(roleId ?? '')}" is invalid: use 3 to 64 letters, digits, underscores and periods.`);
  }
  const spec = (body.role as Json | undefined) ?? {};
  if (spec.name !== undefined) throw invalid('Role.name must not be set when a role is created; the role ID names it.');
  const permissions = (spec.includedPermissions as string[] | undefined) ?? [];
  for (const perm of permissions) {
    if (!/^[a-z][a-zA-Z0-9]*\.[a-zA-Z0-9]+(\.[a-zA-Z0-9]+)+$/.test(perm)) throw invalid(`Permission ${perm} is not valid.`);
  }
  const key = roleKey(project, roleId);
  if (peer.store.has(key)) {
    throw new GoogleApiError(409, 'ALREADY_EXISTS', 'alreadyExists', `A role named ${roleId} in projects/${project} already exists.`);
  }
  const role: Json = { name: `projects/${project}/roles/${roleId}`, title: spec.title ?? roleId, includedPermissions: permissions };
  if (spec.description !== undefined) role.description = spec.description;
  if (spec.stage !== undefined && spec.stage !== 'ALPHA') role.stage = spec.stage;
  if (permissions.length === 0) delete role.includedPermissions;
  roleEtag(role);
  peer.store.set(key, role);
  return role;
};

const getRole: Handler = (ctx) => findRole(ctx.peer, ctx.params.name!);

const listRoles: Handler = (ctx) => {
  const project = /^projects\/([^/]+)$/.exec(ctx.params.parent!)?.[1] ?? '';
  ctx.peer.checkProject(project);
  const full = ctx.query.get('view') === 'FULL';
  const showDeleted = ctx.query.get('showDeleted') === 'true';
  const all = [...ctx.peer.store.entries()]
    .filter(([k, r]) => k.startsWith(`iamrole:projects/${project}/roles/`) && (showDeleted || r.deleted !== true))
    .map(([, r]) => {
      if (full) return r;
      const { includedPermissions: _p, ...basic } = r;
      void _p;
      return basic;
    });
  const { page, next } = paginate(all, ctx.query, 'pageSize', 1000);
  const out: Json = {};
  if (page.length > 0) out.roles = page;
  if (next) out.nextPageToken = next;
  return out;
};

const deleteRole: Handler = (ctx) => {
  const role = findRole(ctx.peer, ctx.params.name!);
  checkEtag(role, ctx.query.get('etag'));
  if (role.deleted !== true) {
    role.deleted = true;
    roleEtag(role);
  }
  return role;
};

const undeleteRole: Handler = (ctx) => {
  const role = findRole(ctx.peer, ctx.params.name!);
  checkEtag(role, ctx.body.etag);
  if (role.deleted !== true) {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'failedPrecondition', `The role ${String(role.name)} is not deleted.`);
  }
  delete role.deleted;
  roleEtag(role);
  return role;
};

export const iamHandlers: Record<string, Handler> = {
  'iam.projects.serviceAccounts.create': createSa,
  'iam.projects.serviceAccounts.get': getSa,
  'iam.projects.serviceAccounts.list': listSa,
  'iam.projects.serviceAccounts.delete': deleteSa,
  'iam.projects.serviceAccounts.getIamPolicy': getSaPolicy,
  'iam.projects.serviceAccounts.setIamPolicy': setSaPolicy,
  'iam.projects.roles.create': createRole,
  'iam.projects.roles.get': getRole,
  'iam.projects.roles.list': listRoles,
  'iam.projects.roles.delete': deleteRole,
  'iam.projects.roles.undelete': undeleteRole,
};

// ---------------------------------------------------------------------------------------------
// Storage Transfer

const PATCHABLE = new Set([
  'description',
  'transferSpec',
  'notificationConfig',
  'loggingConfig',
  'schedule',
  'status',
  'eventStream',
  'replicationSpec',
  'serviceAccount',
]);

function getJob(peer: PeerState, jobName: string, projectId: string | null): Json {
  const job = peer.store.get(`transfer:${jobName}`);
  if (!job || (projectId !== null && job.projectId !== projectId)) {
    throw notFound('NOT_FOUND', `Transfer job with name ${jobName} does not exist.`);
  }
  return job;
}

const createJob: Handler = (ctx) => {
  const { peer, body } = ctx;
  if (typeof body.projectId !== 'string') throw invalid('TransferJob.project_id is required.');
  peer.checkProject(body.projectId);
  const name = (body.name as string | undefined) ?? `transferJobs/${peer.nextId()}`;
  if (!/^transferJobs\/[^/]+$/.test(name) || name.startsWith('transferJobs/OPI')) {
    throw invalid(`Invalid job name ${name}: it must start with "transferJobs/" and not with "transferJobs/OPI".`);
  }
  if (peer.store.has(`transfer:${name}`)) throw new GoogleApiError(409, 'ALREADY_EXISTS', 'alreadyExists', `Transfer job ${name} already exists.`);
  if (body.status !== undefined && body.status !== 'ENABLED' && body.status !== 'DISABLED') {
    throw invalid('A transfer job can only be created ENABLED or DISABLED.');
  }
  const spec = body.transferSpec as Json | undefined;
  if (!spec && !body.replicationSpec) throw invalid('TransferJob.transfer_spec or replication_spec is required.');
  const now = peer.now();
  const job: Json = { ...body, name, status: body.status ?? 'ENABLED', creationTime: now, lastModificationTime: now };
  peer.store.set(`transfer:${name}`, job);
  return job;
};

const getJobH: Handler = (ctx) => getJob(ctx.peer, ctx.params.jobName!, ctx.query.get('projectId'));

const patchJob: Handler = (ctx) => {
  const { peer, body } = ctx;
  if (typeof body.projectId !== 'string') throw invalid('project_id is required.');
  const job = getJob(peer, ctx.params.jobName!, body.projectId);
  if (job.status === 'DELETED') {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'failedPrecondition', `Transfer job ${String(job.name)} is deleted.`);
  }
  const patch = (body.transferJob as Json | undefined) ?? {};
  const mask = typeof body.updateTransferJobFieldMask === 'string' ? body.updateTransferJobFieldMask.split(',').map((s) => s.trim()) : [];
  if (mask.length === 0) throw invalid('update_transfer_job_field_mask is required.');
  for (const field of mask) {
    const top = field.split('.')[0]!.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (!PATCHABLE.has(top)) throw invalid(`Field ${field} cannot be updated.`);
    if (patch[top] === undefined) delete job[top];
    else job[top] = patch[top];
  }
  job.lastModificationTime = peer.now();
  if (job.status === 'DELETED') job.deletionTime = job.lastModificationTime;
  return job;
};

const deleteJob: Handler = (ctx) => {
  const projectId = ctx.query.get('projectId');
  const job = getJob(ctx.peer, ctx.params.jobName!, projectId);
  job.status = 'DELETED';
  job.deletionTime = job.lastModificationTime = ctx.peer.now();
  return {};
};

const listJobs: Handler = (ctx) => {
  let filter: { projectId?: string; project_id?: string; jobNames?: string[]; jobStatuses?: string[] };
  try {
    filter = JSON.parse(ctx.query.get('filter') ?? '') as typeof filter;
  } catch {
    throw invalid('filter must be a JSON object with projectId.');
  }
  const projectId = filter.projectId ?? filter.project_id;
  if (!projectId) throw invalid('filter.projectId is required.');
  const jobs = [...ctx.peer.store.entries()]
    .filter(([k]) => k.startsWith('transfer:'))
    .map(([, v]) => v)
    .filter((j) => j.projectId === projectId)
    .filter((j) => !filter.jobNames || filter.jobNames.includes(String(j.name)))
    .filter((j) => (filter.jobStatuses ? filter.jobStatuses.includes(String(j.status)) : j.status !== 'DELETED'));
  const { page, next } = paginate(jobs, ctx.query, 'pageSize', 256);
  const out: Json = {};
  if (page.length > 0) out.transferJobs = page;
  if (next) out.nextPageToken = next;
  return out;
};

export const transferHandlers: Record<string, Handler> = {
  'storagetransfer.transferJobs.create': createJob,
  'storagetransfer.transferJobs.get': getJobH,
  'storagetransfer.transferJobs.patch': patchJob,
  'storagetransfer.transferJobs.delete': deleteJob,
  'storagetransfer.transferJobs.list': listJobs,
};


// ---------------------------------------------------------------------------------------------
// Cloud Resource Manager v3: the project and its IAM policy (the roles granted to principals)

function projectPolicyKey(peer: PeerState, resource: string): string {
  const id = /^projects\/([^/]+)$/.exec(resource)?.[1] ?? '';
  if (id !== peer.project && id !== peer.projectNumber) {
    throw new GoogleApiError(403, 'PERMISSION_DENIED', 'forbidden', `The caller does not have permission`);
  }
  return `crm-policy:${peer.project}`;
}

function projectPolicy(peer: PeerState, resource: string): Json {
  const key = projectPolicyKey(peer, resource);
  let policy = peer.store.get(key);
  if (!policy) {
    policy = {
      version: 1,
      etag: 'BwYAAAAAAA0=',
      bindings: [{ role: 'roles/owner', members: [`user:owner@example.com`] }],
    };
    peer.store.set(key, policy);
  }
  return policy;
}

const getProject: Handler = (ctx) => {
  projectPolicyKey(ctx.peer, ctx.params.name!);
  return {
    name: `projects/${ctx.peer.projectNumber}`,
    projectId: ctx.peer.project,
    displayName: ctx.peer.project,
    parent: 'organizations/1234567890',
    state: 'ACTIVE',
    createTime: '2024-01-01T00:00:00.000Z',
    updateTime: '2024-01-01T00:00:00.000Z',
    etag: 'W/"peer"',
  };
};

const getProjectPolicy: Handler = (ctx) => projectPolicy(ctx.peer, ctx.params.resource!);

const setProjectPolicy: Handler = (ctx) => {
  const current = projectPolicy(ctx.peer, ctx.params.resource!);
  const policy = (ctx.body.policy as Json | undefined) ?? {};
  if (policy.etag !== undefined && policy.etag !== current.etag) {
    throw new GoogleApiError(409, 'ABORTED', 'aborted', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
  }
  const bindings = (policy.bindings as Json[] | undefined) ?? [];
  for (const b of bindings) {
    if (typeof b.role !== 'string' || !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[\w.]+$/.test(b.role)) {
      throw invalid(`Role ${String(b.role)} is not supported for this resource.`);
    }
    for (const m of (b.members as string[] | undefined) ?? []) {
      if (!/^(user|serviceAccount|group|domain|principal|principalSet|deleted:serviceAccount):.+/.test(m) && m !== 'allUsers' && m !== 'allAuthenticatedUsers') {
        throw invalid(`Invalid member '${m}' in binding for ${b.role}.`);
      }
    }
  }
  // A custom role newly bound must exist and not be deleted (IAM: "Role ... does not exist in the resource's hierarchy").
  const before = new Set(((current.bindings as Json[] | undefined) ?? []).map((b) => String(b.role)));
  for (const b of bindings) {
    const custom = /^projects\/([^/]+)\/roles\/([^/]+)$/.exec(String(b.role));
    if (!custom || before.has(String(b.role))) continue;
    const role = ctx.peer.store.get(roleKey(custom[1]!, custom[2]!));
    if (!role || role.deleted === true) throw invalid(`Role (${String(b.role)}) does not exist in the resource's hierarchy.`);
  }
  if (!bindings.some((b) => b.role === 'roles/owner')) {
    throw new GoogleApiError(400, 'FAILED_PRECONDITION', 'failedPrecondition', 'A project must have at least one owner.');
  }
  const next: Json = { version: policy.version ?? 1, etag: etagOf([bindings, ctx.peer.now(), ctx.peer.nextId()]), bindings };
  ctx.peer.store.set(projectPolicyKey(ctx.peer, ctx.params.resource!), next);
  return next;
};

export const projectHandlers: Record<string, Handler> = {
  'cloudresourcemanager.projects.get': getProject,
  'cloudresourcemanager.projects.getIamPolicy': getProjectPolicy,
  'cloudresourcemanager.projects.setIamPolicy': setProjectPolicy,
};

// ---------------------------------------------------------------------------------------------
// Service Usage v1: which APIs are enabled (Test connection names the ones that are not)

function serviceState(peer: PeerState, api: string): Json {
  return {
    name: `projects/${peer.projectNumber}/services/${api}`,
    parent: `projects/${peer.projectNumber}`,
    config: { name: api, title: API_TITLES[api] ?? api },
    state: peer.enabledApis.has(api) ? 'ENABLED' : 'DISABLED',
  };
}

function consumer(peer: PeerState, parent: string): void {
  const m = /^projects\/([^/]+)$/.exec(parent);
  if (!m) throw invalid(`Invalid parent '${parent}': only projects are served.`);
  peer.checkProject(m[1]!);
}

const getService: Handler = (ctx) => {
  const m = /^(projects\/[^/]+)\/services\/([^/]+)$/.exec(ctx.params.name!);
  consumer(ctx.peer, m?.[1] ?? '');
  return serviceState(ctx.peer, m![2]!);
};

const batchGetServices: Handler = (ctx) => {
  consumer(ctx.peer, ctx.params.parent!);
  const names = ctx.query.getAll('names');
  if (names.length === 0 || names.length > 30) throw invalid('names: between 1 and 30 services must be named.');
  return {
    services: names.map((n) => {
      const api = /\/services\/([^/]+)$/.exec(n)?.[1];
      if (!api) throw invalid(`Invalid service name '${n}'.`);
      return serviceState(ctx.peer, api);
    }),
  };
};

const listServices: Handler = (ctx) => {
  consumer(ctx.peer, ctx.params.parent!);
  const filter = ctx.query.get('filter');
  if (filter !== null && filter !== 'state:ENABLED' && filter !== 'state:DISABLED') {
    throw invalid(`Invalid filter '${filter}': only state:ENABLED / state:DISABLED.`);
  }
  const all = Object.keys(API_TITLES)
    .map((api) => serviceState(ctx.peer, api))
    .filter((s) => filter === null || `state:${String(s.state)}` === filter);
  const { page, next } = paginate(all, ctx.query, 'pageSize', 200);
  const out: Json = {};
  if (page.length > 0) out.services = page;
  if (next) out.nextPageToken = next;
  return out;
};

export const serviceUsageHandlers: Record<string, Handler> = {
  'serviceusage.services.get': getService,
  'serviceusage.services.batchGet': batchGetServices,
  'serviceusage.services.list': listServices,
};

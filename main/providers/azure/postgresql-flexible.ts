// Azure Database for PostgreSQL flexible server (@azure/arm-postgresql-flexible, api 2025-08-01,
// core-lro 2 pollers): a replica is AsyncReplica (same region) or GeoAsyncReplica (another region);
// stopping replication is the PATCH `replica: {promoteMode: Standalone, promoteOption: Forced}`
// (ServersPromoteReplicaAsForcedStandaloneServer): Forced because in a disaster the source may not
// answer, and waiting for it to synchronize (Planned) would never end.

import type { Server, ServerForPatch } from '@azure/arm-postgresql-flexible';
import type { ResourceHandler } from '../types';
import type { AzureContext } from './clients';
import { v2Poller } from './lro';
import { createFlexibleServerHandler, type FlexEngine, type FlexServer } from './flexible-server';

const asFlex = (s: Server) => s as unknown as FlexServer;

export const POSTGRESQL_FLEXIBLE: FlexEngine = {
  type: 'azure.postgresql-flexible',
  kind: 'PostgreSqlFlexibleServer',
  label: 'PostgreSQL',
  namespace: 'Microsoft.DBforPostgreSQL',
  isReplica: (s) => s.replicationRole === 'AsyncReplica' || s.replicationRole === 'GeoAsyncReplica',
  stopReplication: { replica: { promoteMode: 'Standalone', promoteOption: 'Forced' } },
  get: async (az, env, group, name, signal) => asFlex(await az.postgresql(env).servers.get(group, name, { abortSignal: signal })),
  async *listByGroup(az, env, group, signal) {
    for await (const s of az.postgresql(env).servers.listByResourceGroup(group, { abortSignal: signal })) yield asFlex(s);
  },
  async *replicas(az, env, group, name, signal) {
    for await (const s of az.postgresql(env).replicas.listByServer(group, name, { abortSignal: signal })) yield asFlex(s);
  },
  create: async (az, env, group, name, body, o) =>
    v2Poller(await az.postgresql(env).servers.beginCreateOrUpdate(group, name, body as unknown as Server, { ...az.pollOptions(o.signal), ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}) })),
  update: async (az, env, group, name, body, o) =>
    v2Poller(await az.postgresql(env).servers.beginUpdate(group, name, body as ServerForPatch, { ...az.pollOptions(o.signal), ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}) })),
  remove: async (az, env, group, name, o) =>
    v2Poller(await az.postgresql(env).servers.beginDelete(group, name, { ...az.pollOptions(o.signal), ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}) })),
};

export const createPostgresqlFlexibleHandler = (az: AzureContext): ResourceHandler => createFlexibleServerHandler(az, POSTGRESQL_FLEXIBLE);

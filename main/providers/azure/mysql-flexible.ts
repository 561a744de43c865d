// Azure Database for MySQL flexible server (@azure/arm-mysql-flexible, api 2021-05-01, core-lro 2
// pollers): a replica is `replicationRole: Replica`; stopping replication is the PATCH
// `replicationRole: None`, after which the source no longer lists it under /replicas.

import type { Server, ServerForUpdate } from '@azure/arm-mysql-flexible';
import type { ResourceHandler } from '../types';
import type { AzureContext } from './clients';
import { v2Poller } from './lro';
import { createFlexibleServerHandler, type FlexEngine, type FlexServer } from './flexible-server';

const asFlex = (s: Server) => s as unknown as FlexServer;

export const MYSQL_FLEXIBLE: FlexEngine = {
  type: 'azure.mysql-flexible',
  kind: 'MySqlFlexibleServer',
  label: 'MySQL',
  namespace: 'Microsoft.DBforMySQL',
  isReplica: (s) => s.replicationRole === 'Replica',
  stopReplication: { replicationRole: 'None' },
  get: async (az, env, group, name, signal) => asFlex(await az.mysql(env).servers.get(group, name, { abortSignal: signal })),
  async *listByGroup(az, env, group, signal) {
    for await (const s of az.mysql(env).servers.listByResourceGroup(group, { abortSignal: signal })) yield asFlex(s);
  },
  async *replicas(az, env, group, name, signal) {
    for await (const s of az.mysql(env).replicas.listByServer(group, name, { abortSignal: signal })) yield asFlex(s);
  },
  create: async (az, env, group, name, body, o) =>
    v2Poller(await az.mysql(env).servers.beginCreate(group, name, body as unknown as Server, { ...az.pollOptions(o.signal), ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}) })),
  update: async (az, env, group, name, body, o) =>
    v2Poller(await az.mysql(env).servers.beginUpdate(group, name, body as ServerForUpdate, { ...az.pollOptions(o.signal), ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}) })),
  remove: async (az, env, group, name, o) =>
    v2Poller(await az.mysql(env).servers.beginDelete(group, name, { ...az.pollOptions(o.signal), ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}) })),
};

export const createMysqlFlexibleHandler = (az: AzureContext): ResourceHandler => createFlexibleServerHandler(az, MYSQL_FLEXIBLE);

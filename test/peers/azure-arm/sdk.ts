// The real @azure/arm-* clients pointed at the ARM test peer. Azure SDK clients refuse to send a
// bearer token over http even with allowInsecureConnection, so the test swaps the pipeline's
// bearerTokenAuthenticationPolicy for one that sets a test token (PEERS.md). Test code only: the app
// talks to https endpoints with a real credential.

import type { TokenCredential } from '@azure/core-auth';
import type { Pipeline, PipelinePolicy } from '@azure/core-rest-pipeline';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { MySQLManagementFlexibleServerClient } from '@azure/arm-mysql-flexible';
import { NetworkManagementClient } from '@azure/arm-network';
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SqlManagementClient } from '@azure/arm-sql';
import { StorageManagementClient } from '@azure/arm-storage';
import type { ArmPeer } from './server';

export const PEER_TOKEN = 'arm-peer-test-token';

/** A credential the swapped pipeline never asks: reaching it means the swap failed. */
const refusingCredential: TokenCredential = {
  getToken: async () => {
    throw new Error('The ARM peer clients authenticate with the test policy; the credential must not be asked.');
  },
};

/** Replaces the bearer policy (https only) with one setting the peer's test token. */
export function useTestToken<T extends { pipeline: Pipeline }>(client: T, token = PEER_TOKEN): T {
  client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  client.pipeline.addPolicy({
    name: 'armPeerTestToken',
    sendRequest: (request, next) => {
      request.headers.set('authorization', `Bearer ${token}`);
      return next(request);
    },
  });
  return client;
}

/** Options every client takes against the peer. */
export function peerClientOptions(peer: ArmPeer) {
  return { endpoint: peer.url, allowInsecureConnection: true, retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 } };
}

/** Poller options for tests: poll often (the default is every 2 s and Retry-After 0 does not shorten it). */
export const FAST_POLL = { updateIntervalInMs: 5 } as const;

export interface PeerClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  sql: SqlManagementClient;
  storage: StorageManagementClient;
  aks: ContainerServiceClient;
  mysql: MySQLManagementFlexibleServerClient;
  postgres: PostgreSQLManagementFlexibleServerClient;
  resources: ResourceManagementClient;
}

export function peerClients(peer: ArmPeer, subscriptionId = peer.subscriptionId): PeerClients {
  const o = peerClientOptions(peer);
  return {
    compute: useTestToken(new ComputeManagementClient(refusingCredential, subscriptionId, o)),
    network: useTestToken(new NetworkManagementClient(refusingCredential, subscriptionId, o)),
    sql: useTestToken(new SqlManagementClient(refusingCredential, subscriptionId, o)),
    storage: useTestToken(new StorageManagementClient(refusingCredential, subscriptionId, o)),
    aks: useTestToken(new ContainerServiceClient(refusingCredential, subscriptionId, o)),
    mysql: useTestToken(new MySQLManagementFlexibleServerClient(refusingCredential, subscriptionId, o)),
    postgres: useTestToken(new PostgreSQLManagementFlexibleServerClient(refusingCredential, subscriptionId, o)),
    resources: useTestToken(new ResourceManagementClient(refusingCredential, subscriptionId, o)),
  };
}

/**
 * AzureProviderOptions that point the app's own AzureContext at the peer: its endpoint over http, the
 * test token policy instead of the bearer policy, fast polls, few SDK retries.
 */
export function peerProviderOptions(peer: ArmPeer, token = PEER_TOKEN) {
  return {
    armEndpoint: peer.url,
    allowInsecureConnection: true,
    authPolicy: {
      name: 'armPeerTestToken',
      sendRequest: (request, next) => {
        request.headers.set('authorization', `Bearer ${token}`);
        return next(request);
      },
    } satisfies PipelinePolicy,
    updateIntervalInMs: FAST_POLL.updateIntervalInMs,
    maxRetries: 0,
  };
}

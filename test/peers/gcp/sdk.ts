// The real Google Cloud clients pointed at the GCP test peer over their REST transports. Test code
// only: the app talks to Google's https endpoints with a real credential.
//
// Which client per API (checked on npm, December 2026):
// - Compute: @google-cloud/compute (GAPIC; `fallback: true` is its REST transport).
// - GKE: @google-cloud/container (GAPIC, REST fallback; sends enums as numbers with `$alt=json;enum-encoding=int`).
// - Storage Transfer: @google-cloud/storage-transfer (GAPIC, REST fallback). It still ships google-gax 4
//   with google-auth-library 9: a google-auth-library 11 client's `getRequestHeaders()` returns a
//   `Headers` object that gax 4 spreads into nothing, so the request goes out WITHOUT Authorization.
//   Give it a client whose getRequestHeaders returns a plain object (as below, or its own v9 client).
// - Cloud SQL Admin: @googleapis/sqladmin (the discovery-generated client from google-api-nodejs-client,
//   stable, v1). @google-cloud/sql is 0.x (preview) and its SqlInstancesServiceClient talks the v1
//   surface through protos; the googleapis one follows the discovery document this peer checks.
// - IAM (service accounts, their IAM policies): @googleapis/iam (v1). @google-cloud/iam serves only
//   IAM v2 deny policies, not service accounts.
// - Project IAM policy (roles granted to principals): @google-cloud/resource-manager (GAPIC v3
//   ProjectsClient, REST fallback; ships google-gax 5).
// - Which APIs are enabled: @google-cloud/service-usage (GAPIC v1 ServiceUsageClient, google-gax 5).

import { InstancesClient, DisksClient, SnapshotsClient, ZoneOperationsClient, GlobalOperationsClient, RegionOperationsClient, NetworksClient, SubnetworksClient, MachineTypesClient, ZonesClient } from '@google-cloud/compute';
import { ClusterManagerClient } from '@google-cloud/container';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { ServiceUsageClient } from '@google-cloud/service-usage';
import { StorageTransferServiceClient } from '@google-cloud/storage-transfer';
import { auth as iamAuth, iam, type iam_v1 } from '@googleapis/iam';
import { sqladmin, type sqladmin_v1 } from '@googleapis/sqladmin';
import { OAuth2Client } from 'google-auth-library';
import type { GcpPeer } from './server';

export const PEER_TOKEN = 'gcp-peer-test-token';

/** An OAuth2 client holding a fake access token that never expires during a test. */
export function fakeAuth(token = PEER_TOKEN): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return auth;
}

/**
 * @googleapis/iam 38 still depends on googleapis-common 8 with google-auth-library 10, whose
 * OAuth2Client type is not the v11 one: give it a client of its own library (its `auth` export).
 */
function iamClientAuth(token = PEER_TOKEN) {
  const auth = new iamAuth.OAuth2();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return auth;
}

export function gaxOptions(peer: GcpPeer) {
  return { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http', fallback: true as const, authClient: fakeAuth() };
}

export interface GcpClients {
  instances: InstancesClient;
  disks: DisksClient;
  snapshots: SnapshotsClient;
  zoneOperations: ZoneOperationsClient;
  regionOperations: RegionOperationsClient;
  globalOperations: GlobalOperationsClient;
  networks: NetworksClient;
  subnetworks: SubnetworksClient;
  machineTypes: MachineTypesClient;
  zones: ZonesClient;
  container: ClusterManagerClient;
  projects: ProjectsClient;
  serviceUsage: ServiceUsageClient;
  transfer: StorageTransferServiceClient;
  sql: sqladmin_v1.Sqladmin;
  iam: iam_v1.Iam;
  close(): Promise<void>;
}

/** Every client, built once (constructing them loads protos and takes seconds). */
export function gcpClients(peer: GcpPeer): GcpClients {
  const o = gaxOptions(peer);
  const rootUrl = `${peer.url}/`;
  const auth = fakeAuth();
  const clients = {
    instances: new InstancesClient(o),
    disks: new DisksClient(o),
    snapshots: new SnapshotsClient(o),
    zoneOperations: new ZoneOperationsClient(o),
    regionOperations: new RegionOperationsClient(o),
    globalOperations: new GlobalOperationsClient(o),
    networks: new NetworksClient(o),
    subnetworks: new SubnetworksClient(o),
    machineTypes: new MachineTypesClient(o),
    zones: new ZonesClient(o),
    container: new ClusterManagerClient(o),
    projects: new ProjectsClient(o as never),
    serviceUsage: new ServiceUsageClient(o as never),
    transfer: new StorageTransferServiceClient({
      ...o,
      // google-gax 4 spreads the headers object: a plain object, not google-auth-library 11's Headers.
      authClient: { getRequestHeaders: async () => ({ Authorization: `Bearer ${PEER_TOKEN}` }) } as never,
    }),
    sql: sqladmin({ version: 'v1', rootUrl, auth }),
    iam: iam({ version: 'v1', rootUrl, auth: iamClientAuth() }),
  };
  return {
    ...clients,
    async close() {
      await Promise.all(
        Object.values(clients).map((c) => ('close' in c && typeof c.close === 'function' ? (c.close as () => Promise<void>)() : undefined)),
      );
    },
  };
}

// The world the SQL database and storage account handler tests run in: the ARM peer (with Azurite
// as the storage accounts' blob data plane), the app's own AzureContext pointed at it, a source and
// a target environment in one subscription, and steps journaled as the engine would (StepJournal).

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { AzureContext } from '../../../../main/providers/azure/clients';
import type { EnvRef, ResolvedAccount } from '../../../../main/providers/types';
import { StepJournal } from '../../../conformance/crash-context';
import { FAST_POLL, PEER_TOKEN, peerClients, type PeerClients } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import type { AzuritePeer } from '../../../peers/azurite';

export const SOURCE_LOCATION = 'westeurope';
export const TARGET_LOCATION = 'northeurope';
export const SOURCE_RG = 'prod-weu';
export const TARGET_RG = 'dr-neu';
export const SECRET = 'azure-data-secret-Vd93kLq0PzX7mW2rT5yB8cN1';

export const testAuthPolicy = (token = PEER_TOKEN): PipelinePolicy => ({
  name: 'armPeerTestToken',
  sendRequest: (request, next) => {
    request.headers.set('authorization', `Bearer ${token}`);
    return next(request);
  },
});

export interface DataWorld {
  peer: ArmPeer;
  c: PeerClients;
  az: AzureContext;
  source: EnvRef;
  target: EnvRef;
  step(key: string, opts?: { policyId?: string; recoveryPointId?: string }): StepJournal;
  close(): Promise<void>;
}

export async function openDataWorld(azurite?: AzuritePeer): Promise<DataWorld> {
  const peer = await startArmPeer(azurite ? { blobDataPlane: (name) => azurite.dataPlane(name) } : {});
  const c = peerClients(peer);
  const az = new AzureContext({ armEndpoint: peer.url, allowInsecureConnection: true, authPolicy: testAuthPolicy(), updateIntervalInMs: FAST_POLL.updateIntervalInMs, maxRetries: 0 });
  const account: ResolvedAccount = {
    id: 'acct-azure-data',
    name: 'Azure data',
    provider: 'azure',
    cloud: 'azure',
    credentials: { kind: 'azure-service-principal', tenantId: '11111111-1111-1111-1111-111111111111', clientId: '22222222-2222-2222-2222-222222222222', clientSecret: SECRET },
  } as ResolvedAccount;
  const env = (location: string, resourceGroup: string): EnvRef => ({
    environmentId: `env-${location}`,
    account,
    region: location,
    scope: { cloud: 'azure', location, subscriptionId: peer.subscriptionId, resourceGroup },
  });
  await c.resources.resourceGroups.createOrUpdate(SOURCE_RG, { location: SOURCE_LOCATION });
  await c.resources.resourceGroups.createOrUpdate(TARGET_RG, { location: TARGET_LOCATION });
  const source = env(SOURCE_LOCATION, SOURCE_RG);
  const target = env(TARGET_LOCATION, TARGET_RG);
  return {
    peer,
    c,
    az,
    source,
    target,
    step: (key, opts = {}) => new StepJournal({ key, jobId: `job-${key}`, policyId: opts.policyId ?? 'pol-data', source, target, recoveryPointId: opts.recoveryPointId ?? `rp-${key}` }),
    close: async () => {
      az.destroy();
      await peer.close();
    },
  };
}

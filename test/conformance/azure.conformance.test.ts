// The Azure provider held to the adapter conformance suite (test/conformance/adapter-conformance.ts)
// against the ARM peer, the identity peer and Azurite (test/conformance/azure-peer.ts). The ARM peer
// is in the repository, oauth2-mock-server and Azurite are npm devDependencies. Without Azurite the
// storage account rows are left out (and said so); under CI=true a missing Azurite fails.

import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ResourceTypeId } from '../../shared/catalog';
import { startIdentityPeer, type IdentityPeer } from '../peers/identity';
import { AZURITE_INSTALL, azuriteAvailable, azuriteMissing, startAzurite, type AzuritePeer } from '../peers/azurite';
import { describeAdapterConformance } from './adapter-conformance';
import { azurePeer } from './azure-peer';

if (!azuriteAvailable() && process.env.CI === 'true') throw azuriteMissing();
const withStorage = azuriteAvailable();

let idp: IdentityPeer | null = null;
let azurite: AzuritePeer | null = null;
beforeAll(async () => {
  idp = await startIdentityPeer();
  if (withStorage) azurite = await startAzurite({ accounts: 8 });
}, 120_000);
afterAll(async () => {
  await idp?.stop();
  await azurite?.stop();
});

const types: ResourceTypeId[] = ['azure.vm', 'azure.sql-database', ...(withStorage ? (['azure.storage-account'] as const) : []), 'azure.aks', 'azure.mysql-flexible', 'azure.postgresql-flexible'];
if (!withStorage) describe.skip(`azure.storage-account conformance (skipped: Azurite not installed; install with ${AZURITE_INSTALL})`, () => it('runs', () => undefined));

describeAdapterConformance(
  azurePeer(
    types,
    () => {
      if (!idp) throw new Error('the identity peer is not started');
      return idp;
    },
    () => azurite,
    withStorage ? {} : { servesOtherTypes: true },
  ),
);

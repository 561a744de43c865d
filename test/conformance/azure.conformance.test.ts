// The Azure provider held to the adapter conformance suite (test/conformance/adapter-conformance.ts)
// against the ARM peer and the identity peer (test/conformance/azure-peer.ts). Both peers are in the
// repository (the ARM peer) or its npm dependencies (oauth2-mock-server): nothing to skip.

import { afterAll, beforeAll } from 'vitest';
import { startIdentityPeer, type IdentityPeer } from '../peers/identity';
import { describeAdapterConformance } from './adapter-conformance';
import { azurePeer } from './azure-peer';

let idp: IdentityPeer | null = null;
beforeAll(async () => {
  idp = await startIdentityPeer();
});
afterAll(async () => {
  await idp?.stop();
});

describeAdapterConformance(
  azurePeer(['azure.vm'], () => {
    if (!idp) throw new Error('the identity peer is not started');
    return idp;
  }),
);

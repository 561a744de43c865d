// The Google Cloud provider's Cloud Storage and Cloud SQL types held to the adapter conformance suite (test/conformance/adapter-conformance.ts)
// against their peers (test/conformance/gcp-data-peer.ts): the GCP peer, whose every exchange must keep to
// Google's discovery documents (asserted after the suite), and fake-gcs-server. Skips saying why where
// either is missing; under CI=true a missing one fails the run.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../peers/fake-gcs';
import { describeGcpPeer } from '../peers/gcp/describe-gcp';
import { startGcpPeer, type GcpPeer } from '../peers/gcp/server';
import { describeAdapterConformance } from './adapter-conformance';
import { gcpPeer } from './gcp-data-peer';

describeGcpPeer('Google Cloud data types conformance against the GCP peer', () => {
  describeFakeGcs('and fake-gcs-server', () => {
    let peer: GcpPeer | undefined;
    let gcs: FakeGcs | undefined;
    beforeAll(async () => {
      peer = await startGcpPeer({ pollsToComplete: 2 });
      gcs = await startFakeGcs();
    }, 120_000);
    const conformance = gcpPeer(() => {
      if (!peer || !gcs) throw new Error('the GCP peers are not started');
      return { peer, gcs };
    });
    afterAll(async () => {
      await conformance.dispose();
      await gcs?.stop();
      await peer?.close();
    });
    describeAdapterConformance(conformance);
    it('kept every exchange of the suite to the discovery documents', () => {
      expect(peer!.exchanges.length).toBeGreaterThan(0);
      expect(peer!.violations).toEqual([]);
    });
  });
});

// The Google Cloud provider held to the adapter conformance suite (test/conformance/adapter-conformance.ts)
// against the GCP peer (test/conformance/gcp-peer.ts): a fresh peer per world, every exchange checked
// against Google's discovery documents. Skips saying why when the documents are not downloaded;
// under CI=true that fails the run.

import { describeGcpPeer } from '../peers/gcp/describe-gcp';
import { describeAdapterConformance } from './adapter-conformance';
import { gcpPeer } from './gcp-peer';

describeGcpPeer('Google Cloud adapter conformance against the GCP peer', () => {
  describeAdapterConformance(gcpPeer());
});

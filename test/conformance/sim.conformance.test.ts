// The sim provider held to the adapter conformance suite (test/conformance/adapter-conformance.ts),
// one run per cloud it simulates, on its own peer (test/conformance/sim-peer.ts).

import { describeAdapterConformance } from './adapter-conformance';
import { simPeer } from './sim-peer';

for (const cloud of ['aws', 'azure', 'gcp'] as const) describeAdapterConformance(simPeer(cloud));

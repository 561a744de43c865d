// describe() for suites that need the GCP peer's contract (Google's discovery documents from the Go
// module google.golang.org/api): skips saying why when they are missing, fails under CI=true.

import { describe } from 'vitest';
import { GOOGLE_API_INSTALL, discoveryAvailable, discoveryMissing } from './discovery';

export function describeGcpPeer(name: string, body: () => void): void {
  if (discoveryAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') throw discoveryMissing();
  describe.skip(`${name} (skipped: Google's discovery documents not downloaded; run ${GOOGLE_API_INSTALL})`, body);
}

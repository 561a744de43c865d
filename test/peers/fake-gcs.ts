// fake-gcs-server (the Cloud Storage test peer) for vitest suites: describeFakeGcs() runs a suite
// when the binary is built, fails under CI=true when it is not, and otherwise skips saying why.

import { describe } from 'vitest';
import { FAKE_GCS_INSTALL, fakeGcsAvailable, fakeGcsMissing } from './fake-gcs-server';

export { FAKE_GCS_INSTALL, FAKE_GCS_VERSION, fakeGcsAvailable, startFakeGcs, type FakeGcs } from './fake-gcs-server';

/** describe() for suites that need fake-gcs-server: skips (or throws under CI) when it is not built. */
export function describeFakeGcs(name: string, body: () => void): void {
  if (fakeGcsAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') throw fakeGcsMissing();
  describe.skip(`${name} (skipped: fake-gcs-server not built; build with ${FAKE_GCS_INSTALL})`, body);
}


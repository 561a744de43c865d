// moto (the AWS mock) as a test peer: started on a free loopback port per suite, reset between tests.
// Under CI=true a missing moto fails the run; elsewhere the AWS suites skip with the install command.

import { describe } from 'vitest';
import { MOTO_INSTALL, motoAvailable, motoMissing } from './moto-server';

export { MOTO_INSTALL, motoAvailable, startMoto, type MotoServer } from './moto-server';

/** describe() for suites that need moto: skips (or throws under CI) when it is not installed. */
export function describeMoto(name: string, body: () => void): void {
  if (motoAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') throw motoMissing();
  describe.skip(`${name} (skipped: moto not installed; install with ${MOTO_INSTALL})`, body);
}

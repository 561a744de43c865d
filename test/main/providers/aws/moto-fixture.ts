// One moto server per AWS handler suite: started before the suite, reset after every test (with the
// test's AwsContext destroyed first), stopped at the end; plus what an SDK client needs to reach it.

import { afterAll, afterEach, beforeAll } from 'vitest';
import { AwsContext } from '../../../../main/providers/aws/clients';
import { startMoto, type MotoServer } from '../../../peers/moto';

/** The keys moto accepts; the same ones `motoAccount()` carries. */
export const MOTO_CREDENTIALS = { accessKeyId: 'AKIAMOTOTESTING00001', secretAccessKey: 'moto-testing' };

export interface MotoFixture {
  /** Region, endpoint and credentials for an SDK client aimed at moto (call it inside tests and hooks). */
  client(region: string): { region: string; endpoint: string; credentials: typeof MOTO_CREDENTIALS };
  /** A new AwsContext on moto for the handler under test; destroyed after the test. */
  context(): AwsContext;
}

/** Call inside `describeMoto(...)`: registers the suite's hooks and returns the fixture. */
export function useMoto(): MotoFixture {
  let moto: MotoServer;
  let aws: AwsContext | undefined;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(async () => {
    aws?.destroy();
    await moto.reset();
  });

  return {
    client: (region) => ({ region, endpoint: moto.url, credentials: MOTO_CREDENTIALS }),
    context: () => {
      aws = new AwsContext({ endpoint: moto.url, pollIntervalMs: 10 });
      return aws;
    },
  };
}

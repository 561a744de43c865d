// The AWS provider held to the adapter conformance suite (test/conformance/adapter-conformance.ts)
// against moto, its peer (test/conformance/aws-peer.ts). Skips with the install command where moto
// is missing; under CI=true a missing moto fails the run.

import { afterAll, beforeAll } from 'vitest';
import { describeMoto, startMoto, type MotoServer } from '../peers/moto';
import { describeAdapterConformance } from './adapter-conformance';
import { awsPeer } from './aws-peer';

describeMoto('AWS adapter conformance against moto', () => {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  describeAdapterConformance(
    awsPeer(() => {
      if (!moto) throw new Error('moto is not started');
      return moto;
    }),
  );
});

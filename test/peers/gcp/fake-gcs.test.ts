// What fake-gcs-server v1.56.1 really honours, stated one fact a test, through @google-cloud/storage
// against the peer's apiEndpoint. Facts it does not honour are tests too, so an upgrade that fixes
// (or breaks) one shows up here and in NOTES.md rather than as a silent green adapter test.

import { ApiError, Storage, type CreateBucketRequest } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../fake-gcs';

let peer: FakeGcs;
let storage: Storage;
let n = 0;
const bucketName = () => `fc-test-${process.pid}-${++n}`;

async function status(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof ApiError) return e.code ?? -1;
    // The resumable path rejects with a plain `{ code, message, errors }` object, not an Error.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw e;
  }
}

describeFakeGcs('fake-gcs-server v1.56.1 through @google-cloud/storage', () => {
  beforeAll(async () => {
    peer = await startFakeGcs();
    storage = new Storage({ apiEndpoint: peer.url, projectId: 'fc-test-project' });
  });
  afterAll(async () => {
    await peer?.stop();
  });

  describe('object preconditions', () => {
    it('honours ifGenerationMatch=0 as create-only: the second create answers 412 and keeps the first body', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const lease = bucket.file('target-lease.json');
      await lease.save('{"holder":"a"}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
      expect(await status(lease.save('{"holder":"b"}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }))).toBe(412);
      const [body] = await lease.download();
      expect(body.toString()).toBe('{"holder":"a"}');
    });

    it('honours ifGenerationMatch=0 on resumable uploads too (the client rejects with a plain object, not an Error)', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('a', { resumable: false });
      const err = await f.save('b', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(Error);
      expect(err).toMatchObject({ code: 412, errors: [{ reason: 'conditionNotMet' }] });
      expect((await f.download())[0].toString()).toBe('a');
    });

    it('lets exactly one of concurrent create-only writes win', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('race');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          status(f.save(`w${i}`, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })),
        ),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 412)).toHaveLength(7);
    });

    it('honours ifGenerationMatch=<generation> on upload: current wins, stale answers 412', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('1', { resumable: false });
      const g1 = Number((await f.getMetadata())[0].generation);
      await f.save('2', { resumable: false, preconditionOpts: { ifGenerationMatch: g1 } });
      const g2 = Number((await f.getMetadata())[0].generation);
      expect(g2).not.toBe(g1);
      expect(await status(f.save('3', { resumable: false, preconditionOpts: { ifGenerationMatch: g1 } }))).toBe(412);
      expect((await f.download())[0].toString()).toBe('2');
    });

    it('honours ifGenerationNotMatch on upload', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('1', { resumable: false });
      const g = Number((await f.getMetadata())[0].generation);
      expect(await status(f.save('2', { resumable: false, preconditionOpts: { ifGenerationNotMatch: g } }))).toBe(412);
    });

    it('IGNORES ifGenerationMatch on delete: a stale generation still deletes (real GCS answers 412)', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('1', { resumable: false });
      const g1 = Number((await f.getMetadata())[0].generation);
      await f.save('2', { resumable: false });
      expect(await status(f.delete({ ifGenerationMatch: g1 }))).toBe('ok');
      expect((await f.exists())[0]).toBe(false);
    });

    it('IGNORES ifMetagenerationMatch on object metadata patch (real GCS answers 412)', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('1', { resumable: false });
      expect(await status(f.setMetadata({ metadata: { a: 'b' } }, { ifMetagenerationMatch: 99 }))).toBe('ok');
    });

    it('IGNORES ifGenerationMatch=0 on copy to an existing object (real GCS answers 412)', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      await bucket.file('src').save('s', { resumable: false });
      await bucket.file('dst').save('d', { resumable: false });
      expect(await status(bucket.file('src').copy(bucket.file('dst'), { preconditionOpts: { ifGenerationMatch: 0 } }))).toBe('ok');
    });
  });

  describe('object resources (what the target store relies on)', () => {
    it('answers an upload with the object resource: file.metadata.generation after save() is the generation getMetadata reads', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('lease.json');
      await f.save('{}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
      const after = String(f.metadata.generation);
      expect(after).toMatch(/^[1-9][0-9]*$/);
      expect(String((await bucket.file('lease.json').getMetadata())[0].generation)).toBe(after);
    });

    it('keeps custom object metadata and the content type given on upload; an overwrite without them keeps neither, as in GCS', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('1', { resumable: false, contentType: 'application/json', metadata: { metadata: { holder: 'laptop-a (ops)', state: 'held' } } });
      expect((await f.getMetadata())[0]).toMatchObject({ contentType: 'application/json', metadata: { holder: 'laptop-a (ops)', state: 'held' } });
      await f.save('2', { resumable: false });
      const [md] = await f.getMetadata();
      expect(md.metadata).toBeUndefined();
      expect(md.contentType).not.toBe('application/json');
    });

    it('never advances an object\'s metageneration on a metadata patch (real GCS does), and IGNORES ifGenerationMatch on the patch', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      const f = bucket.file('o');
      await f.save('1', { resumable: false });
      await f.setMetadata({ metadata: { a: 'b' } });
      const [md] = await f.getMetadata();
      expect(md.metageneration).toBe('1');
      expect(md.metadata).toEqual({ a: 'b' });
      expect(await status(f.setMetadata({ metadata: { a: 'c' } }, { ifGenerationMatch: 1 }))).toBe('ok');
    });

    it('serves an older generation\'s body by its generation while versioning is on', async () => {
      const [bucket] = await storage.createBucket(bucketName(), { versioning: { enabled: true } });
      const f = bucket.file('o');
      await f.save('first', { resumable: false });
      const g1 = String(f.metadata.generation);
      await f.save('second', { resumable: false });
      expect((await bucket.file('o', { generation: g1 }).download())[0].toString()).toBe('first');
      expect((await bucket.file('o').download())[0].toString()).toBe('second');
    });
  });

  describe('bucket fields', () => {
    const full: CreateBucketRequest = {
      location: 'EUROPE-WEST1',
      labels: { team: 'dr' },
      versioning: { enabled: true },
      lifecycle: { rule: [{ action: { type: 'Delete' }, condition: { age: 30 } }] },
      cors: [{ origin: ['*'], method: ['GET'], maxAgeSeconds: 60 }],
      retentionPolicy: { retentionPeriod: '3600' },
    };

    it('keeps versioning from bucket insert, and keeps noncurrent generations while it is on', async () => {
      const [bucket] = await storage.createBucket(bucketName(), full);
      const [md] = await bucket.getMetadata();
      expect(md.versioning?.enabled).toBe(true);
      const f = bucket.file('o');
      await f.save('1', { resumable: false });
      await f.save('2', { resumable: false });
      const [versions] = await bucket.getFiles({ versions: true });
      expect(versions.map((v) => v.name)).toEqual(['o', 'o']);
    });

    it('DROPS labels, lifecycle, CORS and retention policy on insert, and ignores the location (uses its -location flag)', async () => {
      const [bucket] = await storage.createBucket(bucketName(), full);
      const [md] = await bucket.getMetadata();
      expect(md.labels).toBeUndefined();
      expect(md.lifecycle).toBeUndefined();
      expect(md.cors).toBeUndefined();
      expect(md.retentionPolicy).toBeUndefined();
      expect(md.location).toBe('US-CENTRAL1');
    });

    it('DROPS labels, lifecycle, CORS and retention policy on patch, and a patch without `versioning` turns versioning OFF', async () => {
      const [bucket] = await storage.createBucket(bucketName(), { versioning: { enabled: true } });
      await bucket.setMetadata({ labels: { team: 'ops' }, cors: full.cors, lifecycle: full.lifecycle! });
      const [md] = await bucket.getMetadata();
      expect(md.labels).toBeUndefined();
      expect(md.cors).toBeUndefined();
      expect(md.lifecycle).toBeUndefined();
      expect(md.versioning?.enabled).toBe(false);
    });

    it('never advances the bucket metageneration, and IGNORES ifMetagenerationMatch on bucket patch', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      await bucket.setMetadata({ versioning: { enabled: true } });
      const [md] = await bucket.getMetadata();
      expect(md.metageneration).toBe('1');
      expect(await status(bucket.setMetadata({ versioning: { enabled: false } }, { ifMetagenerationMatch: 99 }))).toBe('ok');
    });

    it('DROPS iamConfiguration on insert (uniform bucket-level access, public access prevention), and says projectNumber "0"', async () => {
      const [bucket] = await storage.createBucket(bucketName(), { iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' } });
      const [md] = await bucket.getMetadata();
      expect(md.iamConfiguration).toBeUndefined();
      expect(md.projectNumber).toBe('0');
    });

    it('answers 409 to an insert of a bucket name that exists', async () => {
      const name = bucketName();
      await storage.createBucket(name);
      expect(await status(storage.createBucket(name))).toBe(409);
    });

    it('has no bucket IAM: getIamPolicy and setIamPolicy answer 404', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      expect(await status(bucket.iam.getPolicy())).toBe(404);
      expect(await status(bucket.iam.setPolicy({ bindings: [{ role: 'roles/storage.objectViewer', members: ['allUsers'] }] }))).toBe(404);
    });

    it('validates bucket names: a one-letter name answers 400 invalid', async () => {
      expect(await status(storage.createBucket('x'))).toBe(400);
    });

    it('refuses to delete a bucket that still holds objects, with 412 (real GCS answers 409)', async () => {
      const [bucket] = await storage.createBucket(bucketName());
      await bucket.file('o').save('1', { resumable: false });
      expect(await status(bucket.delete())).toBe(412);
    });
  });
});

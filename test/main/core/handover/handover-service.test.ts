import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Core } from '../../../../main/compose';
import type { Clock } from '../../../../main/core/clock';
import type { Db } from '../../../../main/db/connection';
import { createAwsProvider } from '../../../../main/providers/aws';
import { createSimProvider } from '../../../../main/providers/sim';
import { dbChecksum } from '../../../helpers/db-checksum';
import { useTempDirs } from '../../../helpers/temp-dir';
import { call, fail, failover, open, protect, replicate } from '../failover/failover-bed';

const tempDir = useTempDirs();
const PASS = 'orange lantern harbour 42';

/** What an operator sees of a workspace: policies, their points, their jobs, the audit log. */
async function snapshot(core: Core) {
  const policies = await call(core, 'dr:policies.list', {});
  const points: Record<string, unknown> = {};
  const jobs: Record<string, unknown> = {};
  for (const p of policies) {
    const rps = await call(core, 'dr:recoveryPoints.list', { policyId: p.id, offset: 0, limit: 100 });
    points[p.id] = await Promise.all(rps.items.map(async (rp) => ({ ...rp, items: (await call(core, 'dr:recoveryPoints.get', { recoveryPointId: rp.id })).items })));
    jobs[p.id] = (await call(core, 'dr:jobs.list', { policyId: p.id, offset: 0, limit: 100 })).items;
  }
  const audit = core.db.prepare('SELECT * FROM audit_log ORDER BY id').all();
  return { policies: policies.map((p) => ({ id: p.id, name: p.name, state: p.state })), points, jobs, audit };
}

async function workspace(dir: string) {
  const core = open(dir);
  const a = await protect(core, 'aws', ['aws.ec2-instance', 'aws.s3-bucket'], { name: 'Shop' });
  await replicate(core, a.policyId);
  const b = await protect(core, 'azure', ['azure.sql-database'], { name: 'Billing' });
  await failover(core, b.policyId);
  return { core, a, b };
}

describe('the handover bundle', () => {
  it('exported and imported into a fresh database reproduces the policy list, recovery points, job history and audit log', async () => {
    const { core } = await workspace(tempDir());
    const before = await snapshot(core);
    const bundle = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: false });
    expect(bundle.credentialsIncluded).toBe(false);
    expect(bundle.policies).toBe(2);
    // Encrypted: nothing of the workspace is readable in the file.
    const file = Buffer.from(bundle.bundleBase64, 'base64');
    expect(file.subarray(0, 8).toString('ascii')).toBe('FCBUNDLE');
    expect(file.toString('latin1')).not.toContain('Shop');

    const fresh = open(tempDir());
    const result = await call(fresh, 'dr:handover.import', { bundleBase64: bundle.bundleBase64, passphrase: PASS });
    expect(result).toMatchObject({ policiesAdded: 2, policiesUpdated: 0, conflicts: [], credentialsImported: false });
    const after = await snapshot(fresh);
    expect(after.policies).toEqual(before.policies);
    expect(after.points).toEqual(before.points);
    expect(after.jobs).toEqual(before.jobs);
    // The audit log arrives verbatim (every column, ids and order kept, so its chain verifies), then the import's entry.
    expect(after.audit.slice(0, before.audit.length)).toEqual(before.audit);
    expect(after.audit.slice(before.audit.length).map((e) => (e as { action: string }).action)).toEqual(['handover.import']);
    const verdict = await call(fresh, 'dr:audit.verify', {});
    expect(verdict).toMatchObject({ ok: true, entries: before.audit.length + 1 });
    // The journal of operations of every step comes along, as written.
    const journal = (c: Core) => c.db.prepare('SELECT * FROM job_operations ORDER BY step_id, seq').all();
    expect(journal(core).length).toBeGreaterThan(0);
    expect(journal(fresh)).toEqual(journal(core));
    // The per-day totals the picker reads are counted again by the triggers, not doubled.
    const days = (c: Core) => c.db.prepare('SELECT * FROM recovery_point_days WHERE n > 0 ORDER BY policy_id, day, status').all();
    expect(days(fresh)).toEqual(days(core));
    await core.close();
    await fresh.close();
  });

  it('refuses a wrong passphrase and a damaged bundle with a clear sentence, changing nothing', async () => {
    const { core } = await workspace(tempDir());
    const bundle = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: false });
    const other = open(tempDir());
    await protect(other, 'gcp', ['gcp.vm-instance'], { name: 'Theirs' });
    const sum = dbChecksum(other.db);

    const wrong = await fail(other, 'dr:handover.import', { bundleBase64: bundle.bundleBase64, passphrase: 'not the passphrase' });
    expect(wrong.code).toBe('ValidationFailed');
    expect(wrong.message).toMatch(/passphrase is wrong/);
    expect(dbChecksum(other.db)).toBe(sum);

    const file = Buffer.from(bundle.bundleBase64, 'base64');
    file[file.length - 40]! ^= 0x01;
    const damaged = await fail(other, 'dr:handover.import', { bundleBase64: file.toString('base64'), passphrase: PASS });
    expect(damaged.message).toMatch(/changed or damaged after it was exported/);
    expect(dbChecksum(other.db)).toBe(sum);

    const cut = await fail(other, 'dr:handover.import', { bundleBase64: file.subarray(0, 30).toString('base64'), passphrase: PASS });
    expect(cut.message).toMatch(/not a readable handover bundle/);
    const notOne = await fail(other, 'dr:handover.import', { bundleBase64: Buffer.from('PK\u0003\u0004 a zip file').toString('base64'), passphrase: PASS });
    expect(notOne.message).toMatch(/does not start like one/);
    expect(dbChecksum(other.db)).toBe(sum);
    await core.close();
    await other.close();
  });

  it('reports a policy both consoles know as newer or older, and takes only the newer state', async () => {
    const { core, a } = await workspace(tempDir());
    const early = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: false });
    const second = open(tempDir());
    await call(second, 'dr:handover.import', { bundleBase64: early.bundleBase64, passphrase: PASS });
    // The first console fails the policy over after the handover: its next bundle is newer.
    await failover(core, a.policyId);
    const late = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: false });
    const r = await call(second, 'dr:handover.import', { bundleBase64: late.bundleBase64, passphrase: PASS });
    const shop = r.conflicts.find((c) => c.policyId === a.policyId)!;
    expect(shop.bundle).toBe('newer');
    expect(shop.detail).toMatch(/failed_over.*newer.*active/);
    expect(r.policiesUpdated).toBe(1);
    expect((await call(second, 'dr:policies.get', { policyId: a.policyId })).state).toBe('failed_over');
    expect(r.jobsAdded).toBeGreaterThan(0);
    // The early bundle again: now older than what this console holds, so nothing is taken.
    const sum = dbChecksum(second.db);
    const again = await call(second, 'dr:handover.import', { bundleBase64: early.bundleBase64, passphrase: PASS });
    expect(again.conflicts.find((c) => c.policyId === a.policyId)!.bundle).toBe('older');
    expect(again.policiesUpdated).toBe(0);
    expect((await call(second, 'dr:policies.get', { policyId: a.policyId })).state).toBe('failed_over');
    expect(dbChecksum(second.db)).not.toBe(sum); // only the import's own audit entry
    expect((second.db.prepare('SELECT action FROM audit_log ORDER BY id DESC LIMIT 1').pluck().get() as string)).toBe('handover.import');
    await core.close();
    await second.close();
  });

  it('brings a part-way failover as history: this console cannot retry it (the other one holds its lease)', async () => {
    const faults = { failNames: [] as string[], operations: ['failover' as const] };
    const core = open(tempDir(), { faults });
    const p = await protect(core, 'aws', ['aws.ec2-instance'], { name: 'Stuck' });
    faults.failNames.push(...p.names);
    const job = await failover(core, p.policyId);
    expect(job.status).not.toBe('succeeded');
    const bundle = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: false });
    const fresh = open(tempDir());
    await call(fresh, 'dr:handover.import', { bundleBase64: bundle.bundleBase64, passphrase: PASS });
    expect((await call(fresh, 'dr:policies.get', { policyId: p.policyId })).state).toBe('failing_over');
    const refused = await fail(fresh, 'dr:jobs.retryFailed', { jobId: job.id });
    expect(refused.message).toMatch(/runs on another console .*only that console can retry it/);
    await core.close();
    await fresh.close();
  });

  it('carries credentials only when the operator opts in', async () => {
    const withAws = { providers: ({ db, clock }: { db: Db; clock: Clock }) => [createSimProvider({ db, clock }), createAwsProvider()] };
    const core = open(tempDir(), withAws);
    const account = await call(core, 'dr:accounts.create', {
      name: 'AWS prod',
      provider: 'aws',
      cloud: 'aws',
      credentials: { kind: 'aws-access-key', accessKeyId: 'AKIAHANDOVERTEST0001', secretAccessKey: 'handover-secret-value' },
    });
    const without = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: false });
    const withCreds = await call(core, 'dr:handover.export', { passphrase: PASS, includeCredentials: true });
    const a = open(tempDir(), withAws);
    await call(a, 'dr:handover.import', { bundleBase64: without.bundleBase64, passphrase: PASS });
    expect(() => a.services.providers.resolveAccount(account.id)).toThrow(/enter them again/);
    const b = open(tempDir(), withAws);
    const r = await call(b, 'dr:handover.import', { bundleBase64: withCreds.bundleBase64, passphrase: PASS });
    expect(r.credentialsImported).toBe(true);
    expect(b.services.providers.resolveAccount(account.id).credentials).toMatchObject({ kind: 'aws-access-key', accessKeyId: 'AKIAHANDOVERTEST0001' });
    // At rest in the new database the secret is the new vault's ciphertext, never the plain text.
    expect(readFileSync(b.dataFile).includes(Buffer.from('handover-secret-value'))).toBe(false);
    for (const c of [core, a, b]) await c.close();
  });
});

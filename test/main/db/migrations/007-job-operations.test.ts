import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import { createRepos } from '../../../../main/db/repos';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const at = '2030-01-01T00:00:00.000Z';

function withStep(file: string) {
  const db = openDatabase(file);
  db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','',?)`).run(at);
  db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p1','Pol','e1','e2',?,?)`).run(at, at);
  db.prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at) VALUES ('j1', 'p1', 'failover', 'running', 'manual', ?)`).run(at);
  const repos = createRepos(db);
  repos.jobs.insertStep({ id: 's1', jobId: 'j1', seq: 1, protectedResourceId: null, action: 'failover', dependsOn: [], idempotencyKey: 'j1/s1' });
  repos.jobs.insertStep({ id: 's2', jobId: 'j1', seq: 2, protectedResourceId: null, action: 'failover', dependsOn: [], idempotencyKey: 'j1/s2' });
  return { db, repos };
}

describe('migration 007 (journal of operations)', () => {
  it('brings a file to schema 7 with an empty job_operations table', () => {
    // Only up to 7: later migrations (011) move the file further.
    const db = openDatabase(join(tempDir(), 'v7.sqlite'), { migrations: MIGRATIONS.filter((m) => m.version <= 7) });
    expect(schemaVersion(db)).toBe(7);
    expect(db.prepare('SELECT COUNT(*) FROM job_operations').pluck().get()).toBe(0);
    db.close();
  });

  it('numbers the rows of each step in order and folds them per op key (latest intent, its handle, its outcome)', () => {
    const { db, repos } = withStep(join(tempDir(), 'rows.sqlite'));
    repos.jobs.appendOperation('s1', 'create-disk:os', 'intent', { requestId: 'r1' }, at);
    repos.jobs.appendOperation('s2', 'other', 'intent', { x: 1 }, at);
    repos.jobs.appendOperation('s1', 'create-disk:os', 'handle', { operation: 'operations/op-1' }, at);
    repos.jobs.appendOperation('s1', 'create-disk:os', 'outcome', { status: 'failed', code: 'ProviderError', error: 'boom' }, at);
    repos.jobs.appendOperation('s1', 'create-disk:os', 'intent', { requestId: 'r1' }, at);
    repos.jobs.appendOperation('s1', 'run-instances', 'intent', { clientToken: 't' }, at);
    expect(repos.jobs.operationRows('s1').map((r) => [r.seq, r.opKey, r.kind])).toEqual([
      [1, 'create-disk:os', 'intent'],
      [2, 'create-disk:os', 'handle'],
      [3, 'create-disk:os', 'outcome'],
      [4, 'create-disk:os', 'intent'],
      [5, 'run-instances', 'intent'],
    ]);
    expect(repos.jobs.operationRows('s2').map((r) => r.seq)).toEqual([1]);
    // The second call of create-disk:os started afresh: no handle or outcome of it yet.
    expect(repos.jobs.operations('s1')).toEqual([
      { opKey: 'create-disk:os', intent: { requestId: 'r1' }, handle: null, outcome: null },
      { opKey: 'run-instances', intent: { clientToken: 't' }, handle: null, outcome: null },
    ]);
    db.close();
  });

  it('never lets a row be rewritten or removed while its step exists', () => {
    const { db, repos } = withStep(join(tempDir(), 'append-only.sqlite'));
    repos.jobs.appendOperation('s1', 'a', 'intent', { n: 1 }, at);
    expect(() => db.prepare(`UPDATE job_operations SET material = '{}'`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM job_operations').run()).toThrow(/append-only/);
    expect(() => db.prepare(`INSERT INTO job_operations (step_id, op_key, seq, kind, material, at) VALUES ('s1','a',1,'intent','{}',?)`).run(at)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare(`INSERT INTO job_operations (step_id, op_key, seq, kind, material, at) VALUES ('s1','a',9,'guess','{}',?)`).run(at)).toThrow(/CHECK/);
    expect(repos.jobs.operations('s1')).toEqual([{ opKey: 'a', intent: { n: 1 }, handle: null, outcome: null }]);
    db.close();
  });
});

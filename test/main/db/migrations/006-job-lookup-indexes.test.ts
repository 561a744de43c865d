import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../main/db/connection';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('migration 006 (job lookup indexes)', () => {
  it("finds a policy's running job through the partial index, not by walking its job history", () => {
    const db = openDatabase(join(tempDir(), 'v6.sqlite'));
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE policy_id = ? AND status IN ('queued','running') ORDER BY created_at DESC LIMIT 1`,
      )
      .all('p1') as { detail: string }[];
    expect(plan.map((r) => r.detail).join('; ')).toMatch(/USING INDEX jobs_policy_unfinished/);
    db.close();
  });

  it('indexes only unfinished jobs, so it stays small however long the history is', () => {
    const db = openDatabase(join(tempDir(), 'rows.sqlite'));
    const at = '2030-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','',?)`).run(at);
    db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p1','Pol','e1','e2',?,?)`).run(at, at);
    const job = db.prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at) VALUES (?, 'p1', 'replication', ?, 'manual', ?)`);
    for (let i = 0; i < 50; i++) job.run(`j${i}`, 'succeeded', at);
    job.run('jr', 'running', at);
    const indexed = db.prepare(`SELECT COUNT(*) FROM jobs INDEXED BY jobs_policy_unfinished WHERE policy_id = 'p1' AND status IN ('queued','running')`).pluck().get();
    expect(indexed).toBe(1);
    db.close();
  });
});

// Migration 7: the journal of operations. Each step keeps an ordered, append-only list of the cloud
// operations its handler made through ctx.mutate: the intent committed before the call, the handle(s)
// committed as soon as the provider answered (poll URL, operation name), then the outcome. A resumed
// step reads the list back and continues: it adopts what succeeded and looks up what may exist.

export const version = 7;
export const name = 'job-operations';

export const sql = /* sql */ `
CREATE TABLE job_operations (
  step_id  TEXT NOT NULL REFERENCES job_steps(id) ON DELETE CASCADE,
  -- Chosen by the handler: 'run-instances', 'create-disk:os'; unique inside a step.
  op_key   TEXT NOT NULL,
  -- Order of the rows of one step (all op keys), from 1; a row is never rewritten.
  seq      INTEGER NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('intent','handle','outcome')),
  -- intent/handle: the material object; outcome: {"status":"succeeded","result":...} or {"status":"failed","code":...,"error":...}.
  material TEXT NOT NULL,
  at       TEXT NOT NULL,
  PRIMARY KEY (step_id, seq)
);

-- Rows are appended, never changed: the journal of what was asked of a cloud is evidence.
CREATE TRIGGER job_operations_append_only_update BEFORE UPDATE ON job_operations
BEGIN SELECT RAISE(ABORT, 'job_operations rows are append-only'); END;
CREATE TRIGGER job_operations_append_only_delete BEFORE DELETE ON job_operations
WHEN (SELECT COUNT(*) FROM job_steps WHERE id = OLD.step_id) > 0
BEGIN SELECT RAISE(ABORT, 'job_operations rows are append-only'); END;
`;

// Migration 5: what the resumable job engine needs: which console instance runs a job (so a second
// instance on the same file never runs it twice) and each step's parameters (item, test resource).

export const version = 5;
export const name = 'job-engine';

export const sql = /* sql */ `
-- "<host>|<pid>|<instance>" of the engine running the job; heartbeat_at tells a live owner from a dead one.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
-- JSON object: the recovery point item a (test) failover step applies, the test resource a reset deletes.
ALTER TABLE job_steps ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
-- Reset steps and the UI list live test resources in creation order (dependents after their parent).
CREATE INDEX test_resources_job ON test_resources(job_id);
`;

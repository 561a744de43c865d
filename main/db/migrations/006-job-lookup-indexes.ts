// Migration 6: finding a policy's running job must not walk its whole job history (100,000s of
// finished replication jobs after months on an hourly schedule): a partial index of unfinished jobs.

export const version = 6;
export const name = 'job-lookup-indexes';

export const sql = /* sql */ `
CREATE INDEX jobs_policy_unfinished ON jobs(policy_id, created_at) WHERE status IN ('queued','running');
`;

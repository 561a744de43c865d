// Migration 12: scheduled replication slots that came due while a policy's accounts were offline.
// The scheduler runs such a policy once when the network returns (not once per missed slot); kept
// in the file so that a restart while offline neither forgets the catch-up nor runs it twice.

export const version = 12;
export const name = 'schedule-missed-slots';

export const sql = /* sql */ `
CREATE TABLE schedule_missed_slots (
  policy_id       TEXT PRIMARY KEY REFERENCES policies(id) ON DELETE CASCADE,
  first_missed_at TEXT NOT NULL,      -- the first slot that came due offline; a replication created since then is the catch-up
  last_missed_at  TEXT NOT NULL,
  missed          INTEGER NOT NULL CHECK (missed >= 1)
) STRICT;
`;

// Audit entries in words: what an entry refers to by name (policy, account, environment) or by kind
// and time (job, recovery point, webhook delivery), in place of the raw ids stored in its detail.

import type { AuditEntry, AuditRef, JobKind } from '../../../shared/domain';
import { formatAbsolute } from '../../components/format';

const JOB_WORDS: Record<JobKind, string> = {
  replication: 'Replication',
  test_failover: 'Test failover',
  reset: 'Reset',
  failover: 'Failover',
};

/** "policy Payments", "Failover job of 2026-12-01 21:32 UTC+01:00", "recovery point of ...". */
export function describeRef(ref: AuditRef): string {
  switch (ref.type) {
    case 'policy':
      return `policy ${ref.name ?? ref.id}`;
    case 'account':
      return `account ${ref.name ?? ref.id}`;
    case 'environment':
      return `environment ${ref.name ?? ref.id}`;
    case 'job':
      return `${ref.jobKind ? JOB_WORDS[ref.jobKind] : 'Job'} job of ${ref.at ? formatAbsolute(ref.at, { seconds: true }) : ref.id}`;
    case 'recoveryPoint':
      return `recovery point of ${ref.at ? formatAbsolute(ref.at, { seconds: true }) : ref.id}`;
    case 'webhookDelivery':
      return `webhook delivery of ${ref.at ? formatAbsolute(ref.at, { seconds: true }) : ref.id}`;
  }
}

export interface DetailPart {
  text: string;
  /** The raw id a named part stands for (shown on hover, kept for copying). */
  id?: string;
}

/** Words that lead an id in detail sentences ("job job_…", "recovery point rp_…"), folded into the name. */
const LEADS: Record<AuditRef['type'], RegExp> = {
  job: /job $/,
  recoveryPoint: /recovery point $/,
  webhookDelivery: /delivery $/,
  policy: /policy $/,
  account: /account $/,
  environment: /environment $/,
};

/** The detail with every known id replaced by its name; unknown ids stay as they are. */
export function namedDetail(entry: AuditEntry): DetailPart[] {
  const refs = new Map(entry.refs.map((r) => [r.id, r]));
  if (refs.size === 0) return [{ text: entry.detail }];
  const pattern = new RegExp([...refs.keys()].map((id) => id.replace(/[-]/g, '\\-')).join('|'), 'g');
  const parts: DetailPart[] = [];
  let last = 0;
  for (const m of entry.detail.matchAll(pattern)) {
    const ref = refs.get(m[0])!;
    let before = entry.detail.slice(last, m.index);
    // "job job_x" reads "Failover job of ...": drop the lead word the name already says.
    before = before.replace(LEADS[ref.type], '');
    if (before) parts.push({ text: before });
    parts.push({ text: describeRef(ref), id: ref.id });
    last = m.index + m[0].length;
  }
  if (last < entry.detail.length) parts.push({ text: entry.detail.slice(last) });
  return parts;
}

/** The entry's subject in words, or null when it has none. */
export function subjectName(entry: AuditEntry): string | null {
  if (!entry.subjectId) return null;
  const ref = entry.refs.find((r) => r.id === entry.subjectId);
  return ref ? describeRef(ref) : entry.subjectId;
}

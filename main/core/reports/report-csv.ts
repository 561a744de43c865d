// The report as CSV (csv-stringify): one row per resource mapping and one per step, under one
// header, told apart by the "record" column. Times are ISO 8601 UTC as stored, so a spreadsheet or a
// script reads them back exactly; the PDF is where they are shown in the operator's zone.

import { stringify } from 'csv-stringify/sync';
import type { JobReport } from './job-report';

export const CSV_COLUMNS = [
  'record',
  'job_id',
  'job_kind',
  'policy',
  'protected_resource_id',
  'resource_name',
  'resource_type',
  'recovery_point_id',
  'recovery_point_at',
  'source_id',
  'kind',
  'name',
  'target_id',
  'reused',
  'step_id',
  'step_seq',
  'action',
  'status',
  'attempts',
  'started_at',
  'finished_at',
  'error_code',
  'error',
] as const;

type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null>>;

export function reportCsv(r: JobReport): string {
  const byResource = new Map(r.resources.map((x) => [x.protectedResourceId, x]));
  const base = { job_id: r.job.id, job_kind: r.job.kind, policy: r.policy.name };
  const rows: Row[] = [];
  for (const m of r.mappings) {
    const res = m.protectedResourceId ? byResource.get(m.protectedResourceId) : undefined;
    rows.push({
      record: 'mapping',
      ...base,
      protected_resource_id: m.protectedResourceId,
      resource_name: res?.name ?? null,
      resource_type: res?.type ?? null,
      recovery_point_id: res?.recoveryPointId ?? null,
      recovery_point_at: res?.recoveryPointAt ?? null,
      source_id: m.sourceId,
      kind: m.kind,
      name: m.name,
      target_id: m.targetId,
      reused: m.reused,
    });
  }
  for (const s of r.steps) {
    const res = s.protectedResourceId ? byResource.get(s.protectedResourceId) : undefined;
    rows.push({
      record: 'step',
      ...base,
      protected_resource_id: s.protectedResourceId,
      resource_name: s.resourceName,
      resource_type: s.type,
      recovery_point_id: res?.recoveryPointId ?? null,
      recovery_point_at: res?.recoveryPointAt ?? null,
      step_id: s.id,
      step_seq: s.seq,
      action: s.action,
      status: s.status,
      attempts: s.attempts,
      started_at: s.startedAt,
      finished_at: s.finishedAt,
      error_code: s.errorCode,
      error: s.error,
    });
  }
  return stringify(rows, {
    header: true,
    columns: [...CSV_COLUMNS],
    cast: { boolean: (v) => (v ? 'true' : 'false') },
    // A cell starting with = + - @ is a formula to a spreadsheet; names and errors come from clouds.
    quoted_match: /^[=+\-@\t\r]/,
  });
}

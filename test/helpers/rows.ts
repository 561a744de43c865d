// Every committed row of every table, to prove a fault lost nothing: compare the rows committed
// before it with those after (rows may be added, and listed rows may move on; none may vanish).

import type { Db } from '../../main/db/connection';

export type RowSnapshot = Map<string, Map<string, string>>;

const encode = (row: unknown) =>
  JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? String(v) : v));

export function snapshotRows(db: Db): RowSnapshot {
  const out: RowSnapshot = new Map();
  const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  for (const table of tables) {
    const rows = new Map<string, string>();
    for (const row of db.prepare(`SELECT rowid AS __rowid, * FROM "${table}"`).iterate() as Iterable<Record<string, unknown>>) {
      const { __rowid, ...rest } = row;
      rows.set(String(__rowid), encode(rest));
    }
    out.set(table, rows);
  }
  return out;
}

/**
 * The rows of `before` that are missing or changed in `after`, as "table#rowid" keys; `mayChange`
 * names the rows the operation is expected to move on (a job closed, its steps failed).
 */
export function lostOrChanged(before: RowSnapshot, after: RowSnapshot, mayChange: (table: string, row: Record<string, unknown>) => boolean = () => false): string[] {
  const problems: string[] = [];
  for (const [table, rows] of before) {
    const now = after.get(table);
    for (const [rowid, text] of rows) {
      const later = now?.get(rowid);
      if (later === undefined) problems.push(`${table}#${rowid} lost`);
      else if (later !== text && !mayChange(table, JSON.parse(text) as Record<string, unknown>)) problems.push(`${table}#${rowid} changed`);
    }
  }
  return problems;
}

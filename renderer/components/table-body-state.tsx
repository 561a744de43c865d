// The body of a data table in each of its states: skeleton rows while the rows are still to come, one
// full-width cell when there are none, and the rows themselves once there are.

import type { ReactNode } from 'react';
import { SkeletonRows } from './skeleton';

export function TableBodyState<T>(props: {
  /** null until the first load has answered. */
  rows: readonly T[] | null;
  columns: number;
  /** Whether rows still to come show the skeleton; false after a failed load, which the page reports itself. */
  loading: boolean;
  loadingRows: number;
  loadingLabel: string;
  /** What the single cell of an empty table says. */
  empty: ReactNode;
  /** A reload under rows already shown. */
  busy?: boolean;
  children: (row: T) => ReactNode;
}) {
  if (props.rows === null) return props.loading ? <SkeletonRows rows={props.loadingRows} columns={props.columns} label={props.loadingLabel} /> : null;
  if (props.rows.length === 0) {
    return (
      <tbody>
        <tr>
          <td colSpan={props.columns} className="empty-cell">
            {props.empty}
          </td>
        </tr>
      </tbody>
    );
  }
  return <tbody aria-busy={props.busy || undefined}>{props.rows.map((row) => props.children(row))}</tbody>;
}

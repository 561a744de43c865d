// A recovery point as the job views name it: its time in the display zone and its id.

import { formatAbsolute } from '../../components/format';

export function RecoveryPointRef(props: { id: string; at: string | null; latest?: boolean }) {
  return (
    <span className="rp-ref">
      {props.at ? (
        <time dateTime={props.at} className="tabular">
          {formatAbsolute(props.at, { seconds: true })}
        </time>
      ) : (
        <span className="muted">deleted point</span>
      )}
      <span className="muted small rp-ref-id">
        {' '}
        <span className="mono">{props.id}</span>
      </span>
    </span>
  );
}

// Loading placeholders shaped like the content they stand for, announced once as "Loading".

export function SkeletonRows(props: { rows: number; columns: number; label: string }) {
  return (
    <tbody aria-busy="true">
      {Array.from({ length: props.rows }, (_, r) => (
        <tr key={r} className="skeleton-row">
          {Array.from({ length: props.columns }, (_, c) => (
            <td key={c}>
              {r === 0 && c === 0 ? <span className="visually-hidden">{props.label}</span> : null}
              <span className="skeleton" aria-hidden="true" />
            </td>
          ))}
        </tr>
      ))}
    </tbody>
  );
}

export function SkeletonBlock(props: { label: string; lines?: number }) {
  return (
    <div className="skeleton-block" aria-busy="true">
      <span className="visually-hidden">{props.label}</span>
      {Array.from({ length: props.lines ?? 3 }, (_, i) => (
        <span key={i} className="skeleton" aria-hidden="true" />
      ))}
    </div>
  );
}

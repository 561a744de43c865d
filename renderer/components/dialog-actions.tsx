// The footer every form and confirmation dialog shares: Cancel, then the one action, both held while
// the action runs so a second click cannot send it twice.

interface DialogActionsProps {
  busy: boolean;
  /** The action's name, e.g. "Add account"; shown as `busyLabel` while it runs. */
  label: string;
  busyLabel: string;
  danger?: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}

export function DialogActions(props: DialogActionsProps) {
  return (
    <>
      <button type="button" className="btn" onClick={props.onCancel} disabled={props.busy}>
        Cancel
      </button>
      <button
        type="button"
        className={props.danger ? 'btn btn-danger' : 'btn btn-primary'}
        onClick={props.onConfirm}
        disabled={props.busy}
      >
        {props.busy ? props.busyLabel : props.label}
      </button>
    </>
  );
}

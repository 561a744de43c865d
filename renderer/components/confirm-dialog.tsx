// A confirmation for destructive actions: says what will happen, runs the action, and keeps the
// dialog open with the server's sentence when the action fails.

import { useState, type ReactNode } from 'react';
import type { DrErrorData } from '../../shared/errors';
import { toErrorData } from '../api';
import { ErrorAlert } from './error-alert';
import { Modal } from './modal';

export function ConfirmDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<DrErrorData | null>(null);
  const close = (open: boolean) => {
    if (busy) return;
    if (!open) setError(null);
    props.onOpenChange(open);
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      setBusy(false);
      props.onOpenChange(false);
    } catch (err) {
      setBusy(false);
      setError(toErrorData(err));
    }
  };
  return (
    <Modal
      open={props.open}
      onOpenChange={close}
      title={props.title}
      description={props.children}
      size="small"
      footer={
        <>
          <button type="button" className="btn" onClick={() => close(false)} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className={props.danger ? 'btn btn-danger' : 'btn btn-primary'}
            onClick={() => void confirm()}
            disabled={busy}
          >
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </>
      }
    >
      <ErrorAlert error={error} compact />
    </Modal>
  );
}

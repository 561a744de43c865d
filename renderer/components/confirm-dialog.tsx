// A confirmation for destructive actions: says what will happen, runs the action, and keeps the
// dialog open with the server's sentence when the action fails.

import { useState, type ReactNode } from 'react';
import type { DrErrorData } from '../../shared/errors';
import { toErrorData } from '../api';
import { ErrorAlert } from './error-alert';
import { Modal } from './modal';
import { DialogActions } from './dialog-actions';

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
        <DialogActions
          busy={busy}
          label={props.confirmLabel}
          busyLabel="Working…"
          danger={props.danger}
          onCancel={() => close(false)}
          onConfirm={() => void confirm()}
        />
      }
    >
      <ErrorAlert error={error} compact />
    </Modal>
  );
}

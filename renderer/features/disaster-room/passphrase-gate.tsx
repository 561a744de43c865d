// At start, where the OS has no keyring: set a passphrase (first time) or unlock with it. The dialog
// says why it asks; "Continue without credentials" keeps every local screen usable.

import { useEffect, useState } from 'react';
import { ErrorAlert } from '../../components/error-alert';
import { Field } from '../../components/field';
import { Modal } from '../../components/modal';
import { usePassphrase } from './passphrase-store';

export function PassphraseGate() {
  const { status, dismissed, busy, error } = usePassphrase();
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const [mismatch, setMismatch] = useState<string | undefined>();
  useEffect(() => {
    void usePassphrase.getState().load();
  }, []);
  const open = !!status && status.required && !status.unlocked && !dismissed;
  if (!open || !status) return null;
  const setting = !status.set;
  const submit = async () => {
    if (setting && first !== second) {
      setMismatch('The two passphrases differ.');
      return;
    }
    setMismatch(undefined);
    const ok = setting ? await usePassphrase.getState().set(first) : await usePassphrase.getState().unlock(first);
    if (ok) {
      setFirst('');
      setSecond('');
    } else setFirst('');
  };
  return (
    <Modal
      open
      onOpenChange={(o) => {
        if (!o) usePassphrase.getState().dismiss();
      }}
      title={setting ? 'Set a passphrase' : 'Unlock credentials'}
      description={<p>{status.reason}</p>}
      size="small"
      footer={
        <>
          <button type="button" className="btn" onClick={() => usePassphrase.getState().dismiss()} disabled={busy}>
            Continue without credentials
          </button>
          <button type="submit" form="passphrase-form" className="btn btn-primary" disabled={busy || first.length === 0}>
            {setting ? 'Set passphrase' : 'Unlock'}
          </button>
        </>
      }
    >
      <form
        id="passphrase-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Passphrase" hint={setting ? 'At least 10 characters. Without it, stored credentials cannot be read: keep it safe.' : undefined}>
          <input type="password" autoComplete={setting ? 'new-password' : 'current-password'} value={first} onChange={(e) => setFirst(e.target.value)} autoFocus />
        </Field>
        {setting && (
          <Field label="Repeat the passphrase" error={mismatch}>
            <input type="password" autoComplete="new-password" value={second} onChange={(e) => setSecond(e.target.value)} />
          </Field>
        )}
        {!setting && status.failedAttempts > 0 && !status.lockedUntil && (
          <p className="field-hint">{status.failedAttempts} wrong {status.failedAttempts === 1 ? 'try' : 'tries'} in a row; after 5, unlocking pauses for a minute, then for twice as long after each further wrong try.</p>
        )}
      </form>
      <ErrorAlert error={error} compact />
    </Modal>
  );
}

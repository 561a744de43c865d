// Sign in again to an Azure account a person signed in to (the saved sign-in expired or was revoked):
// the same person, with the account's cloud, tenant and app registration; the new sign-in replaces
// the saved one only when the operator confirms.

import { useState } from 'react';
import type { AccountView, AzureSignInMethod } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';
import { DialogActions } from '../../components/dialog-actions';
import { ErrorAlert } from '../../components/error-alert';
import { Field } from '../../components/field';
import { Modal } from '../../components/modal';
import { AzureSignInPanel, type SignedIn } from './azure-sign-in';

type Props = { account: AccountView | null; onOpenChange: (open: boolean) => void; onRenewed: (a: AccountView) => void };

export function AzureSignInAgainDialog(props: Props) {
  return props.account ? <SignInAgainForm {...props} account={props.account} /> : null;
}

function SignInAgainForm(props: Props & { account: AccountView }) {
  const [method, setMethod] = useState<AzureSignInMethod>('browser');
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<DrErrorData | null>(null);
  const save = async () => {
    if (!signedIn) {
      setError({ code: 'ValidationFailed', message: 'Sign in first; then save the new sign-in.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const a = await call('dr:azureSignIn.renew', { accountId: props.account.id, signInId: signedIn.signInId });
      setBusy(false);
      props.onRenewed(a);
      props.onOpenChange(false);
    } catch (err) {
      setBusy(false);
      setSignedIn(null);
      setError(toErrorData(err));
    }
  };
  return (
    <Modal
      open
      onOpenChange={(o) => !busy && props.onOpenChange(o)}
      title={`Sign in again to ${props.account.name}`}
      description="The saved sign-in is replaced when you save; sign in as the person this account was added for."
      size="small"
      footer={<DialogActions busy={busy} label="Save sign-in" busyLabel="Saving…" onCancel={() => props.onOpenChange(false)} onConfirm={() => void save()} />}
    >
      <div className="form-grid">
        <Field label="Sign in with">
          <select value={method} disabled={signingIn || signedIn !== null} onChange={(e) => setMethod(e.target.value as AzureSignInMethod)}>
            <option value="browser">The browser (this computer)</option>
            <option value="device-code">A device code (another device)</option>
          </select>
        </Field>
        <AzureSignInPanel
          key={method}
          accountId={props.account.id}
          method={method}
          cloud="AzurePublicCloud"
          tenant=""
          clientId=""
          validate={() => true}
          onBusyChange={setSigningIn}
          onSignedIn={setSignedIn}
        />
        <ErrorAlert error={error} compact />
      </div>
    </Modal>
  );
}

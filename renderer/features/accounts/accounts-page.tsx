// The Accounts page: cloud accounts (never their secrets) with Test connection, and the
// environments (region + scope) that policies replicate between.

import { AccountConnection } from '../disaster-room/connectivity-indicator';
import { useEffect, useState } from 'react';
import { CLOUD_LABELS } from '../../../shared/catalog';
import type { AccountView, EnvironmentView } from '../../../shared/domain';
import { describeScope } from '../../../shared/scope';
import { LongId } from '../../components/long-id';
import { Badge, SimulatedBadge } from '../../components/badges';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorAlert } from '../../components/error-alert';
import { TableBodyState } from '../../components/table-body-state';
import { useApp } from '../shell/app-store';
import { AddAccountDialog, AddEnvironmentDialog, CREDENTIAL_LABEL } from './account-dialogs';
import { AzureSignInAgainDialog } from './azure-sign-in-again';
import { useAccounts } from './accounts-store';

const PROVIDER_LABEL: Record<string, string> = { sim: 'Rehearsal (sim)', aws: 'AWS', azure: 'Azure', gcp: 'Google Cloud' };

export function AccountsPage() {
  const { accounts, environments, loading, error, load, tests, testAccount, deleteAccount, deleteEnvironment } = useAccounts();
  const info = useApp((s) => s.info);
  const [adding, setAdding] = useState(false);
  // The welcome panel's "Add a cloud account" arrives here with the dialog already asked for.
  const addRequested = useApp((s) => s.addAccountRequested);
  const [envFor, setEnvFor] = useState<AccountView | null>(null);
  const [signInAgain, setSignInAgain] = useState<AccountView | null>(null);
  const [deletingAccount, setDeletingAccount] = useState<AccountView | null>(null);
  const [deletingEnv, setDeletingEnv] = useState<EnvironmentView | null>(null);

  useEffect(() => {
    void load({ quiet: accounts !== null });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const accountName = (id: string) => accounts?.find((a) => a.id === id)?.name ?? id;
  const envCount = (id: string) => environments?.filter((e) => e.accountId === id).length ?? 0;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Accounts</h1>
          <p className="page-subtitle">Cloud accounts the console signs in to, and the environments policies replicate between.</p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setAdding(true)} disabled={!info}>
          Add account
        </button>
      </div>
      {error && <ErrorAlert error={{ ...error, message: `Could not load accounts. ${error.message}` }} onRetry={() => void load()} />}
      <section className="panel" aria-labelledby="accounts-title">
        <div className="panel-header">
          <h2 id="accounts-title" className="panel-title">
            Cloud accounts
          </h2>
        </div>
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Cloud accounts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider</th>
                <th scope="col">Cloud</th>
                <th scope="col">Credentials</th>
                <th scope="col" className="num">
                  Environments
                </th>
                <th scope="col">Connection</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <TableBodyState
              rows={accounts}
              columns={7}
              loading={loading || !error}
              loadingRows={2}
              loadingLabel="Loading accounts"
              empty={
                <>
                  <p className="empty-title">No cloud accounts</p>
                  <p className="muted">Add an account, or create the rehearsal workspace from the Policies page.</p>
                </>
              }
            >
              {(a) => {
                const t = tests[a.id];
                return (
                  <tr key={a.id}>
                    <th scope="row" className="cell-name">
                      {a.name} {a.simulated && <SimulatedBadge />}
                    </th>
                    <td>{PROVIDER_LABEL[a.provider] ?? a.provider}</td>
                    <td>{CLOUD_LABELS[a.cloud]}</td>
                    <td>{CREDENTIAL_LABEL[a.credentialKind] ?? a.credentialKind}</td>
                    <td className="num tabular">{envCount(a.id)}</td>
                    <td role="status" className="small">
                      {!t && <AccountConnection accountId={a.id} />}
                      {t?.state === 'testing' && <span className="muted">Testing…</span>}
                      {t?.state === 'done' &&
                        (t.result.ok ? (
                          <>
                            <Badge tone="ok" title={t.result.message}>{`Connected as ${t.result.identity}`}</Badge>
                            {/* Azure and Google Cloud say what they saw (resource groups counted; zones listed and
                                APIs not enabled, with the command to enable them): the sentence is the result. */}
                            {(a.provider === 'azure' || a.provider === 'gcp') && <span className="muted"> {t.result.message}</span>}
                          </>
                        ) : (
                          <span className="text-bad">{t.result.message}</span>
                        ))}
                      {t?.state === 'error' && <span className="text-bad">{t.error.message}</span>}
                    </td>
                    <td className="cell-actions">
                      <button type="button" className="btn btn-small" onClick={() => void testAccount(a.id)} disabled={t?.state === 'testing'} aria-label={`Test connection of ${a.name}`}>
                        Test connection
                      </button>
                      {a.credentialKind === 'azure-user' && (
                        <button type="button" className="btn btn-small" onClick={() => setSignInAgain(a)} aria-label={`Sign in again to ${a.name}`}>
                          Sign in again
                        </button>
                      )}
                      <button type="button" className="btn btn-small" onClick={() => setEnvFor(a)} aria-label={`Add environment to ${a.name}`}>
                        Add environment
                      </button>
                      <button type="button" className="btn btn-small btn-danger-outline" onClick={() => setDeletingAccount(a)} aria-label={`Delete account ${a.name}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              }}
            </TableBodyState>
          </table>
        </div>
      </section>
      <section className="panel" aria-labelledby="environments-title">
        <div className="panel-header">
          <h2 id="environments-title" className="panel-title">
            Environments
          </h2>
        </div>
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Environments</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Account</th>
                <th scope="col">Cloud</th>
                <th scope="col">Region</th>
                <th scope="col">Scope</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <TableBodyState
              rows={environments}
              columns={6}
              loading={loading || !error}
              loadingRows={2}
              loadingLabel="Loading environments"
              empty={
                <>
                  No environments yet. Use <strong>Add environment</strong> on an account.
                </>
              }
            >
              {(e) => (
                <tr key={e.id}>
                  <th scope="row" className="cell-name">
                    {e.name}
                  </th>
                  <td>{accountName(e.accountId)}</td>
                  <td>{CLOUD_LABELS[e.cloud]}</td>
                  <td className="mono">{e.region}</td>
                  <td>{describeScope(e.scope) ? <LongId value={describeScope(e.scope)} label={`scope of ${e.name}`} /> : <span className="muted">—</span>}</td>
                  <td className="cell-actions">
                    <button type="button" className="btn btn-small btn-danger-outline" onClick={() => setDeletingEnv(e)} aria-label={`Delete environment ${e.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              )}
            </TableBodyState>
          </table>
        </div>
      </section>
      <AddAccountDialog
        open={adding || addRequested}
        onOpenChange={(open) => {
          setAdding(open);
          if (!open) useApp.getState().consumeAddAccountRequest();
        }}
        onCreated={(a) => setEnvFor(a)} />
      <AzureSignInAgainDialog account={signInAgain} onOpenChange={(o) => !o && setSignInAgain(null)} onRenewed={() => undefined} />
      <AddEnvironmentDialog open={envFor !== null} onOpenChange={(o) => !o && setEnvFor(null)} account={envFor} />
      <ConfirmDialog
        open={deletingAccount !== null}
        onOpenChange={(o) => !o && setDeletingAccount(null)}
        title="Delete account"
        confirmLabel="Delete account"
        danger
        onConfirm={async () => {
          if (deletingAccount) await deleteAccount(deletingAccount.id);
        }}
      >
        <p>
          Delete <strong>{deletingAccount?.name}</strong> and its stored credentials? An account that policies still use cannot be deleted.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={deletingEnv !== null}
        onOpenChange={(o) => !o && setDeletingEnv(null)}
        title="Delete environment"
        confirmLabel="Delete environment"
        danger
        onConfirm={async () => {
          if (deletingEnv) await deleteEnvironment(deletingEnv.id);
        }}
      >
        <p>
          Delete the environment <strong>{deletingEnv?.name}</strong> ({deletingEnv?.region})? An environment that a policy uses cannot be
          deleted.
        </p>
      </ConfirmDialog>
    </>
  );
}

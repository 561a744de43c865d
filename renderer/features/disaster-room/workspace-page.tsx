// The Workspace page: hand the workspace over to a second laptop (an encrypted bundle), take one
// over, rebuild the catalog from the clouds (saying what that cannot bring back), and change the
// passphrase where one guards the credentials.

import { useState } from 'react';
import { ErrorAlert } from '../../components/error-alert';
import { Field } from '../../components/field';
import { usePassphrase } from './passphrase-store';
import { useWorkspace } from './workspace-store';

/** Said before a rebuild runs, not only after: what the clouds do not hold (main's list, same words). */
const CANNOT_RECOVER = [
  'the audit log and its hash chain (a handover bundle carries it)',
  'job history other than the replications that produced a recovery point',
  'the journal of a failover running on another console: only that console can finish it',
  'recovery points whose manifest never reached the target',
  'credentials and webhook signing secrets',
  'test failover resources still in the target (delete them in the cloud; they carry the dr:test tag)',
];

export function WorkspacePage() {
  return (
    <section className="page" aria-labelledby="workspace-title">
      <div className="page-header">
        <div>
          <h1 id="workspace-title">Workspace</h1>
          <p className="page-subtitle">Hand this console over to a second laptop, take one over, or rebuild from the clouds after losing the data file.</p>
        </div>
      </div>
      <ExportSection />
      <ImportSection />
      <RebuildSection />
      <ChangePassphraseSection />
    </section>
  );
}

function ExportSection() {
  const { busy, error, exported } = useWorkspace();
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [creds, setCreds] = useState(false);
  const mismatch = again.length > 0 && again !== pass ? 'The two passphrases differ.' : undefined;
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Export handover bundle</h2>
      <p>One file with the policies, environments, recovery-point catalog, jobs and audit log, encrypted with a passphrase you give the other operator separately.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!mismatch) void useWorkspace.getState().exportBundle(pass, creds);
        }}
      >
        <Field label="Bundle passphrase" hint="At least 10 characters.">
          <input type="password" autoComplete="new-password" value={pass} onChange={(e) => setPass(e.target.value)} />
        </Field>
        <Field label="Repeat the bundle passphrase" error={mismatch}>
          <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={creds} onChange={(e) => setCreds(e.target.checked)} /> Include cloud credentials and webhook secrets (off: the other console enters them again)
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy !== null || pass.length < 10 || pass !== again}>
          {busy === 'export' ? 'Exporting…' : 'Export bundle'}
        </button>
      </form>
      {error?.action === 'export' && <ErrorAlert error={error.data} compact />}
      {exported && (
        <p role="status">
          Exported {exported.fileName}: {exported.policies} policy(ies), {Math.ceil(exported.bytes / 1024)} KiB, credentials {exported.credentialsIncluded ? 'included' : 'excluded'}.
        </p>
      )}
    </section>
  );
}

function ImportSection() {
  const { busy, error, imported } = useWorkspace();
  const [file, setFile] = useState<File | null>(null);
  const [pass, setPass] = useState('');
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import handover bundle</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void useWorkspace.getState().importBundle(file, pass);
        }}
      >
        <Field label="Bundle file">
          <input type="file" accept=".fcbundle,application/octet-stream" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </Field>
        <Field label="Passphrase of the bundle">
          <input type="password" autoComplete="off" value={pass} onChange={(e) => setPass(e.target.value)} />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy !== null || !file || pass.length === 0}>
          {busy === 'import' ? 'Importing…' : 'Import bundle'}
        </button>
      </form>
      {error?.action === 'import' && <ErrorAlert error={error.data} compact />}
      {imported && (
        <div role="status">
          <p>
            Imported the bundle from {imported.exportedBy} ({imported.exportedAt}): {imported.policiesAdded} policy(ies) added, {imported.policiesUpdated} updated, {imported.recoveryPointsAdded} recovery point(s), {imported.jobsAdded} job(s), {imported.auditEntriesAdded} audit entries.
          </p>
          {imported.conflicts.length > 0 && (
            <table className="table" aria-label="Import conflicts">
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">Bundle</th>
                  <th scope="col">What happened</th>
                </tr>
              </thead>
              <tbody>
                {imported.conflicts.map((c) => (
                  <tr key={c.policyId}>
                    <th scope="row">{c.policyName}</th>
                    <td>{c.bundle}</td>
                    <td>{c.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function RebuildSection() {
  const { busy, error, rebuilt } = useWorkspace();
  return (
    <section className="card" aria-labelledby="rebuild-title">
      <h2 id="rebuild-title">Rebuild from the clouds</h2>
      <p>Scans the target environments of the accounts configured here and rebuilds each policy&apos;s recovery points from the catalog the console keeps there, and its failover state from the failover lease and tags. A policy whose failover started elsewhere comes back as failing over, never as available.</p>
      <p>A rebuild cannot recover:</p>
      <ul aria-label="What a rebuild cannot recover">
        {CANNOT_RECOVER.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <button type="button" className="btn btn-primary" disabled={busy !== null} onClick={() => void useWorkspace.getState().rebuild()}>
        {busy === 'rebuild' ? 'Rebuilding…' : 'Rebuild from the clouds'}
      </button>
      {error?.action === 'rebuild' && <ErrorAlert error={error.data} compact />}
      {rebuilt && (
        <div role="status">
          <p>
            Scanned {rebuilt.environmentsScanned} environment(s){rebuilt.environmentsUnreachable.length > 0 ? `; ${rebuilt.environmentsUnreachable.length} could not be reached: ${rebuilt.environmentsUnreachable.map((e) => `${e.name} (${e.error})`).join('; ')}` : ''}.
          </p>
          <table className="table" aria-label="Rebuilt policies">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Outcome</th>
                <th scope="col">State</th>
                <th scope="col">Recovery points added</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {rebuilt.policies.map((p) => (
                <tr key={p.policyId}>
                  <th scope="row">{p.policyName}</th>
                  <td>{p.outcome}</td>
                  <td>{p.state.replace('_', ' ')}</td>
                  <td>{p.recoveryPointsAdded}</td>
                  <td>{p.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ChangePassphraseSection() {
  const { status, busy, error, notice } = usePassphrase();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  if (!status?.required || !status.set) return null;
  return (
    <section className="card" aria-labelledby="change-pass-title">
      <h2 id="change-pass-title">Change passphrase</h2>
      <p>{status.reason}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void usePassphrase
            .getState()
            .change(current, next)
            .then((ok) => {
              if (ok) {
                setCurrent('');
                setNext('');
              }
            });
        }}
      >
        <Field label="Current passphrase">
          <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </Field>
        <Field label="New passphrase" hint="At least 10 characters.">
          <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy || current.length === 0 || next.length < 10}>
          Change passphrase
        </button>
      </form>
      {error && <ErrorAlert error={error} compact />}
      {notice && <p role="status">{notice}</p>}
    </section>
  );
}

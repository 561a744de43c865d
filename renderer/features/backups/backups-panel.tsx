// The Backups panel: copies of the data file (before each upgrade, every few hours, on request),
// Back up now, and Restore with a confirmation (the console restarts with the chosen copy).

import { useEffect, useState } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorAlert } from '../../components/error-alert';
import { useBackups } from './backups-store';

const REASON: Record<string, string> = { scheduled: 'Scheduled', manual: 'On request', 'pre-migration': 'Before an upgrade' };

export function BackupsPanel() {
  const { backups, busy, error, notice, load, create, restore } = useBackups();
  const [confirming, setConfirming] = useState<string | null>(null);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="panel backups-panel" aria-labelledby="backups-heading">
      <div className="page-header">
        <h2 id="backups-heading">Backups of the data file</h2>
        <button type="button" className="btn" onClick={() => void create()} disabled={busy}>
          Back up now
        </button>
      </div>
      {error && <ErrorAlert error={error} />}
      {notice && <p role="status">{notice}</p>}
      <table className="table">
        <caption className="visually-hidden">Backups</caption>
        <thead>
          <tr>
            <th scope="col">Taken</th>
            <th scope="col">Why</th>
            <th scope="col">Size</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {backups?.length === 0 && (
            <tr>
              <td colSpan={4}>No backup yet.</td>
            </tr>
          )}
          {backups?.map((b) => (
            <tr key={b.name}>
              <td>{new Date(b.createdAt).toLocaleString()}</td>
              <td>{REASON[b.reason] ?? b.reason}</td>
              <td>{(b.bytes / 1024).toFixed(0)} KB</td>
              <td>
                <button type="button" className="btn btn-ghost" onClick={() => setConfirming(b.name)} disabled={busy}>
                  Restore
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ConfirmDialog
        open={confirming !== null}
        onOpenChange={(open) => {
          if (!open) setConfirming(null);
        }}
        title="Restore this backup?"
        confirmLabel="Restore"
        danger
        onConfirm={async () => {
          if (confirming) await restore(confirming);
        }}
      >
        The console restarts with this copy of its data. Everything saved after it was taken is not in it; the current file is kept
        beside it and is not deleted.
      </ConfirmDialog>
    </section>
  );
}

// The read-only banner: after a failed write (disk full, I/O error, read-only file) main refuses
// every change; the banner says why, that lists, searches and exports still work, and offers
// Check again (a test write in main).

import { ErrorAlert } from '../../components/error-alert';
import { useApp } from './app-store';

export function ReadOnlyBanner() {
  const storage = useApp((s) => s.storage);
  const rechecking = useApp((s) => s.recheckingStorage);
  const error = useApp((s) => s.storageError);
  const recheck = useApp((s) => s.recheckStorage);
  if (!storage?.readOnly) return null;
  return (
    <section className="read-only-banner" role="alert" aria-label="Read-only mode">
      <p>
        <strong>Read-only mode.</strong> {storage.reason} Lists, searches and exports still work; changes are refused until a
        write succeeds.
      </p>
      <button type="button" className="btn" onClick={() => void recheck()} disabled={rechecking}>
        {rechecking ? 'Checking…' : 'Check again'}
      </button>
      {error && <ErrorAlert error={error} />}
    </section>
  );
}

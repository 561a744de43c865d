// The "Create policy" (and "Edit policy") dialog: Account → Environments → Resources → Schedule →
// Review. Radix owns focus; each step moves focus to its heading so screen readers follow along.

import { useEffect, useMemo, useRef } from 'react';
import { CLOUD_LABELS, RESOURCE_TYPES, resourceType } from '../../../shared/catalog';
import type { DiscoveredResource, EnvironmentView, PolicyDetails } from '../../../shared/domain';
import { ErrorAlert } from '../../components/error-alert';
import { Field, NAME_MAX } from '../../components/field';
import { SCHEDULE_PRESETS, describeSchedule, environmentLabel, plural, withSimulatedSuffix } from '../../components/format';
import { Modal } from '../../components/modal';
import { SkeletonBlock } from '../../components/skeleton';
import { SimulatedBadge } from '../../components/badges';
import { useAccounts } from '../accounts/accounts-store';
import { STEPS, cronOf, resourceKey, usePolicyForm } from './policy-form-store';

export function PolicyFormDialog(props: { onSaved: (policy: PolicyDetails) => void }) {
  const form = usePolicyForm();
  const loadAccounts = useAccounts((s) => s.load);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstStepRender = useRef(true);

  useEffect(() => {
    if (form.open) void loadAccounts({ quiet: true });
  }, [form.open, loadAccounts]);

  useEffect(() => {
    // On open Radix focuses the first field; on later step changes the step heading takes focus.
    if (firstStepRender.current) {
      firstStepRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [form.step]);
  useEffect(() => {
    if (!form.open) firstStepRender.current = true;
  }, [form.open]);

  const last = form.step === STEPS.length - 1;
  const submitLabel = form.mode === 'edit' ? 'Save changes' : 'Create policy';
  const onSubmit = async () => {
    const saved = await form.submit();
    if (saved) props.onSaved(saved);
  };

  return (
    <Modal
      open={form.open}
      onOpenChange={(open) => (open ? undefined : form.close())}
      title={form.mode === 'edit' ? 'Edit policy' : 'Create policy'}
      size="large"
      footer={
        <>
          <span className="modal-footer-note">
            Step {form.step + 1} of {STEPS.length}
          </span>
          <button type="button" className="btn" onClick={form.close} disabled={form.submitting}>
            Cancel
          </button>
          <button type="button" className="btn" onClick={form.back} disabled={form.step === 0 || form.submitting}>
            Back
          </button>
          {last ? (
            <button type="button" className="btn btn-primary" onClick={() => void onSubmit()} disabled={form.submitting}>
              {form.submitting ? 'Saving…' : submitLabel}
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={form.next}>
              Next
            </button>
          )}
        </>
      }
    >
      <form
        className="wizard"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (last) void onSubmit();
          else form.next();
        }}
      >
        <ol className="wizard-steps" aria-label="Steps">
          {STEPS.map((label, i) => (
            <li key={label} className={i === form.step ? 'current' : i < form.step ? 'done' : ''} aria-current={i === form.step ? 'step' : undefined}>
              {i < form.step ? (
                <button type="button" className="linklike" onClick={() => form.goTo(i)}>
                  <span className="wizard-num" aria-hidden="true">✓</span>
                  {label}
                </button>
              ) : (
                <span>
                  <span className="wizard-num" aria-hidden="true">
                    {i + 1}
                  </span>
                  {label}
                </span>
              )}
            </li>
          ))}
        </ol>
        <div className="wizard-body">
          <h3 className="wizard-heading" tabIndex={-1} ref={headingRef}>
            {STEP_HEADINGS[form.step]}
          </h3>
          {form.step === 0 && <AccountStep />}
          {form.step === 1 && <EnvironmentsStep />}
          {form.step === 2 && <ResourcesStep />}
          {form.step === 3 && <ScheduleStep />}
          {form.step === 4 && <ReviewStep />}
          <ErrorAlert error={form.error} compact />
        </div>
        {/* Enter in a text field submits the step, as in any form. */}
        <button type="submit" hidden tabIndex={-1} aria-hidden="true" />
      </form>
    </Modal>
  );
}

const STEP_HEADINGS = [
  'Name the policy and choose its cloud account',
  'Source and target environment',
  'Resources to protect',
  'Replication schedule and webhook',
  'Review',
];

function AccountStep() {
  const { name, accountId, fieldErrors, set } = usePolicyForm();
  const { accounts, loading, error, load } = useAccounts();
  return (
    <div className="form-grid">
      <Field
        label="Policy name"
        error={fieldErrors.name}
        hint="Unique; shown in jobs, reports and the webhook (PolicyName)."
        limit={{ length: name.length, max: NAME_MAX }}
      >
        <input type="text" value={name} autoComplete="off" onChange={(e) => set('name', e.target.value)} />
      </Field>
      {error ? (
        <ErrorAlert error={error} onRetry={() => void load()} compact />
      ) : accounts === null || (loading && accounts.length === 0) ? (
        <SkeletonBlock label="Loading accounts" lines={2} />
      ) : accounts.length === 0 ? (
        <p className="empty-inline">No cloud accounts yet. Add one on the Accounts page, or create the rehearsal workspace.</p>
      ) : (
        <Field label="Cloud account" error={fieldErrors.accountId}>
          <select value={accountId} onChange={(e) => set('accountId', e.target.value)}>
            <option value="">Choose an account…</option>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {withSimulatedSuffix(a.name, a.simulated)} — {CLOUD_LABELS[a.cloud]}
              </option>
            ))}
          </select>
        </Field>
      )}
    </div>
  );
}

function envLabel(env: EnvironmentView): string {
  return environmentLabel(env);
}

function EnvironmentsStep() {
  const { accountId, sourceEnvironmentId, targetEnvironmentId, fieldErrors, set } = usePolicyForm();
  const { accounts, environments } = useAccounts();
  const account = accounts?.find((a) => a.id === accountId);
  const sources = (environments ?? []).filter((e) => e.accountId === accountId);
  // Failover stays within one cloud; the target may live in another account of that cloud.
  const targets = (environments ?? []).filter((e) => account && e.cloud === account.cloud && e.id !== sourceEnvironmentId);
  const accountName = (id: string) => accounts?.find((a) => a.id === id)?.name ?? id;
  const targetsByAccount = new Map<string, EnvironmentView[]>();
  for (const t of targets) targetsByAccount.set(t.accountId, [...(targetsByAccount.get(t.accountId) ?? []), t]);

  if (sources.length === 0) {
    return <p className="empty-inline">The account {account?.name ?? ''} has no environments. Add one on the Accounts page first.</p>;
  }
  return (
    <div className="form-grid">
      <p className="form-note">
        Both environments are in {account ? CLOUD_LABELS[account.cloud] : 'the same cloud'}. Replication copies the source's
        resources to the target; failover brings them up there.
      </p>
      <Field label="Source environment" error={fieldErrors.sourceEnvironmentId} hint="Where the protected resources run today.">
        <select value={sourceEnvironmentId} onChange={(e) => set('sourceEnvironmentId', e.target.value)}>
          <option value="">Choose the source…</option>
          {sources.map((e) => (
            <option key={e.id} value={e.id}>
              {envLabel(e)}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Target environment"
        error={fieldErrors.targetEnvironmentId}
        hint={sourceEnvironmentId ? 'Where resources come up after failover. The source is not offered.' : 'Choose the source first.'}
      >
        <select value={targetEnvironmentId} disabled={!sourceEnvironmentId} onChange={(e) => set('targetEnvironmentId', e.target.value)}>
          <option value="">{targets.length === 0 && sourceEnvironmentId ? 'No other environment in this cloud' : 'Choose the target…'}</option>
          {[...targetsByAccount.entries()].map(([acc, envs]) => (
            <optgroup key={acc} label={accountName(acc)}>
              {envs.map((e) => (
                <option key={e.id} value={e.id}>
                  {envLabel(e)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </Field>
    </div>
  );
}

function matches(r: DiscoveredResource, q: string): boolean {
  if (!q) return true;
  const hay = `${r.name} ${r.nativeId} ${r.summary} ${resourceType(r.type).label} ${Object.entries(r.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

function Checkbox(props: { checked: boolean; indeterminate?: boolean; label: string; onChange: (on: boolean) => void; className?: string }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = !!props.indeterminate;
  }, [props.indeterminate]);
  return (
    <input
      ref={ref}
      type="checkbox"
      className={props.className}
      aria-label={props.label}
      checked={props.checked}
      onChange={(e) => props.onChange(e.target.checked)}
    />
  );
}

function ResourcesStep() {
  const form = usePolicyForm();
  const { inventory, inventoryLoading, inventoryError, selected, filter, fieldErrors } = form;
  const shown = useMemo(() => (inventory ?? []).filter((r) => matches(r, filter.trim())), [inventory, filter]);
  const groups = useMemo(() => {
    const byType = new Map<string, DiscoveredResource[]>();
    for (const r of shown) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
    // Catalog order, so the groups read the same way on every screen.
    return RESOURCE_TYPES.filter((t) => byType.has(t.id)).map((t) => ({ type: t, items: byType.get(t.id) ?? [] }));
  }, [shown]);
  const selectedCount = Object.keys(selected).length;
  const shownSelected = shown.filter((r) => selected[resourceKey(r)]).length;
  const missing = inventory ? Object.values(selected).filter((s) => !inventory.some((r) => resourceKey(r) === resourceKey(s))) : [];

  if (inventoryError) {
    return <ErrorAlert error={inventoryError} onRetry={() => void form.loadInventory({ force: true })} retryLabel="Discover again" />;
  }
  if (inventoryLoading || inventory === null) return <SkeletonBlock label="Discovering resources in the source environment" lines={6} />;
  if (inventory.length === 0) {
    return <p className="empty-inline">Discovery found no resources in the source environment. Choose another source, or add resources in the cloud.</p>;
  }
  return (
    <div className="resource-picker">
      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">Filter resources</span>
          <input type="search" placeholder="Filter by name, id, type or tag" value={filter} onChange={(e) => form.setFilter(e.target.value)} />
        </label>
        <label className="checkbox-label">
          <Checkbox
            label={filter ? 'Select all shown' : 'Select all'}
            checked={shown.length > 0 && shownSelected === shown.length}
            indeterminate={shownSelected > 0 && shownSelected < shown.length}
            onChange={(on) => form.setMany(shown, on)}
          />
          <span aria-hidden="true">{filter ? 'Select all shown' : 'Select all'}</span>
        </label>
        <span className="toolbar-spacer" />
        <span className="counter" aria-live="polite">
          {plural(selectedCount, 'resource')} selected of {inventory.length.toLocaleString('en-GB')}
        </span>
      </div>
      {fieldErrors.resources && <p className="field-error">{fieldErrors.resources}</p>}
      {missing.length > 0 && (
        <p className="form-note">
          {plural(missing.length, 'protected resource was', 'protected resources were')} not found by discovery and stay selected:{' '}
          {missing.map((m) => m.name || m.nativeId).join(', ')}.
        </p>
      )}
      <div className="table-scroll picker-scroll">
        <table className="table table-dense">
          <caption className="visually-hidden">Discovered resources, grouped by type</caption>
          <thead>
            <tr>
              <th scope="col" className="col-check">
                <span className="visually-hidden">Selected</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">Details</th>
              <th scope="col">Region</th>
              <th scope="col">Native id</th>
            </tr>
          </thead>
          {groups.length === 0 ? (
            <tbody>
              <tr>
                <td colSpan={5} className="empty-cell">
                  No resource matches “{filter}”.
                </td>
              </tr>
            </tbody>
          ) : (
            groups.map((g) => {
              const on = g.items.filter((r) => selected[resourceKey(r)]).length;
              return (
                <tbody key={g.type.id}>
                  <tr className="group-row">
                    <td className="col-check">
                      <Checkbox
                        label={`Select all ${g.type.label}`}
                        checked={on === g.items.length}
                        indeterminate={on > 0 && on < g.items.length}
                        onChange={(v) => form.setMany(g.items, v)}
                      />
                    </td>
                    <th scope="rowgroup" colSpan={4}>
                      {g.type.label} <span className="muted">· {on} of {g.items.length} selected</span>
                    </th>
                  </tr>
                  {g.items.map((r) => {
                    const key = resourceKey(r);
                    return (
                      <tr key={key} className={selected[key] ? 'row-selected' : undefined}>
                        <td className="col-check">
                          <Checkbox label={`Select ${r.name || r.nativeId}`} checked={!!selected[key]} onChange={() => form.toggle(r)} />
                        </td>
                        <th scope="row" className="cell-name">
                          {r.name || r.nativeId}
                        </th>
                        <td className="muted cell-summary" title={r.summary}>
                          {r.summary}
                        </td>
                        <td className="mono">{r.region}</td>
                        <td className="mono cell-truncate" title={r.nativeId}>
                          {r.nativeId}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              );
            })
          )}
        </table>
      </div>
    </div>
  );
}

function ScheduleStep() {
  const { schedulePreset, customCron, webhookUrl, webhookSecret, removeWebhookSecret, webhookOnTestFailover, webhookAllowPrivateTargets, hasStoredSecret, mode, fieldErrors, set } =
    usePolicyForm();
  const keepsStoredSecret = mode === 'edit' && hasStoredSecret;
  return (
    <div className="form-grid">
      <fieldset className="fieldset">
        <legend className="field-label">Replication schedule</legend>
        <div className="radio-list">
          {SCHEDULE_PRESETS.map((p) => (
            <label key={p.id} className="radio-label">
              <input type="radio" name="schedule" value={p.id} checked={schedulePreset === p.id} onChange={() => set('schedulePreset', p.id)} />
              {p.label}
              {p.cron && <span className="mono muted"> {p.cron}</span>}
            </label>
          ))}
          <label className="radio-label">
            <input type="radio" name="schedule" value="custom" checked={schedulePreset === 'custom'} onChange={() => set('schedulePreset', 'custom')} />
            Custom cron
          </label>
        </div>
        <p className="field-hint">Scheduled replication runs while the console is open. Run replication by hand at any time.</p>
      </fieldset>
      {schedulePreset === 'custom' && (
        <Field label="Cron expression" error={fieldErrors.schedule} hint="Five fields: minute hour day month weekday, e.g. 30 */6 * * *">
          <input type="text" className="mono" value={customCron} autoComplete="off" spellCheck={false} onChange={(e) => set('customCron', e.target.value)} />
        </Field>
      )}
      {schedulePreset !== 'custom' && fieldErrors.schedule && <p className="field-error">{fieldErrors.schedule}</p>}
      <Field
        label="Webhook URL"
        optional
        error={fieldErrors.webhookUrl}
        hint="When set, the failover job's resource mapping is POSTed here as JSON."
      >
        <input
          type="url"
          inputMode="url"
          placeholder="https://hooks.example.com/failover"
          value={webhookUrl}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => set('webhookUrl', e.target.value)}
        />
      </Field>
      <Field
        label="Webhook signing secret"
        optional
        error={fieldErrors.webhookSecret}
        hint={
          keepsStoredSecret
            ? removeWebhookSecret
              ? 'The stored secret will be removed when you save; deliveries will not be signed.'
              : 'A secret is stored — leave empty to keep it, or type a new one to replace it. It is never shown again.'
            : 'A Standard Webhooks secret (whsec_…) or at least 16 characters. Deliveries carry webhook-id, webhook-timestamp and webhook-signature headers made with it. It is stored encrypted and never shown again.'
        }
      >
        <input
          type="password"
          value={webhookSecret}
          autoComplete="new-password"
          spellCheck={false}
          disabled={removeWebhookSecret}
          placeholder={keepsStoredSecret && !removeWebhookSecret ? '•••••••• (stored)' : undefined}
          onChange={(e) => set('webhookSecret', e.target.value)}
        />
      </Field>
      {keepsStoredSecret && (
        <label className="checkbox-label">
          <input
            type="checkbox"
            checked={removeWebhookSecret}
            onChange={(e) => {
              set('removeWebhookSecret', e.target.checked);
              if (e.target.checked) set('webhookSecret', '');
            }}
          />
          Remove the stored secret
        </label>
      )}
      <label className="checkbox-label">
        <input type="checkbox" checked={webhookOnTestFailover} onChange={(e) => set('webhookOnTestFailover', e.target.checked)} />
        Also send for test failovers
      </label>
      <label className="checkbox-label">
        <input type="checkbox" checked={webhookAllowPrivateTargets} onChange={(e) => set('webhookAllowPrivateTargets', e.target.checked)} />
        Allow link-local and cloud metadata addresses as the webhook target
      </label>
    </div>
  );
}

function ReviewStep() {
  const form = usePolicyForm();
  const { accounts, environments } = useAccounts();
  const account = accounts?.find((a) => a.id === form.accountId);
  const env = (id: string) => environments?.find((e) => e.id === id);
  const src = env(form.sourceEnvironmentId);
  const tgt = env(form.targetEnvironmentId);
  const resources = Object.values(form.selected);
  const byType = RESOURCE_TYPES.map((t) => ({ t, n: resources.filter((r) => r.type === t.id).length })).filter((x) => x.n > 0);
  const latestTypes = byType.filter((x) => x.t.usesLatestPoint);
  return (
    <div className="review">
      <dl className="review-list">
        <dt>Name</dt>
        <dd>{form.name.trim()}</dd>
        <dt>Account</dt>
        <dd>
          {account ? `${account.name} — ${CLOUD_LABELS[account.cloud]}` : '—'} {account?.simulated && <SimulatedBadge />}
        </dd>
        <dt>Source → target</dt>
        <dd>
          {src ? envLabel(src) : '—'} <span aria-label="to">→</span> {tgt ? envLabel(tgt) : '—'}
        </dd>
        <dt>Resources</dt>
        <dd>
          {plural(resources.length, 'resource')}
          <ul className="review-types">
            {byType.map(({ t, n }) => (
              <li key={t.id}>
                {t.label}: {n}
              </li>
            ))}
          </ul>
        </dd>
        <dt>Schedule</dt>
        <dd>{describeSchedule(cronOf(form))}</dd>
        <dt>Webhook URL</dt>
        <dd className="mono">{form.webhookUrl.trim() || 'None'}</dd>
        {form.webhookUrl.trim() && (
          <>
            <dt>Webhook signing</dt>
            <dd>
              {form.webhookSecret
                ? 'Signed with the new secret'
                : form.mode === 'edit' && form.hasStoredSecret && !form.removeWebhookSecret
                  ? 'Signed with the stored secret'
                  : 'Not signed'}
              {form.webhookOnTestFailover ? '; also sent for test failovers' : ''}
            </dd>
          </>
        )}
      </dl>
      {latestTypes.length > 0 && (
        <p className="form-note">
          Failover of {latestTypes.map((x) => x.t.label).join(', ')} always uses the latest successful recovery point, whichever
          point is selected.
        </p>
      )}
    </div>
  );
}

// Azure in the Add account and Add environment dialogs: the cloud choice, a person's sign-in (system
// browser or device code, followed through dr:azureSignIn.wait until it reaches a state: never a
// timer guessing), the tenant picked from what the sign-in reaches, and for an environment the
// subscription and resource group picked from ARM with a Test connection that counts the groups.

import { useEffect, useRef, useState } from 'react';
import type { AzureCloudName, AzureResourceGroupView, AzureSignInMethod, AzureSignInView, AzureSubscriptionView, AzureTenantView } from '../../../shared/domain';
import { call, toErrorData } from '../../api';
import { Field } from '../../components/field';

export const AZURE_CLOUD_LABEL: Record<AzureCloudName, string> = {
  AzurePublicCloud: 'Azure (global)',
  AzureUSGovernment: 'Azure Government (US)',
  AzureChinaCloud: 'Azure China (21Vianet)',
};

export function AzureCloudSelect(props: { value: AzureCloudName; onChange: (c: AzureCloudName) => void; disabled?: boolean }) {
  return (
    <Field label="Azure cloud" hint="Global Azure or a sovereign cloud: where the account signs in and which Resource Manager it talks to.">
      <select value={props.value} disabled={props.disabled} onChange={(e) => props.onChange(e.target.value as AzureCloudName)}>
        {(Object.keys(AZURE_CLOUD_LABEL) as AzureCloudName[]).map((c) => (
          <option key={c} value={c}>
            {AZURE_CLOUD_LABEL[c]}
          </option>
        ))}
      </select>
    </Field>
  );
}

const FINAL = new Set<AzureSignInView['state']>(['signed-in', 'failed', 'cancelled']);

export interface SignedIn {
  signInId: string;
  username: string;
  homeTenantId: string | null;
}

/**
 * Starts the sign-in when asked and follows it: "waiting for the browser", the device code (large,
 * with a copy button), then signed in or the sentence why not. Unmounting cancels a sign-in that is
 * still open, so a closed dialog leaves nothing waiting in main.
 */
export function AzureSignInPanel(props: {
  method: AzureSignInMethod;
  cloud: AzureCloudName;
  tenant: string;
  clientId: string;
  /** Signs in again to this account (main takes its cloud, tenant and app registration). */
  accountId?: string;
  /** Checks the fields first; returns false when they need attention. */
  validate: () => boolean;
  onSignedIn: (s: SignedIn | null) => void;
  /** True while a sign-in is open: the dialog keeps its fields still (they made this sign-in). */
  onBusyChange?: (busy: boolean) => void;
}) {
  const [view, setView] = useState<AzureSignInView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const current = useRef<string | null>(null);
  const { onSignedIn, onBusyChange } = props;

  // Cancel on unmount (dialog closed, method changed) when the sign-in is still open.
  useEffect(
    () => () => {
      const id = current.current;
      current.current = null;
      if (id) void call('dr:azureSignIn.cancel', { signInId: id }).catch(() => undefined);
    },
    [],
  );

  const follow = async (first: AzureSignInView) => {
    let v = first;
    while (current.current === v.signInId) {
      setView(v);
      onBusyChange?.(!FINAL.has(v.state));
      if (FINAL.has(v.state)) {
        current.current = null;
        if (v.state === 'signed-in') onSignedIn({ signInId: v.signInId, username: v.username ?? '', homeTenantId: v.homeTenantId });
        return;
      }
      v = await call('dr:azureSignIn.wait', { signInId: v.signInId, afterSeq: v.seq });
    }
  };

  const start = async () => {
    if (!props.validate()) return;
    setError(null);
    setCopied(false);
    onSignedIn(null);
    try {
      const v = props.accountId
        ? await call('dr:azureSignIn.startForAccount', { accountId: props.accountId, method: props.method })
        : await call('dr:azureSignIn.start', {
            method: props.method,
            cloud: props.cloud,
            tenantId: props.tenant.trim() || 'organizations',
            clientId: props.clientId.trim(),
          });
      current.current = v.signInId;
      await follow(v);
    } catch (err) {
      current.current = null;
      setView(null);
      onBusyChange?.(false);
      setError(toErrorData(err).message);
    }
  };

  /** Forgets a finished sign-in so another account can sign in (nothing was saved yet). */
  const reset = () => {
    setView(null);
    setError(null);
    onSignedIn(null);
  };

  const cancel = async () => {
    const id = current.current;
    if (!id) return;
    current.current = null;
    try {
      setView(await call('dr:azureSignIn.cancel', { signInId: id }));
      onBusyChange?.(false);
    } catch (err) {
      setError(toErrorData(err).message);
    }
  };

  const copy = async (code: string) => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  const waiting = view !== null && !FINAL.has(view.state);
  const startLabel = props.method === 'browser' ? 'Sign in with the browser' : 'Get a sign-in code';
  return (
    <section className="azure-sign-in" aria-label="Azure sign-in" aria-busy={waiting}>
      {!waiting && view?.state !== 'signed-in' && (
        <button type="button" className="btn btn-primary" onClick={() => void start()}>
          {view ? 'Sign in again' : startLabel}
        </button>
      )}
      {waiting && (
        <div className="sign-in-waiting" role="status">
          <span className="spinner" aria-hidden="true" />
          <span>
            {view.state === 'waiting-for-code'
              ? 'Waiting for you to enter the code and sign in…'
              : props.method === 'browser'
                ? 'Waiting for you to sign in in the browser window that opened…'
                : 'Asking Entra ID for a code…'}
          </span>
          <button type="button" className="btn btn-small" onClick={() => void cancel()}>
            Cancel sign-in
          </button>
        </div>
      )}
      {view?.deviceCode && waiting && (
        <div className="device-code-box">
          <p>
            On any device, open{' '}
            <a className="mono" href={view.deviceCode.verificationUri} target="_blank" rel="noreferrer">
              {view.deviceCode.verificationUri}
            </a>{' '}
            and enter this code:
          </p>
          <div className="device-code-row">
            <output className="device-code mono" aria-label="Sign-in code">
              {view.deviceCode.userCode}
            </output>
            <button type="button" className="btn btn-small" onClick={() => void copy(view.deviceCode!.userCode)}>
              {copied ? 'Copied' : 'Copy code'}
            </button>
          </div>
          <p className="field-hint">The code works until {new Date(view.deviceCode.expiresAt).toLocaleTimeString()}.</p>
        </div>
      )}
      {view?.state === 'signed-in' && (
        <div className="sign-in-waiting">
          <p className="sign-in-done" role="status">
            ✓ Signed in as <strong>{view.username}</strong>
          </p>
          <button type="button" className="btn btn-small" onClick={reset}>
            Use another account
          </button>
        </div>
      )}
      {(view?.state === 'failed' || view?.state === 'cancelled') && (
        <p className="field-error" role="alert">
          {view.message}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** The tenants a finished sign-in reaches; the person's home tenant first chosen. */
export function AzureTenantPicker(props: { signedIn: SignedIn; value: string; onChange: (t: string) => void; error?: string | undefined }) {
  const [tenants, setTenants] = useState<AzureTenantView[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { signedIn, onChange, value } = props;
  useEffect(() => {
    let live = true;
    call('dr:azure.tenants', { signInId: signedIn.signInId }).then(
      (list) => {
        if (!live) return;
        setTenants(list);
        if (!value) {
          const home = list.find((t) => t.tenantId === signedIn.homeTenantId) ?? list[0];
          if (home) onChange(home.tenantId);
        }
      },
      (e: unknown) => live && (setTenants([]), setLoadError(toErrorData(e).message)),
    );
    return () => {
      live = false;
    };
    // Listed once per sign-in.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signedIn.signInId]);
  if (tenants && tenants.length > 0) {
    return (
      <Field label="Tenant" hint="The directory the account works in." error={props.error}>
        <select value={value} onChange={(e) => onChange(e.target.value)}>
          {tenants.map((t) => (
            <option key={t.tenantId} value={t.tenantId}>
              {t.displayName}
              {t.defaultDomain ? ` (${t.defaultDomain})` : ''}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  return (
    <Field label="Tenant to work in (id)" hint={tenants === null ? 'Listing your tenants…' : (loadError ?? 'No tenants were listed; type the tenant id.')} error={props.error}>
      <input type="text" className="mono" spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

type Listed<T> = { state: 'loading' } | { state: 'ok'; items: T[] } | { state: 'error'; message: string };

/**
 * Subscription and resource group of an Azure account, listed from ARM; typing stays possible when
 * the list cannot be read (a sentence says why). Test connection counts the subscription's groups.
 */
export function AzureScopePicker(props: {
  accountId: string;
  scope: Record<string, string>;
  onChange: (scope: Record<string, string>) => void;
  errors: { subscriptionId?: string | undefined; resourceGroup?: string | undefined };
  onLocation?: (location: string) => void;
}) {
  const [subs, setSubs] = useState<Listed<AzureSubscriptionView>>({ state: 'loading' });
  // Both kept with the subscription they are for: choosing another one makes them stale, not wrong.
  const [listedGroups, setGroups] = useState<{ sub: string; listed: Listed<AzureResourceGroupView> } | null>(null);
  const [tested, setTest] = useState<{ sub: string; result: { state: 'testing' } | { state: 'done'; ok: boolean; message: string } } | null>(null);
  const sub = (props.scope.subscriptionId ?? '').trim();
  const validSub = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub);
  const groups: Listed<AzureResourceGroupView> | null = !validSub ? null : listedGroups?.sub === sub ? listedGroups.listed : { state: 'loading' };
  const test = tested?.sub === sub ? tested.result : null;
  const rg = props.scope.resourceGroup ?? '';
  const { accountId, onChange, scope } = props;

  useEffect(() => {
    let live = true;
    call('dr:azure.subscriptions', { accountId }).then(
      (items) => {
        if (!live) return;
        setSubs({ state: 'ok', items });
        if (!scope.subscriptionId && items.length === 1) onChange({ ...scope, subscriptionId: items[0]!.subscriptionId });
      },
      (e: unknown) => live && setSubs({ state: 'error', message: toErrorData(e).message }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [accountId]);

  useEffect(() => {
    if (!validSub) return;
    let live = true;
    call('dr:azure.resourceGroups', { accountId, subscriptionId: sub }).then(
      (items) => live && setGroups({ sub, listed: { state: 'ok', items } }),
      (e: unknown) => live && setGroups({ sub, listed: { state: 'error', message: toErrorData(e).message } }),
    );
    return () => {
      live = false;
    };
  }, [accountId, sub, validSub]);

  const runTest = async () => {
    const forSub = sub;
    setTest({ sub: forSub, result: { state: 'testing' } });
    try {
      const r = await call('dr:azure.testScope', { accountId, subscriptionId: forSub });
      setTest({ sub: forSub, result: { state: 'done', ok: r.ok, message: r.message } });
    } catch (err) {
      setTest({ sub: forSub, result: { state: 'done', ok: false, message: toErrorData(err).message } });
    }
  };

  return (
    <>
      {subs.state === 'ok' && subs.items.length > 0 ? (
        <Field label="Subscription" error={props.errors.subscriptionId}>
          <select value={sub} onChange={(e) => onChange({ ...scope, subscriptionId: e.target.value, resourceGroup: '' })}>
            <option value="">Choose…</option>
            {subs.items.map((s) => (
              <option key={s.subscriptionId} value={s.subscriptionId}>
                {s.displayName} ({s.subscriptionId}){s.state !== 'Enabled' ? ` — ${s.state}` : ''}
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <Field
          label="Subscription id"
          hint={subs.state === 'loading' ? 'Listing the subscriptions this account can see…' : subs.state === 'error' ? subs.message : 'This account sees no subscription; type its id.'}
          error={props.errors.subscriptionId}
        >
          <input type="text" className="mono" spellCheck={false} autoComplete="off" value={sub} onChange={(e) => onChange({ ...scope, subscriptionId: e.target.value })} />
        </Field>
      )}
      {groups?.state === 'ok' && groups.items.length > 0 ? (
        <Field label="Resource group" optional hint="Empty: rg-prod-<location> for inventory, rg-dr-<location> for what failover creates." error={props.errors.resourceGroup}>
          <select
            value={rg}
            onChange={(e) => {
              onChange({ ...scope, resourceGroup: e.target.value });
              const g = groups.items.find((x) => x.name === e.target.value);
              if (g) props.onLocation?.(g.location);
            }}
          >
            <option value="">None chosen</option>
            {groups.items.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} ({g.location})
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <Field
          label="Resource group"
          optional
          hint={groups?.state === 'loading' ? 'Listing resource groups…' : groups?.state === 'error' ? groups.message : 'Empty: rg-prod-<location> for inventory, rg-dr-<location> for what failover creates.'}
          error={props.errors.resourceGroup}
        >
          <input type="text" className="mono" spellCheck={false} autoComplete="off" value={rg} onChange={(e) => onChange({ ...scope, resourceGroup: e.target.value })} />
        </Field>
      )}
      <div className="scope-test">
        <button type="button" className="btn btn-small" disabled={!validSub || test?.state === 'testing'} onClick={() => void runTest()}>
          {test?.state === 'testing' ? 'Testing…' : 'Test connection'}
        </button>
        {test?.state === 'done' && (
          <span role="status" className={test.ok ? 'text-ok' : 'text-bad'}>
            {test.message}
          </span>
        )}
      </div>
    </>
  );
}

// Add-account and add-environment dialogs. Secrets are typed into password inputs, sent once in
// the create request, and cleared from the form as soon as the dialog closes.

import { useEffect, useState } from 'react';
import { CLOUD_LABELS, type Cloud } from '../../../shared/catalog';
import { parseGcpServiceAccountKey, type AccountView, type AwsProfileView, type AzureCloudName, type CredentialInput, type CredentialKind, type ProviderKind } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { SCOPE_FIELDS } from '../../../shared/scope';
import { call, toErrorData } from '../../api';
import { ErrorAlert, fieldError, withoutFieldError } from '../../components/error-alert';
import { Field, NAME_MAX } from '../../components/field';
import { Modal } from '../../components/modal';
import { useApp } from '../shell/app-store';
import { useAccounts } from './accounts-store';
import { DialogActions } from '../../components/dialog-actions';
import { AzureCloudSelect, AzureScopePicker, AzureSignInPanel, AzureTenantPicker, type SignedIn } from './azure-sign-in';

export const CREDENTIAL_LABEL: Record<string, string> = {
  none: 'None (simulated)',
  'aws-access-key': 'AWS access key',
  'aws-profile': 'AWS named profile (incl. SSO)',
  'aws-assume-role': 'Assume an IAM role',
  'azure-service-principal': 'Service principal with a client secret',
  'azure-service-principal-certificate': 'Service principal with a certificate',
  'azure-user': 'Signed-in person (Entra ID)',
  'azure-browser': 'Sign in with the browser (my Entra ID account)',
  'azure-device-code': 'Sign in with a device code (another device)',
  'gcp-service-account-key': 'Google service account key',
  'gcp-application-default': "This computer's Google sign-in (application default credentials)",
  'gcp-impersonation': 'Impersonate a Google service account',
};

/** What the Sign in with select offers: a credential kind, or how a person signs in to Azure. */
type CredentialChoice = Exclude<CredentialKind, 'azure-user'> | 'azure-browser' | 'azure-device-code';

const KINDS_FOR: Record<ProviderKind, CredentialChoice[]> = {
  sim: ['none'],
  aws: ['aws-profile', 'aws-access-key', 'aws-assume-role'],
  azure: ['azure-browser', 'azure-device-code', 'azure-service-principal', 'azure-service-principal-certificate'],
  gcp: ['gcp-service-account-key', 'gcp-application-default', 'gcp-impersonation'],
};

type Secrets = Record<string, string>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A Google service-account key checked before anything is sent (main checks it again): the same
 * sentence the field shows as the operator chooses or pastes it, never a part of the key.
 */
function gcpKeyProblems(kind: CredentialChoice, v: Secrets): { path: string; message: string }[] {
  const usesKey = kind === 'gcp-service-account-key' || (kind === 'gcp-impersonation' && v.source === 'key');
  if (!usesKey) return [];
  const text = (v.keyJson ?? '').trim();
  if (!text) return [{ path: 'keyJson', message: 'Choose the service account key file (JSON), or paste its content.' }];
  const parsed = parseGcpServiceAccountKey(text);
  return 'error' in parsed ? [{ path: 'keyJson', message: parsed.error }] : [];
}

/** The Azure fields checked before anything is sent, with the sentence each gets. */
function azureProblems(kind: CredentialChoice, v: Secrets, signedIn: SignedIn | null): { path: string; message: string }[] {
  const p: { path: string; message: string }[] = [];
  const tenant = (v.tenantId ?? '').trim();
  const user = kind === 'azure-browser' || kind === 'azure-device-code';
  if (user ? tenant !== '' && !GUID.test(tenant) : !GUID.test(tenant)) {
    p.push({ path: 'tenantId', message: user ? 'Enter the tenant id (a GUID), or leave it empty to sign in with any work account.' : 'Enter the tenant id: a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47.' });
  }
  if (!GUID.test((v.clientId ?? '').trim())) p.push({ path: 'clientId', message: 'Enter the application (client) id of the app registration: a GUID.' });
  if (kind === 'azure-service-principal' && !v.clientSecret) p.push({ path: 'clientSecret', message: 'Enter the client secret’s value.' });
  if (kind === 'azure-service-principal-certificate') {
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(v.certificatePem ?? '')) {
      p.push({ path: 'certificatePem', message: 'Paste the certificate in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.' });
    }
    if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/.test(v.privateKeyPem ?? '')) {
      p.push({ path: 'privateKeyPem', message: 'Paste the private key in PEM form, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.' });
    }
  }
  if (user && !signedIn) p.push({ path: 'signIn', message: 'Sign in first; the account is added from the finished sign-in.' });
  if (user && signedIn && !GUID.test((v.pickedTenant ?? '').trim())) p.push({ path: 'pickedTenant', message: 'Choose the tenant the account works in.' });
  return p;
}

function credentialsOf(kind: CredentialChoice, v: Secrets, signedIn: SignedIn | null = null): CredentialInput {
  switch (kind) {
    case 'none':
      return { kind };
    case 'aws-access-key':
      return {
        kind,
        accessKeyId: (v.accessKeyId ?? '').trim(),
        secretAccessKey: v.secretAccessKey ?? '',
        ...(v.sessionToken ? { sessionToken: v.sessionToken } : {}),
      };
    case 'aws-profile':
      return { kind, profile: (v.profile ?? '').trim() };
    case 'aws-assume-role': {
      // The role is assumed with a profile's credentials or with access keys, as the operator chose.
      const profile = v.source === 'keys' ? '' : (v.profile ?? '').trim();
      return {
        kind,
        roleArn: (v.roleArn ?? '').trim(),
        ...(v.externalId?.trim() ? { externalId: v.externalId.trim() } : {}),
        ...(v.sessionName?.trim() ? { sessionName: v.sessionName.trim() } : {}),
        source: profile
          ? { kind: 'aws-profile', profile }
          : { kind: 'aws-access-key', accessKeyId: (v.accessKeyId ?? '').trim(), secretAccessKey: v.secretAccessKey ?? '' },
      };
    }
    case 'azure-service-principal':
      return { kind, tenantId: (v.tenantId ?? '').trim(), clientId: (v.clientId ?? '').trim(), clientSecret: v.clientSecret ?? '', cloud: azureCloud(v) };
    case 'azure-service-principal-certificate':
      return {
        kind,
        tenantId: (v.tenantId ?? '').trim(),
        clientId: (v.clientId ?? '').trim(),
        certificatePem: (v.certificatePem ?? '').trim(),
        privateKeyPem: (v.privateKeyPem ?? '').trim(),
        cloud: azureCloud(v),
      };
    case 'azure-browser':
    case 'azure-device-code':
      return {
        kind: 'azure-user',
        method: kind === 'azure-browser' ? 'browser' : 'device-code',
        cloud: azureCloud(v),
        tenantId: (v.pickedTenant ?? '').trim(),
        clientId: (v.clientId ?? '').trim(),
        signInId: signedIn?.signInId ?? '',
      };
    case 'gcp-service-account-key':
      return { kind, keyJson: v.keyJson ?? '' };
    case 'gcp-application-default':
      return { kind };
    case 'gcp-impersonation': {
      const delegates = (v.delegates ?? '').split(/[\s,]+/).filter(Boolean);
      return {
        kind,
        targetServiceAccount: (v.targetServiceAccount ?? '').trim(),
        ...(delegates.length ? { delegates } : {}),
        source: v.source === 'key' ? { kind: 'gcp-service-account-key', keyJson: v.keyJson ?? '' } : { kind: 'gcp-application-default' },
      };
    }
  }
}

const azureCloud = (v: Secrets): AzureCloudName => (v.cloud as AzureCloudName | undefined) ?? 'AzurePublicCloud';

type AddAccountProps = { open: boolean; onOpenChange: (open: boolean) => void; onCreated: (a: AccountView) => void };

/** Mounted only while open, so typed secrets are dropped with the form when it closes. */
export function AddAccountDialog(props: AddAccountProps) {
  return props.open ? <AddAccountForm {...props} /> : null;
}

function AddAccountForm(props: AddAccountProps) {
  const info = useApp((s) => s.info);
  const createAccount = useAccounts((s) => s.createAccount);
  const providers = info?.providers ?? [];
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<ProviderKind | ''>('');
  const [cloud, setCloud] = useState<Cloud | ''>('');
  const [kind, setKind] = useState<CredentialChoice | ''>('');
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  // While a sign-in is open or finished, the fields it was made with stay as they were.
  const signInFixed = signedIn !== null || signingIn;
  const [secrets, setSecrets] = useState<Secrets>({});
  const [error, setError] = useState<DrErrorData | null>(null);
  const [busy, setBusy] = useState(false);

  const providerInfo = providers.find((p) => p.kind === provider);
  const clouds = providerInfo?.clouds ?? [];
  const kinds = provider ? KINDS_FOR[provider] : [];

  const chooseProvider = (p: ProviderKind | '') => {
    setProvider(p);
    const info = providers.find((x) => x.kind === p);
    setCloud(info && info.clouds.length === 1 ? (info.clouds[0] ?? '') : '');
    const ks = p ? KINDS_FOR[p] : [];
    setKind(ks.length === 1 ? (ks[0] ?? '') : '');
    setSecrets({});
    setSignedIn(null);
    setSigningIn(false);
  };
  const chooseKind = (k: CredentialChoice | '') => {
    setKind(k);
    // A sign-in belongs to the method it was made with (its panel unmounts and cancels an open one).
    setSignedIn(null);
    setSigningIn(false);
    setError(null);
  };
  const signInReady = () => {
    if (kind !== 'azure-browser' && kind !== 'azure-device-code') return false;
    const problems = azureProblems(kind, secrets, { signInId: '-', username: '', homeTenantId: null }).filter((p) => p.path === 'tenantId' || p.path === 'clientId');
    setError(problems.length ? { code: 'ValidationFailed', message: 'Some fields need attention.', details: problems } : null);
    return problems.length === 0;
  };

  const submit = async () => {
    const problems: { path: string; message: string }[] = [];
    if (!name.trim()) problems.push({ path: 'name', message: 'Enter a name for the account.' });
    else if (name.trim().length > NAME_MAX) problems.push({ path: 'name', message: tooLong(name) });
    if (!provider) problems.push({ path: 'provider', message: 'Choose a provider.' });
    if (!cloud) problems.push({ path: 'cloud', message: 'Choose a cloud.' });
    if (!kind) problems.push({ path: 'kind', message: 'Choose how the console signs in.' });
    if (kind && provider === 'azure') problems.push(...azureProblems(kind, secrets, signedIn));
    if (kind && provider === 'gcp') problems.push(...gcpKeyProblems(kind, secrets));
    if (problems.length || !provider || !cloud || !kind) {
      setError({ code: 'ValidationFailed', message: 'Some fields need attention.', details: problems });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const account = await createAccount({ name: name.trim(), provider, cloud, credentials: credentialsOf(kind, secrets, signedIn) });
      setBusy(false);
      props.onCreated(account);
      props.onOpenChange(false);
    } catch (err) {
      setBusy(false);
      setError(toErrorData(err));
    }
  };
  const err = error;
  const secret = (key: string) => ({
    value: secrets[key] ?? '',
    onChange: (e: { target: { value: string } }) => {
      setSecrets((s) => ({ ...s, [key]: e.target.value }));
      // The last submit's sentence about this field no longer describes what it holds.
      setError((x) => withoutFieldError(x, key));
    },
  });

  return (
    <Modal
      open={props.open}
      onOpenChange={(o) => !busy && props.onOpenChange(o)}
      title="Add cloud account"
      description="Credentials are encrypted on this computer and never shown again."
      footer={
        <DialogActions
          busy={busy}
          label="Add account"
          busyLabel="Adding…"
          onCancel={() => props.onOpenChange(false)}
          onConfirm={() => void submit()}
        />
      }
    >
      <form
        className="form-grid"
        noValidate
        autoComplete="off"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Account name" error={fieldError(err, 'name')} limit={{ length: name.length, max: NAME_MAX }}>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <div className="form-row">
          <Field label="Provider" error={fieldError(err, 'provider')}>
            <select value={provider} onChange={(e) => chooseProvider(e.target.value as ProviderKind | '')}>
              <option value="">Choose…</option>
              {providers.map((p) => (
                <option key={p.kind} value={p.kind}>
                  {p.label}
                  {p.simulated ? ' (simulated)' : ''}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Cloud" error={fieldError(err, 'cloud')}>
            <select value={cloud} disabled={!provider} onChange={(e) => setCloud(e.target.value as Cloud | '')}>
              <option value="">Choose…</option>
              {clouds.map((c) => (
                <option key={c} value={c}>
                  {CLOUD_LABELS[c]}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {kinds.length > 1 && (
          <Field label="Sign in with" error={fieldError(err, 'kind')}>
            <select value={kind} disabled={busy || signingIn} onChange={(e) => chooseKind(e.target.value as CredentialChoice | '')}>
              <option value="">Choose…</option>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {CREDENTIAL_LABEL[k]}
                </option>
              ))}
            </select>
          </Field>
        )}
        {kind === 'none' && <p className="form-note">The simulated provider needs no credentials. Everything it does stays on this computer.</p>}
        {kind === 'aws-access-key' && (
          <>
            <Field label="Access key id" error={fieldError(err, 'accessKeyId')}>
              <input type="text" className="mono" spellCheck={false} {...secret('accessKeyId')} />
            </Field>
            <Field label="Secret access key" error={fieldError(err, 'secretAccessKey')}>
              <input type="password" autoComplete="new-password" {...secret('secretAccessKey')} />
            </Field>
            <Field label="Session token" optional error={fieldError(err, 'sessionToken')}>
              <input type="password" autoComplete="new-password" {...secret('sessionToken')} />
            </Field>
          </>
        )}
        {kind === 'aws-profile' && <AwsProfilePicker error={fieldError(err, 'profile')} {...secret('profile')} />}
        {kind === 'aws-assume-role' && (
          <>
            <Field label="Role ARN" hint="For example arn:aws:iam::111122223333:role/failover-console." error={fieldError(err, 'roleArn')}>
              <input type="text" className="mono" spellCheck={false} {...secret('roleArn')} />
            </Field>
            <div className="form-row">
              <Field label="External id" optional hint="When the role's trust policy requires one." error={fieldError(err, 'externalId')}>
                <input type="text" className="mono" spellCheck={false} {...secret('externalId')} />
              </Field>
              <Field label="Session name" optional error={fieldError(err, 'sessionName')}>
                <input type="text" className="mono" spellCheck={false} {...secret('sessionName')} />
              </Field>
            </div>
            <Field label="Assume the role with">
              <select value={secrets.source ?? 'profile'} onChange={(e) => setSecrets((s) => ({ ...s, source: e.target.value }))}>
                <option value="profile">A named profile</option>
                <option value="keys">Access keys</option>
              </select>
            </Field>
            {(secrets.source ?? 'profile') === 'profile' ? (
              <AwsProfilePicker error={fieldError(err, 'profile')} {...secret('profile')} />
            ) : (
              <div className="form-row">
                <Field label="Access key id" error={fieldError(err, 'accessKeyId')}>
                  <input type="text" className="mono" spellCheck={false} {...secret('accessKeyId')} />
                </Field>
                <Field label="Secret access key" error={fieldError(err, 'secretAccessKey')}>
                  <input type="password" autoComplete="new-password" {...secret('secretAccessKey')} />
                </Field>
              </div>
            )}
          </>
        )}
        {provider === 'azure' && kind && (
          <AzureCloudSelect value={azureCloud(secrets)} disabled={signInFixed} onChange={(c) => setSecrets((s) => ({ ...s, cloud: c }))} />
        )}
        {(kind === 'azure-service-principal' || kind === 'azure-service-principal-certificate') && (
          <>
            <div className="form-row">
              <Field label="Tenant id" hint="Directory (tenant) id of the app registration." error={fieldError(err, 'tenantId')}>
                <input type="text" className="mono" spellCheck={false} {...secret('tenantId')} />
              </Field>
              <Field label="Application (client) id" error={fieldError(err, 'clientId')}>
                <input type="text" className="mono" spellCheck={false} {...secret('clientId')} />
              </Field>
            </div>
            {kind === 'azure-service-principal' ? (
              <Field label="Client secret" hint="The secret’s value (not its id). It is not shown again." error={fieldError(err, 'clientSecret')}>
                <input type="password" autoComplete="new-password" {...secret('clientSecret')} />
              </Field>
            ) : (
              <>
                <Field label="Certificate (PEM)" hint="The certificate uploaded to the app registration." error={fieldError(err, 'certificatePem')}>
                  <textarea className="mono" rows={4} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" {...secret('certificatePem')} />
                </Field>
                <Field label="Private key (PEM)" hint="Signs the console’s sign-in requests. It is encrypted on this computer and never shown again." error={fieldError(err, 'privateKeyPem')}>
                  <textarea className="mono secret-textarea" rows={4} spellCheck={false} {...secret('privateKeyPem')} />
                </Field>
              </>
            )}
          </>
        )}
        {(kind === 'azure-browser' || kind === 'azure-device-code') && (
          <>
            <div className="form-row">
              <Field label="Tenant id" optional hint="Empty: sign in with any work account, then choose the tenant." error={fieldError(err, 'tenantId')}>
                <input type="text" className="mono" spellCheck={false} disabled={signInFixed} {...secret('tenantId')} />
              </Field>
              <Field label="Application (client) id" hint="Your organization’s app registration for Failover Console." error={fieldError(err, 'clientId')}>
                <input type="text" className="mono" spellCheck={false} disabled={signInFixed} {...secret('clientId')} />
              </Field>
            </div>
            <AzureSignInPanel
              key={kind}
              method={kind === 'azure-browser' ? 'browser' : 'device-code'}
              cloud={azureCloud(secrets)}
              tenant={secrets.tenantId ?? ''}
              clientId={secrets.clientId ?? ''}
              validate={signInReady}
              onBusyChange={setSigningIn}
              onSignedIn={(s) => {
                setSignedIn(s);
                setSecrets((v) => ({ ...v, pickedTenant: '' }));
                if (s) setError(null);
              }}
            />
            {fieldError(err, 'signIn') && <p className="field-error">{fieldError(err, 'signIn')}</p>}
            {signedIn && (
              <AzureTenantPicker
                signedIn={signedIn}
                value={secrets.pickedTenant ?? ''}
                onChange={(t) => setSecrets((v) => ({ ...v, pickedTenant: t }))}
                error={fieldError(err, 'pickedTenant')}
              />
            )}
          </>
        )}
        {kind === 'gcp-service-account-key' && <GcpKeyField error={fieldError(err, 'keyJson')} {...secret('keyJson')} />}
        {kind === 'gcp-application-default' && (
          <p className="form-note">
            Uses the Google account signed in on this computer with <code>gcloud auth application-default login</code> (or the file
            GOOGLE_APPLICATION_CREDENTIALS names). Nothing is copied into the console; sign in again there when it expires.
          </p>
        )}
        {kind === 'gcp-impersonation' && (
          <>
            <Field
              label="Service account to impersonate"
              hint="The console asks IAM for its short-lived tokens; the signing-in identity needs Service Account Token Creator on it."
              error={fieldError(err, 'targetServiceAccount')}
            >
              <input type="text" className="mono" spellCheck={false} placeholder="dr-console@my-project.iam.gserviceaccount.com" {...secret('targetServiceAccount')} />
            </Field>
            <Field label="Delegation chain" optional hint="Service accounts between, in order, separated by commas." error={fieldError(err, 'delegates')}>
              <input type="text" className="mono" spellCheck={false} {...secret('delegates')} />
            </Field>
            <Field label="Impersonate with">
              <select value={secrets.source ?? 'adc'} onChange={(e) => setSecrets((s) => ({ ...s, source: e.target.value }))}>
                <option value="adc">This computer's Google sign-in</option>
                <option value="key">A service account key</option>
              </select>
            </Field>
            {secrets.source === 'key' && <GcpKeyField error={fieldError(err, 'keyJson')} {...secret('keyJson')} />}
          </>
        )}
        <ErrorAlert error={err} compact />
        <button type="submit" hidden tabIndex={-1} aria-hidden="true" />
      </form>
    </Modal>
  );
}

/**
 * A service-account key: chosen as a file (read here, in the renderer; only its text goes to main,
 * into the vault, and the file is not kept) or pasted. Checked as the operator types, naming the
 * field that is wrong and never repeating the key.
 */
function GcpKeyField(props: { value: string; onChange: (e: { target: { value: string } }) => void; error?: string | undefined }) {
  const [fileName, setFileName] = useState<string | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const parsed = props.value.trim() ? parseGcpServiceAccountKey(props.value) : null;
  const check = parsed && 'error' in parsed ? parsed.error : null;
  const who = parsed && 'key' in parsed ? `${parsed.key.client_email} (project ${parsed.key.project_id})` : null;
  const choose = (file: File | undefined) => {
    if (!file) return;
    setReadError(null);
    if (file.size > 16384) {
      setReadError(`${file.name} is ${file.size.toLocaleString()} bytes: a service-account key is a few kilobytes; choose the JSON key file.`);
      return;
    }
    file.text().then(
      (text) => {
        setFileName(file.name);
        props.onChange({ target: { value: text } });
      },
      () => setReadError(`${file.name} could not be read.`),
    );
  };
  return (
    <>
      <Field label="Service account key file" hint={fileName ? `Read from ${fileName}; the file is not kept.` : 'The JSON key downloaded from IAM & Admin > Service accounts > Keys.'} error={readError ?? undefined}>
        <input type="file" accept="application/json,.json" onChange={(e) => choose(e.target.files?.[0])} />
      </Field>
      <Field label="Or paste the key (JSON)" hint={who ? `Key of ${who}. It is not shown again.` : 'It is not shown again.'} error={props.error ?? check ?? undefined}>
        <textarea className="mono secret-textarea" rows={4} spellCheck={false} value={props.value} onChange={props.onChange} />
      </Field>
    </>
  );
}

function profileLabel(p: AwsProfileView): string {
  const parts = [p.sso ? `SSO${p.ssoStartUrl ? ` ${p.ssoStartUrl}` : ''}` : null, p.roleArn ? `role ${p.roleArn}` : null, p.region].filter(Boolean);
  return parts.length ? `${p.name} (${parts.join(', ')})` : p.name;
}

/** Profiles of ~/.aws/config and ~/.aws/credentials to pick from; a name can still be typed when none are listed. */
function AwsProfilePicker(props: { value: string; onChange: (e: { target: { value: string } }) => void; error?: string | undefined }) {
  const [profiles, setProfiles] = useState<AwsProfileView[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    call('dr:accounts.awsProfiles', {}).then(
      (list) => live && setProfiles(list),
      (e: unknown) => {
        if (!live) return;
        setProfiles([]);
        setLoadError(toErrorData(e).message);
      },
    );
    return () => {
      live = false;
    };
  }, []);
  const chosen = profiles?.find((p) => p.name === props.value);
  if (profiles && profiles.length > 0) {
    return (
      <Field
        label="Profile"
        hint={chosen?.sso ? `Signs in through IAM Identity Center: run \`aws sso login --profile ${chosen.name}\` when the session expires.` : 'From ~/.aws/config and ~/.aws/credentials on this computer.'}
        error={props.error}
      >
        <select value={props.value} onChange={props.onChange}>
          <option value="">Choose…</option>
          {profiles.map((p) => (
            <option key={p.name} value={p.name}>
              {profileLabel(p)}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  return (
    <Field
      label="Profile name"
      hint={profiles === null ? 'Reading ~/.aws/config…' : (loadError ?? 'No profiles were found in ~/.aws/config on this computer; type the name of one.')}
      error={props.error}
    >
      <input type="text" spellCheck={false} value={props.value} onChange={props.onChange} />
    </Field>
  );
}

/** The typed scope's fields (shared/scope.ts) as the Add environment dialog shows them. */
const SCOPE_FIELD_TEXT: Record<string, { label: string; hint: string }> = {
  accountId: { label: 'AWS account id', hint: '12 digits; empty: the account of the credentials.' },
  subscriptionId: { label: 'Subscription id', hint: 'A GUID; empty: the default subscription of the credentials.' },
  resourceGroup: { label: 'Resource group', hint: 'Empty: rg-prod-<location> for inventory, rg-dr-<location> for what failover creates.' },
  projectId: { label: 'Project id', hint: 'For example shop-prod-1234; empty: the project of the credentials.' },
  zone: { label: 'Zone', hint: 'A zone of the region, such as europe-west1-b; empty: the region’s b zone.' },
};

type AddEnvironmentProps = { open: boolean; onOpenChange: (open: boolean) => void; account: AccountView | null };

export function AddEnvironmentDialog(props: AddEnvironmentProps) {
  return props.open ? <AddEnvironmentForm {...props} /> : null;
}

/** The same sentence as the policy form's: the name is kept whole and refused, never cut. */
function tooLong(name: string): string {
  return `The name is ${name.trim().length} characters; use at most ${NAME_MAX}.`;
}

function AddEnvironmentForm(props: AddEnvironmentProps) {
  const createEnvironment = useAccounts((s) => s.createEnvironment);
  const [name, setName] = useState('');
  const [region, setRegion] = useState('');
  const [scope, setScope] = useState<Record<string, string>>({});
  const [error, setError] = useState<DrErrorData | null>(null);
  const [busy, setBusy] = useState(false);
  const account = props.account;
  const cloud: Cloud = account?.cloud ?? 'aws';
  const submit = async () => {
    if (!account) return;
    if (name.trim().length > NAME_MAX) {
      setError({ code: 'ValidationFailed', message: 'Some fields need attention.', details: [{ path: 'name', message: tooLong(name) }] });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // Only the fields of this account's cloud; main checks them (parseScope) and answers with a sentence.
      const fields = Object.fromEntries(SCOPE_FIELDS[cloud].map((f) => [f, (scope[f] ?? '').trim()]).filter(([, v]) => v !== ''));
      await createEnvironment({ accountId: account.id, name, region: region.trim(), scope: fields });
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
      onOpenChange={(o) => !busy && props.onOpenChange(o)}
      title="Add environment"
      description={account ? `An environment is a region and scope of ${account.name} (${CLOUD_LABELS[account.cloud]}).` : undefined}
      size="small"
      footer={
        <DialogActions
          busy={busy}
          label="Add environment"
          busyLabel="Adding…"
          onCancel={() => props.onOpenChange(false)}
          onConfirm={() => void submit()}
        />
      }
    >
      <form
        className="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Environment name" error={fieldError(error, 'name')} limit={{ length: name.length, max: NAME_MAX }}>
          <input type="text" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Region" hint="For example eu-west-1, westeurope or europe-west1." error={fieldError(error, 'region')}>
          <input type="text" className="mono" value={region} autoComplete="off" spellCheck={false} onChange={(e) => setRegion(e.target.value)} />
        </Field>
        {account?.provider === 'azure' ? (
          <AzureScopePicker
            accountId={account.id}
            scope={scope}
            onChange={setScope}
            errors={{ subscriptionId: fieldError(error, 'subscriptionId'), resourceGroup: fieldError(error, 'resourceGroup') }}
            onLocation={(loc) => setRegion((r) => r || loc)}
          />
        ) : SCOPE_FIELDS[cloud].map((f) => (
          <Field key={f} label={SCOPE_FIELD_TEXT[f]!.label} hint={SCOPE_FIELD_TEXT[f]!.hint} optional error={fieldError(error, f)}>
            <input
              type="text"
              className="mono"
              value={scope[f] ?? ''}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setScope({ ...scope, [f]: e.target.value })}
            />
          </Field>
        ))}
        <ErrorAlert error={error} compact />
        <button type="submit" hidden tabIndex={-1} aria-hidden="true" />
      </form>
    </Modal>
  );
}

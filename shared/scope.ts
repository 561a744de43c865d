// Where an environment lives, typed per cloud: an AWS account and region, an Azure subscription,
// resource group and location, a Google Cloud project, region and zone. Parsed and checked once
// here (pure), so no provider ever parses a free string of its own.

import { z } from 'zod';
import type { Cloud } from './catalog';
import { nameSchema } from './names';

const AWS_ACCOUNT = /^\d{12}$/;
const AZURE_SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Resource group names: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period.
const AZURE_RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
// Project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen.
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export const AwsScope = z
  .object({
    cloud: z.literal('aws'),
    region: z.string(),
    /** The 12-digit account; null: the account the credentials belong to (asked of STS). */
    accountId: z.string().regex(AWS_ACCOUNT).nullable(),
  })
  .strict();
export type AwsScope = z.infer<typeof AwsScope>;

export const AzureScope = z
  .object({
    cloud: z.literal('azure'),
    location: z.string(),
    /** null: the credentials' default subscription. */
    subscriptionId: z.string().regex(AZURE_SUBSCRIPTION).nullable(),
    /** null: the provider's default group for the location (production inventory, or the console's DR group). */
    resourceGroup: z.string().regex(AZURE_RESOURCE_GROUP).nullable(),
  })
  .strict();
export type AzureScope = z.infer<typeof AzureScope>;

export const GcpScope = z
  .object({
    cloud: z.literal('gcp'),
    region: z.string(),
    /** null: the project of the credentials (service-account key or application default credentials). */
    projectId: z.string().regex(GCP_PROJECT).nullable(),
    /** A zone of the region for zonal resources (VMs, zonal clusters); null: the provider picks one. */
    zone: z.string().nullable(),
  })
  .strict();
export type GcpScope = z.infer<typeof GcpScope>;

export const EnvScope = z.discriminatedUnion('cloud', [AwsScope, AzureScope, GcpScope]);
export type EnvScope = z.infer<typeof EnvScope>;
export type ScopeOf<C extends Cloud> = Extract<EnvScope, { cloud: C }>;

/**
 * What an operator (or a caller of dr:environments.create) gives: the cloud-specific fields (the
 * region comes separately), or one line of text in the form the Add environment dialog used to take
 * ("111122223333", "<subscription-guid>/<resource-group>", "/subscriptions/…/resourceGroups/…",
 * "my-project" or "my-project/us-central1-b"). Blank means "the credentials' own".
 */
// Every part of a scope also obeys the one name rule (shared/names.ts): no controls, bidi overrides,
// invisible-only text or lone surrogates; stored in NFC.
const scopePart = (max: number) => nameSchema({ max, allowEmpty: true }).pipe(z.string().trim());
const ScopeText = scopePart(300);
const ScopeFields = z
  .object({
    accountId: scopePart(40).optional(),
    subscriptionId: scopePart(60).optional(),
    resourceGroup: scopePart(120).optional(),
    projectId: scopePart(60).optional(),
    zone: scopePart(60).optional(),
  })
  .strict();
/** The one-line text form or the cloud's fields; the branch is chosen by the value's shape, so a bad
 *  value gets the sentence of its own form (a union would only say "invalid input"). */
export const ScopeInput = z.custom<string | z.input<typeof ScopeFields>>((v) => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v)), {
  message: 'must be the scope text or an object of scope fields',
}).transform((v, ctx): string | z.output<typeof ScopeFields> => {
  const r = typeof v === 'string' ? ScopeText.safeParse(v) : ScopeFields.safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});
export type ScopeInput = z.infer<typeof ScopeInput>;

export type ScopeParse = { ok: true; scope: EnvScope } | { ok: false; field: string; message: string };

const blank = (s: string | undefined): string | null => (s === undefined || s.trim() === '' ? null : s.trim());

/** Splits the one-line form into the fields of the account's cloud. */
function fieldsOfText(cloud: Cloud, text: string): Record<string, string | undefined> | { error: string } {
  const s = text.trim();
  if (s === '') return {};
  if (cloud === 'aws') return { accountId: s };
  if (cloud === 'gcp') {
    const [projectId, zone, ...rest] = s.split('/');
    if (rest.length > 0) return { error: `"${s}" is not a project id or "project/zone".` };
    return { projectId, zone };
  }
  const sub = /\/subscriptions\/([^/]+)/i.exec(s)?.[1];
  const rg = /\/resourceGroups\/([^/]+)/i.exec(s)?.[1];
  if (s.startsWith('/')) {
    if (!sub) return { error: `"${s}" is not a /subscriptions/<id>/resourceGroups/<name> path.` };
    return { subscriptionId: sub, resourceGroup: rg };
  }
  const parts = s.split('/');
  if (parts.length > 2) return { error: `"${s}" is not "subscription/resource group".` };
  const [a, b] = parts;
  if (b !== undefined) return { subscriptionId: a, resourceGroup: b };
  // One word: a GUID is the subscription, anything else the resource group.
  return a && AZURE_SUBSCRIPTION.test(a) ? { subscriptionId: a } : { resourceGroup: a };
}

/** Checks a scope for an account's cloud; the message is a sentence for the field it names. */
export function parseScope(cloud: Cloud, region: string, input: ScopeInput): ScopeParse {
  const split = typeof input === 'string' ? fieldsOfText(cloud, input) : input;
  if ('error' in split) return { ok: false, field: 'scope', message: `${String(split.error)} ${SCOPE_HINT[cloud]}` };
  const fields: Record<string, string | undefined> = split;
  const allowed = SCOPE_FIELDS[cloud];
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key) && blank(fields[key]) !== null) {
      return { ok: false, field: `scope.${key}`, message: `An environment on ${CLOUD_NAMES[cloud]} has no ${FIELD_LABELS[key] ?? key}. ${SCOPE_HINT[cloud]}` };
    }
  }
  const r = region.trim();
  if (cloud === 'aws') {
    const accountId = blank(fields.accountId);
    if (accountId !== null && !AWS_ACCOUNT.test(accountId)) {
      return { ok: false, field: 'scope.accountId', message: `"${accountId}" is not an AWS account id: use the 12 digits, such as 111122223333, or leave it empty for the account of the credentials.` };
    }
    return { ok: true, scope: { cloud, region: r, accountId } };
  }
  if (cloud === 'azure') {
    const subscriptionId = blank(fields.subscriptionId);
    const resourceGroup = blank(fields.resourceGroup);
    if (subscriptionId !== null && !AZURE_SUBSCRIPTION.test(subscriptionId)) {
      return { ok: false, field: 'scope.subscriptionId', message: `"${subscriptionId}" is not an Azure subscription id: use its GUID, such as 00000000-0000-0000-0000-000000000000.` };
    }
    if (resourceGroup !== null && !AZURE_RESOURCE_GROUP.test(resourceGroup)) {
      return { ok: false, field: 'scope.resourceGroup', message: `"${resourceGroup}" is not a resource group name: use up to 90 letters, digits, hyphens, underscores, periods or parentheses, not ending in a period.` };
    }
    return { ok: true, scope: { cloud, location: r, subscriptionId: subscriptionId?.toLowerCase() ?? null, resourceGroup } };
  }
  const projectId = blank(fields.projectId);
  const zone = blank(fields.zone);
  if (projectId !== null && !GCP_PROJECT.test(projectId)) {
    return { ok: false, field: 'scope.projectId', message: `"${projectId}" is not a Google Cloud project id: use 6 to 30 lowercase letters, digits and hyphens, starting with a letter.` };
  }
  if (zone !== null && !new RegExp(`^${r.replace(/[^a-z0-9-]/g, '')}-[a-z]$`).test(zone)) {
    return { ok: false, field: 'scope.zone', message: `"${zone}" is not a zone of ${r}: use the region followed by a letter, such as ${r}-b.` };
  }
  return { ok: true, scope: { cloud, region: r, projectId, zone } };
}

/**
 * The lenient reading of a scope stored before scopes were typed (migration 011): whatever the
 * providers used to recognise in the free text is kept, anything else means "the credentials' own",
 * exactly as the providers read it then, so ids derived from it do not change.
 */
export function legacyScope(cloud: Cloud, region: string, text: string): EnvScope {
  const s = text.trim();
  if (cloud === 'aws') return { cloud, region, accountId: AWS_ACCOUNT.test(s) ? s : null };
  if (cloud === 'gcp') return { cloud, region, projectId: GCP_PROJECT.test(s) ? s : null, zone: null };
  const sub = /\/subscriptions\/([^/]+)/i.exec(s)?.[1];
  const rg = /\/resourceGroups\/([^/]+)/i.exec(s)?.[1];
  const keepRg = (g: string | undefined) => (g && AZURE_RESOURCE_GROUP.test(g) ? g : null);
  const keepSub = (g: string | undefined) => (g && AZURE_SUBSCRIPTION.test(g) ? g.toLowerCase() : null);
  if (sub || rg) return { cloud, location: region, subscriptionId: keepSub(sub), resourceGroup: keepRg(rg) };
  const [a, b] = s.split('/').filter(Boolean);
  if (a && AZURE_SUBSCRIPTION.test(a)) return { cloud, location: region, subscriptionId: a.toLowerCase(), resourceGroup: keepRg(b) };
  if (a && !b) return { cloud, location: region, subscriptionId: null, resourceGroup: keepRg(a) };
  return { cloud, location: region, subscriptionId: null, resourceGroup: null };
}

/** The region (AWS, Google Cloud) or location (Azure) of a scope. */
export function scopeRegion(scope: EnvScope): string {
  return scope.cloud === 'azure' ? scope.location : scope.region;
}

/** A short line for lists and logs: "111122223333", "<sub>/rg-prod", "my-project/us-central1-b"; '' when all defaults. */
export function describeScope(scope: EnvScope): string {
  if (scope.cloud === 'aws') return scope.accountId ?? '';
  if (scope.cloud === 'azure') {
    if (scope.subscriptionId && scope.resourceGroup) return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
    return scope.subscriptionId ?? scope.resourceGroup ?? '';
  }
  return [scope.projectId ?? '', scope.zone ?? ''].filter(Boolean).join('/');
}

/** A stable key of the place (rate-limit buckets are per account/subscription/project and region). */
export function scopeKey(scope: EnvScope): string {
  return `${scope.cloud}:${describeScope(scope)}@${scopeRegion(scope)}`;
}

/** The fields the Add environment dialog shows for each cloud, in order. */
export const SCOPE_FIELDS: Record<Cloud, readonly string[]> = {
  aws: ['accountId'],
  azure: ['subscriptionId', 'resourceGroup'],
  gcp: ['projectId', 'zone'],
};

export const FIELD_LABELS: Record<string, string> = {
  accountId: 'AWS account id',
  subscriptionId: 'subscription id',
  resourceGroup: 'resource group',
  projectId: 'project id',
  zone: 'zone',
};

const CLOUD_NAMES: Record<Cloud, string> = { aws: 'AWS', azure: 'Azure', gcp: 'Google Cloud' };

const SCOPE_HINT: Record<Cloud, string> = {
  aws: 'Give the 12-digit AWS account id, or leave it empty.',
  azure: 'Give a subscription id (GUID) and a resource group, or leave them empty.',
  gcp: 'Give a project id and optionally a zone of the region, or leave them empty.',
};

/** parseScope for code that builds scopes itself (fixtures, tools): throws the sentence when bad. */
export function scopeFromText(cloud: Cloud, region: string, text = ''): EnvScope {
  const parsed = parseScope(cloud, region, text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.scope;
}

// R7 for AWS: IAM roles, managed policies and instance profiles are looked up by name before anything
// is created, so a failover reuses the same-named ones already in the target account, never duplicates.

import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ProviderFailure } from '../provider-failure';
import type { EnvRef, ResourceMappingEntry } from '../types';
import type { AwsContext } from './clients';
import type { AwsTag } from './naming';

/** An IAM client with the adapter's error mapping, bound to one environment's account. */
export interface IamScope {
  client: IAMClient;
  call<T>(action: string, run: () => Promise<T>): Promise<T>;
  find<T>(action: string, run: () => Promise<T>): Promise<T | undefined>;
  accountId(): Promise<string>;
}

export function iamScope(aws: AwsContext, env: EnvRef): IamScope {
  const client = aws.iam(env);
  return {
    client,
    call: (action, run) => aws.call(env, action, run),
    find: (action, run) => aws.find(env, action, run),
    accountId: () => aws.accountId(env),
  };
}

export interface EnsuredIam {
  name: string;
  arn: string;
  /** True when a same-named entity already existed and was reused (R7). */
  reused: boolean;
}

type PolicyDocument = Record<string, unknown> | string;

const json = (doc: PolicyDocument) => (typeof doc === 'string' ? doc : JSON.stringify(doc));

/** IAM returns policy documents URL-encoded; moto sometimes does not. */
export function decodePolicyDocument(raw: string | undefined): Record<string, unknown> | null {
  if (!raw) return null;
  for (const candidate of [raw, safeDecode(raw)]) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
    } catch {
      // try the other spelling
    }
  }
  return null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isAlreadyExists(err: unknown): boolean {
  const cause = err instanceof ProviderFailure ? (err.cause as { name?: string } | undefined) : (err as { name?: string });
  return cause?.name === 'EntityAlreadyExists' || cause?.name === 'EntityAlreadyExistsException';
}

export async function ensureRole(
  iam: IamScope,
  spec: { name: string; trustPolicy: PolicyDocument; tags?: AwsTag[]; description?: string; path?: string },
): Promise<EnsuredIam> {
  const found = await iam.find('iam:GetRole', () => iam.client.send(new GetRoleCommand({ RoleName: spec.name })));
  if (found?.Role?.Arn) return { name: spec.name, arn: found.Role.Arn, reused: true };
  try {
    const created = await iam.call('iam:CreateRole', () =>
      iam.client.send(
        new CreateRoleCommand({
          RoleName: spec.name,
          AssumeRolePolicyDocument: json(spec.trustPolicy),
          ...(spec.path ? { Path: spec.path } : {}),
          ...(spec.description ? { Description: spec.description } : {}),
          ...(spec.tags?.length ? { Tags: spec.tags } : {}),
        }),
      ),
    );
    return { name: spec.name, arn: created.Role?.Arn ?? '', reused: false };
  } catch (err) {
    // Someone (or our own earlier attempt) created it between the lookup and the create.
    if (!isAlreadyExists(err)) throw err;
    const again = await iam.call('iam:GetRole', () => iam.client.send(new GetRoleCommand({ RoleName: spec.name })));
    return { name: spec.name, arn: again.Role?.Arn ?? '', reused: true };
  }
}

/** A customer-managed policy, looked up by its ARN in the target account (GetPolicy). */
export async function ensurePolicy(
  iam: IamScope,
  spec: { name: string; document: PolicyDocument; path?: string; description?: string; tags?: AwsTag[] },
): Promise<EnsuredIam> {
  const path = spec.path && spec.path !== '/' ? spec.path : '/';
  const arn = `arn:aws:iam::${await iam.accountId()}:policy${path}${spec.name}`;
  const found = await iam.find('iam:GetPolicy', () => iam.client.send(new GetPolicyCommand({ PolicyArn: arn })));
  if (found?.Policy?.Arn) return { name: spec.name, arn: found.Policy.Arn, reused: true };
  try {
    const created = await iam.call('iam:CreatePolicy', () =>
      iam.client.send(
        new CreatePolicyCommand({
          PolicyName: spec.name,
          PolicyDocument: json(spec.document),
          Path: path,
          ...(spec.description ? { Description: spec.description } : {}),
          ...(spec.tags?.length ? { Tags: spec.tags } : {}),
        }),
      ),
    );
    return { name: spec.name, arn: created.Policy?.Arn ?? arn, reused: false };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return { name: spec.name, arn, reused: true };
  }
}

export async function ensureInstanceProfile(
  iam: IamScope,
  spec: { name: string; roleName?: string; tags?: AwsTag[]; path?: string },
): Promise<EnsuredIam> {
  let profile = (await iam.find('iam:GetInstanceProfile', () => iam.client.send(new GetInstanceProfileCommand({ InstanceProfileName: spec.name }))))
    ?.InstanceProfile;
  let reused = true;
  if (!profile) {
    try {
      profile = (
        await iam.call('iam:CreateInstanceProfile', () =>
          iam.client.send(
            new CreateInstanceProfileCommand({
              InstanceProfileName: spec.name,
              ...(spec.path ? { Path: spec.path } : {}),
              ...(spec.tags?.length ? { Tags: spec.tags } : {}),
            }),
          ),
        )
      ).InstanceProfile;
      reused = false;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      profile = (await iam.call('iam:GetInstanceProfile', () => iam.client.send(new GetInstanceProfileCommand({ InstanceProfileName: spec.name }))))
        .InstanceProfile;
    }
  }
  const roles = profile?.Roles ?? [];
  // A profile holds at most one role; a reused profile with another role is left as the operator made it.
  if (spec.roleName && roles.length === 0) {
    await iam.call('iam:AddRoleToInstanceProfile', () =>
      iam.client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: spec.name, RoleName: spec.roleName })),
    );
  }
  return { name: spec.name, arn: profile?.Arn ?? '', reused };
}

/** AttachRolePolicy is idempotent at AWS; attaching twice is fine. */
export async function attachRolePolicy(iam: IamScope, roleName: string, policyArn: string): Promise<void> {
  await iam.call('iam:AttachRolePolicy', () => iam.client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })));
}

// ---- capture and restore of a role with its policies -------------------------------------------

export interface CapturedManagedPolicy {
  name: string;
  arn: string;
  /** AWS-managed policies exist in every account: attach by ARN, never create. */
  awsManaged: boolean;
  path: string;
  document: Record<string, unknown> | null;
}

export interface CapturedRole {
  name: string;
  path: string;
  description: string | null;
  trustPolicy: Record<string, unknown> | null;
  tags: Record<string, string>;
  managedPolicies: CapturedManagedPolicy[];
  inlinePolicies: { name: string; document: Record<string, unknown> | null }[];
}

/** Reads a role, its trust policy and every policy document attached to it (for a recovery point). */
export async function captureRole(iam: IamScope, roleName: string): Promise<CapturedRole | null> {
  const role = (await iam.find('iam:GetRole', () => iam.client.send(new GetRoleCommand({ RoleName: roleName }))))?.Role;
  if (!role) return null;
  const attached = await iam.call('iam:ListAttachedRolePolicies', () =>
    iam.client.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName })),
  );
  const managedPolicies: CapturedManagedPolicy[] = [];
  for (const p of attached.AttachedPolicies ?? []) {
    if (!p.PolicyArn || !p.PolicyName) continue;
    const awsManaged = /^arn:aws[a-z-]*:iam::aws:policy\//.test(p.PolicyArn);
    let document: Record<string, unknown> | null = null;
    let path = '/';
    if (!awsManaged) {
      const policy = (await iam.find('iam:GetPolicy', () => iam.client.send(new GetPolicyCommand({ PolicyArn: p.PolicyArn }))))?.Policy;
      path = policy?.Path ?? '/';
      if (policy?.DefaultVersionId) {
        const version = await iam.call('iam:GetPolicyVersion', () =>
          iam.client.send(new GetPolicyVersionCommand({ PolicyArn: p.PolicyArn, VersionId: policy.DefaultVersionId })),
        );
        document = decodePolicyDocument(version.PolicyVersion?.Document);
      }
    }
    managedPolicies.push({ name: p.PolicyName, arn: p.PolicyArn, awsManaged, path, document });
  }
  const inlineNames = await iam.call('iam:ListRolePolicies', () => iam.client.send(new ListRolePoliciesCommand({ RoleName: roleName })));
  const inlinePolicies: CapturedRole['inlinePolicies'] = [];
  for (const name of inlineNames.PolicyNames ?? []) {
    const doc = await iam.call('iam:GetRolePolicy', () => iam.client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name })));
    inlinePolicies.push({ name, document: decodePolicyDocument(doc.PolicyDocument) });
  }
  const tags: Record<string, string> = {};
  for (const t of role.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    name: roleName,
    path: role.Path ?? '/',
    description: role.Description ?? null,
    trustPolicy: decodePolicyDocument(role.AssumeRolePolicyDocument),
    tags,
    managedPolicies,
    inlinePolicies,
  };
}

/**
 * Recreates a captured role in the target account: same-named role and customer-managed policies are
 * reused (R7), missing ones created; attachments and inline policies made to match the capture.
 * Returns one mapping entry per role/policy (reused flagged).
 */
export async function restoreRole(iam: IamScope, captured: CapturedRole, sourceId: string, tags: AwsTag[] = []): Promise<{ role: EnsuredIam; entries: ResourceMappingEntry[] }> {
  const role = await ensureRole(iam, {
    name: captured.name,
    trustPolicy: captured.trustPolicy ?? { Version: '2012-10-17', Statement: [] },
    path: captured.path,
    ...(captured.description ? { description: captured.description } : {}),
    tags: [...Object.entries(captured.tags).map(([Key, Value]) => ({ Key, Value })), ...tags],
  });
  const entries: ResourceMappingEntry[] = [{ sourceId, kind: 'IamRole', name: role.name, targetId: role.arn, reused: role.reused }];
  for (const p of captured.managedPolicies) {
    if (p.awsManaged) {
      await attachRolePolicy(iam, role.name, p.arn);
      continue;
    }
    if (!p.document) continue;
    const policy = await ensurePolicy(iam, { name: p.name, document: p.document, path: p.path, tags });
    await attachRolePolicy(iam, role.name, policy.arn);
    entries.push({ sourceId, kind: 'IamPolicy', name: policy.name, targetId: policy.arn, reused: policy.reused });
  }
  for (const p of captured.inlinePolicies) {
    if (!p.document) continue;
    // PutRolePolicy replaces in place: replaying it is harmless.
    await iam.call('iam:PutRolePolicy', () =>
      iam.client.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: p.name, PolicyDocument: JSON.stringify(p.document) })),
    );
  }
  return { role, entries };
}

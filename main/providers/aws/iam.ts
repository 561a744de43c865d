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
  PutRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ProviderFailure } from '../provider-failure';
import type { EnvRef, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext, AwsMutation } from './clients';
import type { AwsTag } from './naming';

/**
 * An IAM client bound to one environment's account and one step: reads go through the step's rate gate,
 * creates through ctx.mutate with their intent (the name is the idempotency material: IAM names are unique
 * per account, so a replayed create finds the entity by name).
 */
export interface IamScope {
  client: IAMClient;
  ctx: StepContext;
  env: EnvRef;
  aws: AwsContext;
  read<T>(action: string, run: (signal: AbortSignal) => Promise<T>): Promise<T>;
  find<T>(action: string, run: (signal: AbortSignal) => Promise<T>): Promise<T | undefined>;
  mutate<T>(opKey: string, m: AwsMutation<T>): Promise<T>;
  accountId(): Promise<string>;
}

export function iamScope(aws: AwsContext, env: EnvRef, ctx: StepContext): IamScope {
  const client = aws.iam(env);
  return {
    client,
    ctx,
    env,
    aws,
    read: (action, run) => aws.read(ctx, env, action, run),
    find: (action, run) => aws.lookup(ctx, env, action, run),
    mutate: (opKey, m) => aws.mutate(ctx, env, `iam:${opKey}`, m),
    accountId: () => aws.accountId(env, ctx),
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
  const getRole = (signal: AbortSignal) => iam.client.send(new GetRoleCommand({ RoleName: spec.name }), { abortSignal: signal });
  const found = await iam.find('iam:GetRole', getRole);
  if (found?.Role?.Arn) return { name: spec.name, arn: found.Role.Arn, reused: true };
  const adopt = async (): Promise<EnsuredIam | undefined> => {
    const again = await iam.find('iam:GetRole', getRole);
    return again?.Role?.Arn ? { name: spec.name, arn: again.Role.Arn, reused: false } : undefined;
  };
  try {
    return await iam.mutate(`create-role:${spec.name}`, {
      action: 'iam:CreateRole',
      intent: { roleName: spec.name },
      // The role's name is its idempotency key: an earlier attempt that created it finds it by name.
      resume: adopt,
      call: async (signal) => {
        const created = await iam.client.send(
          new CreateRoleCommand({
            RoleName: spec.name,
            AssumeRolePolicyDocument: json(spec.trustPolicy),
            ...(spec.path ? { Path: spec.path } : {}),
            ...(spec.description ? { Description: spec.description } : {}),
            ...(spec.tags?.length ? { Tags: spec.tags } : {}),
          }),
          { abortSignal: signal },
        );
        return { name: spec.name, arn: created.Role?.Arn ?? '', reused: false };
      },
    });
  } catch (err) {
    // Someone else created it between the lookup and the create.
    if (!isAlreadyExists(err)) throw err;
    const again = await iam.read('iam:GetRole', getRole);
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
  const getPolicy = (signal: AbortSignal) => iam.client.send(new GetPolicyCommand({ PolicyArn: arn }), { abortSignal: signal });
  const found = await iam.find('iam:GetPolicy', getPolicy);
  if (found?.Policy?.Arn) return { name: spec.name, arn: found.Policy.Arn, reused: true };
  try {
    return await iam.mutate(`create-policy:${path}${spec.name}`, {
      action: 'iam:CreatePolicy',
      intent: { policyName: spec.name, policyArn: arn },
      resume: async () => ((await iam.find('iam:GetPolicy', getPolicy))?.Policy?.Arn ? { name: spec.name, arn, reused: false } : undefined),
      call: async (signal) => {
        const created = await iam.client.send(
          new CreatePolicyCommand({
            PolicyName: spec.name,
            PolicyDocument: json(spec.document),
            Path: path,
            ...(spec.description ? { Description: spec.description } : {}),
            ...(spec.tags?.length ? { Tags: spec.tags } : {}),
          }),
          { abortSignal: signal },
        );
        return { name: spec.name, arn: created.Policy?.Arn ?? arn, reused: false };
      },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return { name: spec.name, arn, reused: true };
  }
}

export async function ensureInstanceProfile(
  iam: IamScope,
  spec: { name: string; roleName?: string; tags?: AwsTag[]; path?: string },
): Promise<EnsuredIam> {
  const getProfile = async (signal: AbortSignal) =>
    (await iam.client.send(new GetInstanceProfileCommand({ InstanceProfileName: spec.name }), { abortSignal: signal })).InstanceProfile;
  let profile = await iam.find('iam:GetInstanceProfile', getProfile);
  let reused = true;
  if (!profile) {
    reused = false;
    try {
      await iam.mutate(`create-instance-profile:${spec.name}`, {
        action: 'iam:CreateInstanceProfile',
        intent: { instanceProfileName: spec.name },
        resume: async () => ((await iam.find('iam:GetInstanceProfile', getProfile))?.Arn ? { created: true } : undefined),
        call: async (signal) => {
          await iam.client.send(
            new CreateInstanceProfileCommand({
              InstanceProfileName: spec.name,
              ...(spec.path ? { Path: spec.path } : {}),
              ...(spec.tags?.length ? { Tags: spec.tags } : {}),
            }),
            { abortSignal: signal },
          );
          return { created: true };
        },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      reused = true;
    }
    profile = await iam.read('iam:GetInstanceProfile', getProfile);
  }
  const roles = profile?.Roles ?? [];
  // A profile holds at most one role; a reused profile with another role is left as the operator made it.
  if (spec.roleName && roles.length === 0) {
    const roleName = spec.roleName;
    await iam.mutate(`add-role-to-instance-profile:${spec.name}`, {
      action: 'iam:AddRoleToInstanceProfile',
      intent: { instanceProfileName: spec.name, roleName },
      resume: async () => ((await iam.find('iam:GetInstanceProfile', getProfile))?.Roles?.length ? { added: true } : undefined),
      call: async (signal) => {
        await iam.client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: spec.name, RoleName: roleName }), { abortSignal: signal });
        return { added: true };
      },
    });
  }
  return { name: spec.name, arn: profile?.Arn ?? '', reused };
}

/** AttachRolePolicy is idempotent at AWS; attaching twice is fine. */
export async function attachRolePolicy(iam: IamScope, roleName: string, policyArn: string): Promise<void> {
  await iam.mutate(`attach-role-policy:${roleName}:${policyArn}`, {
    action: 'iam:AttachRolePolicy',
    intent: { roleName, policyArn },
    call: async (signal) => {
      await iam.client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }), { abortSignal: signal });
      return { attached: true };
    },
  });
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
  const role = (await iam.find('iam:GetRole', (signal) => iam.client.send(new GetRoleCommand({ RoleName: roleName }), { abortSignal: signal })))?.Role;
  if (!role) return null;
  const attachedPages = await iam.aws.pages(iam.ctx, iam.env, 'iam:ListAttachedRolePolicies', paginateListAttachedRolePolicies, iam.client, { RoleName: roleName });
  const managedPolicies: CapturedManagedPolicy[] = [];
  for (const p of attachedPages.flatMap((page) => page.AttachedPolicies ?? [])) {
    if (!p.PolicyArn || !p.PolicyName) continue;
    const awsManaged = /^arn:aws[a-z-]*:iam::aws:policy\//.test(p.PolicyArn);
    let document: Record<string, unknown> | null = null;
    let path = '/';
    if (!awsManaged) {
      const policy = (await iam.find('iam:GetPolicy', (signal) => iam.client.send(new GetPolicyCommand({ PolicyArn: p.PolicyArn }), { abortSignal: signal })))?.Policy;
      path = policy?.Path ?? '/';
      if (policy?.DefaultVersionId) {
        const version = await iam.read('iam:GetPolicyVersion', (signal) =>
          iam.client.send(new GetPolicyVersionCommand({ PolicyArn: p.PolicyArn, VersionId: policy.DefaultVersionId }), { abortSignal: signal }),
        );
        document = decodePolicyDocument(version.PolicyVersion?.Document);
      }
    }
    managedPolicies.push({ name: p.PolicyName, arn: p.PolicyArn, awsManaged, path, document });
  }
  const inlinePages = await iam.aws.pages(iam.ctx, iam.env, 'iam:ListRolePolicies', paginateListRolePolicies, iam.client, { RoleName: roleName });
  const inlinePolicies: CapturedRole['inlinePolicies'] = [];
  for (const name of inlinePages.flatMap((page) => page.PolicyNames ?? [])) {
    const doc = await iam.read('iam:GetRolePolicy', (signal) => iam.client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }), { abortSignal: signal }));
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
  // Only what is missing is changed: a reused role (R7) keeps what it has, and a replay changes nothing.
  const attached = new Set(
    (await iam.aws.pages(iam.ctx, iam.env, 'iam:ListAttachedRolePolicies', paginateListAttachedRolePolicies, iam.client, { RoleName: role.name })).flatMap((p) => p.AttachedPolicies ?? []).map((p) => p.PolicyArn),
  );
  for (const p of captured.managedPolicies) {
    if (p.awsManaged) {
      if (!attached.has(p.arn)) await attachRolePolicy(iam, role.name, p.arn);
      continue;
    }
    if (!p.document) continue;
    const policy = await ensurePolicy(iam, { name: p.name, document: p.document, path: p.path, tags });
    if (!attached.has(policy.arn)) await attachRolePolicy(iam, role.name, policy.arn);
    entries.push({ sourceId, kind: 'IamPolicy', name: policy.name, targetId: policy.arn, reused: policy.reused });
  }
  const inline = new Set((await iam.aws.pages(iam.ctx, iam.env, 'iam:ListRolePolicies', paginateListRolePolicies, iam.client, { RoleName: role.name })).flatMap((p) => p.PolicyNames ?? []));
  for (const p of captured.inlinePolicies) {
    if (!p.document) continue;
    const document = JSON.stringify(p.document);
    if (inline.has(p.name)) {
      const now = await iam.read('iam:GetRolePolicy', (signal) => iam.client.send(new GetRolePolicyCommand({ RoleName: role.name, PolicyName: p.name }), { abortSignal: signal }));
      if (JSON.stringify(decodePolicyDocument(now.PolicyDocument)) === document) continue;
    }
    // PutRolePolicy replaces in place: replaying it is harmless.
    await iam.mutate(`put-role-policy:${role.name}:${p.name}`, {
      action: 'iam:PutRolePolicy',
      intent: { roleName: role.name, policyName: p.name },
      call: async (signal) => {
        await iam.client.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: p.name, PolicyDocument: document }), { abortSignal: signal });
        return { put: true };
      },
    });
  }
  return { role, entries };
}

/**
 * Reads the target account back after a restore: every captured role with its managed and inline
 * policies must be there (the product document promises them). Returns what is missing, as sentences.
 */
export async function verifyRoles(iam: IamScope, roles: CapturedRole[]): Promise<string[]> {
  const out: string[] = [];
  for (const captured of roles) {
    const role = await iam.find('iam:GetRole', (signal) => iam.client.send(new GetRoleCommand({ RoleName: captured.name }), { abortSignal: signal }));
    if (!role?.Role) {
      out.push(`IAM role ${captured.name} is missing`);
      continue;
    }
    const attached = (await iam.aws.pages(iam.ctx, iam.env, 'iam:ListAttachedRolePolicies', paginateListAttachedRolePolicies, iam.client, { RoleName: captured.name })).flatMap((p) => p.AttachedPolicies ?? []);
    for (const p of captured.managedPolicies) {
      if (!p.awsManaged && !p.document) continue;
      if (!attached.some((a) => a.PolicyName === p.name)) out.push(`policy ${p.name} is not attached to IAM role ${captured.name}`);
    }
    const inline = new Set((await iam.aws.pages(iam.ctx, iam.env, 'iam:ListRolePolicies', paginateListRolePolicies, iam.client, { RoleName: captured.name })).flatMap((p) => p.PolicyNames ?? []));
    for (const p of captured.inlinePolicies) if (p.document && !inline.has(p.name)) out.push(`inline policy ${p.name} of IAM role ${captured.name} is missing`);
  }
  return out;
}

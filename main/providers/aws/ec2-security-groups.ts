// Security groups of an EC2 failover: the instance's groups and every group their rules reference are
// recreated in the target under their source names (same-named groups are reused), then the rules,
// inbound and outbound, with group references mapped to the target's groups. A group the failover
// creates gets exactly the source's outbound rules (AWS's default allow-all is revoked when the source
// had none); a reused group only gains what is missing. What cannot be carried is said, never dropped.

import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { ProviderFailure } from '../provider-failure';
import type { EnvRef, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext, CallContext } from './clients';
import type { AwsTag } from './naming';

export interface Ec2SecurityGroup {
  id: string;
  name: string;
  description: string;
  vpcId?: string | null;
  ownerId?: string | null;
  ingress: IpPermission[];
  /** Outbound rules; absent in points captured before they were: then outbound rules are left as AWS makes them. */
  egress?: IpPermission[];
}

type Direction = 'ingress' | 'egress';

/** Referenced groups are followed this deep (a group referencing a group referencing ...). */
const MAX_REFERENCED_GROUPS = 50;

const referencedIds = (g: Ec2SecurityGroup): string[] =>
  [...g.ingress, ...(g.egress ?? [])].flatMap((p) => (p.UserIdGroupPairs ?? []).flatMap((pair) => (pair.GroupId ? [pair.GroupId] : [])));

export function toCapturedGroup(g: SecurityGroup): Ec2SecurityGroup {
  return {
    id: g.GroupId ?? '',
    name: g.GroupName ?? '',
    description: g.Description ?? '',
    vpcId: g.VpcId ?? null,
    ownerId: g.OwnerId ?? null,
    ingress: g.IpPermissions ?? [],
    egress: g.IpPermissionsEgress ?? [],
  };
}

/**
 * The groups the instance's groups reference (transitively), read in the source region. A group of
 * another account or a peered VPC the source cannot describe is left out; failover then says so.
 */
export async function captureReferencedGroups(aws: AwsContext, ctx: CallContext, env: EnvRef, groups: Ec2SecurityGroup[]): Promise<Ec2SecurityGroup[]> {
  const known = new Set(groups.map((g) => g.id));
  const out: Ec2SecurityGroup[] = [];
  let wanted = [...new Set(groups.flatMap(referencedIds))].filter((id) => !known.has(id));
  while (wanted.length && out.length < MAX_REFERENCED_GROUPS) {
    for (const id of wanted) known.add(id);
    const found: Ec2SecurityGroup[] = [];
    for (const id of wanted.slice(0, MAX_REFERENCED_GROUPS - out.length)) {
      // One by one: DescribeSecurityGroups fails the whole call when one id of the list is unknown.
      const r = await aws.lookup(ctx, env, 'ec2:DescribeSecurityGroups', (signal) =>
        aws.ec2(env).send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }), { abortSignal: signal }),
      );
      const g = r?.SecurityGroups?.[0];
      if (g) found.push(toCapturedGroup(g));
    }
    out.push(...found);
    wanted = [...new Set(found.flatMap(referencedIds))].filter((id) => !known.has(id));
  }
  return out;
}

/** One rule atom: protocol, ports and one source (a CIDR, an IPv6 CIDR or a group), comparable as a string. */
interface RuleAtom {
  key: string;
  permission: IpPermission;
  label: string;
}

const ports = (p: IpPermission) => (p.IpProtocol === '-1' ? 'all traffic' : `${p.IpProtocol} ${p.FromPort ?? ''}${p.ToPort !== p.FromPort ? `-${p.ToPort ?? ''}` : ''}`);
const base = (p: IpPermission): IpPermission => ({
  IpProtocol: p.IpProtocol,
  ...(p.FromPort !== undefined ? { FromPort: p.FromPort } : {}),
  ...(p.ToPort !== undefined ? { ToPort: p.ToPort } : {}),
});
const head = (p: IpPermission) => `${p.IpProtocol ?? ''}|${p.FromPort ?? ''}|${p.ToPort ?? ''}`;

/** Rule atoms of a group as it is in its own region (group references by id). */
function atomsOf(permissions: IpPermission[], direction: Direction = 'ingress'): RuleAtom[] {
  const out: RuleAtom[] = [];
  const way = direction === 'ingress' ? 'from' : 'to';
  for (const p of permissions) {
    for (const r of p.IpRanges ?? []) if (r.CidrIp) out.push({ key: `${head(p)}|cidr:${r.CidrIp}`, permission: { ...base(p), IpRanges: [{ CidrIp: r.CidrIp, ...(r.Description ? { Description: r.Description } : {}) }] }, label: `${ports(p)} ${way} ${r.CidrIp}` });
    for (const r of p.Ipv6Ranges ?? []) if (r.CidrIpv6) out.push({ key: `${head(p)}|cidr6:${r.CidrIpv6}`, permission: { ...base(p), Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6 }] }, label: `${ports(p)} ${way} ${r.CidrIpv6}` });
    for (const pair of p.UserIdGroupPairs ?? []) if (pair.GroupId) out.push({ key: `${head(p)}|sg:${pair.GroupId}`, permission: { ...base(p), UserIdGroupPairs: [{ GroupId: pair.GroupId }] }, label: `${ports(p)} ${way} group ${pair.GroupId}` });
    for (const pl of p.PrefixListIds ?? []) if (pl.PrefixListId) out.push({ key: `${head(p)}|pl:${pl.PrefixListId}`, permission: { ...base(p), PrefixListIds: [{ PrefixListId: pl.PrefixListId }] }, label: `${ports(p)} ${way} prefix list ${pl.PrefixListId}` });
  }
  return out;
}

export interface GroupPlan {
  /** Source group id -> target group id (the instance's groups and the referenced ones). */
  ids: Map<string, string>;
  names: Map<string, string>;
  entries: ResourceMappingEntry[];
}

/**
 * The source's rules of one group (one direction) translated to the target: the atoms to hold, and
 * what cannot be carried. Outbound rules of a point captured before they were: none, nothing said.
 */
export function translateRules(
  g: Ec2SecurityGroup,
  ids: Map<string, string>,
  names: Map<string, string>,
  direction: Direction = 'ingress',
): { atoms: RuleAtom[]; notCarried: string[] } {
  const atoms: RuleAtom[] = [];
  const notCarried: string[] = [];
  const rules = direction === 'ingress' ? g.ingress : (g.egress ?? []);
  const verb = direction === 'ingress' ? 'allowing' : 'allowing outbound';
  for (const a of atomsOf(rules, direction)) {
    const pair = a.permission.UserIdGroupPairs?.[0]?.GroupId;
    if (pair) {
      const mapped = ids.get(pair);
      if (!mapped) {
        notCarried.push(`the rule of security group ${g.name} ${verb} ${a.label} (the group is in another account or VPC the console cannot read)`);
        continue;
      }
      atoms.push({ key: a.key.replace(`sg:${pair}`, `sg:${mapped}`), permission: { ...a.permission, UserIdGroupPairs: [{ GroupId: mapped }] }, label: a.label.replace(pair, names.get(pair) ?? pair) });
      continue;
    }
    if (a.permission.PrefixListIds?.length) {
      notCarried.push(`the rule of security group ${g.name} ${verb} ${a.label} (prefix lists are per region)`);
      continue;
    }
    atoms.push(a);
  }
  return { atoms, notCarried };
}

const errName = (err: unknown) => String(((err as ProviderFailure)?.cause as { name?: string } | undefined)?.name ?? (err as Error)?.message);
const isDuplicate = (err: unknown) => /Duplicate/i.test(errName(err));
/** Revoking a rule that is no longer there (a replay after the revoke went through). */
const isNotFoundRule = (err: unknown) => /InvalidPermission\.NotFound|NotFound/i.test(errName(err));

async function defaultVpc(aws: AwsContext, ctx: StepContext, env: EnvRef): Promise<string | undefined> {
  const r = await aws.read(ctx, env, 'ec2:DescribeVpcs', (signal) =>
    aws.ec2(env).send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }), { abortSignal: signal }),
  );
  return r.Vpcs?.[0]?.VpcId;
}

async function groupNamed(aws: AwsContext, ctx: StepContext, env: EnvRef, name: string, vpcId: string | undefined): Promise<SecurityGroup | undefined> {
  const filters = [{ Name: 'group-name', Values: [name] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])];
  const r = await aws.read(ctx, env, 'ec2:DescribeSecurityGroups', (signal) =>
    aws.ec2(env).send(new DescribeSecurityGroupsCommand({ Filters: filters }), { abortSignal: signal }),
  );
  return r.SecurityGroups?.[0];
}

/** Adds the missing rules of one direction to a target group, one journaled operation per group and direction. */
async function authorize(aws: AwsContext, ctx: StepContext, env: EnvRef, sourceId: string, targetId: string, missing: RuleAtom[], direction: Direction): Promise<void> {
  const ec2 = aws.ec2(env);
  const IpPermissions = missing.map((a) => a.permission);
  await aws.mutate(ctx, env, `authorize-${direction}:${sourceId}`, {
    action: direction === 'ingress' ? 'ec2:AuthorizeSecurityGroupIngress' : 'ec2:AuthorizeSecurityGroupEgress',
    intent: { groupId: targetId, rules: missing.length },
    call: async (signal) => {
      try {
        if (direction === 'ingress') await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: targetId, IpPermissions }), { abortSignal: signal });
        else await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: targetId, IpPermissions }), { abortSignal: signal });
      } catch (err) {
        // A replay after the rules went in: they are there, which is what was asked.
        if (!isDuplicate(err)) throw err;
      }
      return { authorized: missing.length };
    },
  });
}

/**
 * Every group first (the instance's and the referenced ones, same-named reused), then each group's
 * missing rules. The source's "default" group maps to the target VPC's default group, which is never
 * changed. Returns the id map, the mapping entries and sentences for what could not be carried.
 */
export async function ensureSecurityGroups(
  aws: AwsContext,
  ctx: StepContext,
  env: EnvRef,
  groups: Ec2SecurityGroup[],
  referenced: Ec2SecurityGroup[],
  tags: AwsTag[],
): Promise<GroupPlan & { notCarried: string[] }> {
  const ec2 = aws.ec2(env);
  const all = [...groups, ...referenced.filter((r) => !groups.some((g) => g.id === r.id))];
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  const entries: ResourceMappingEntry[] = [];
  if (all.length === 0) return { ids, names, entries, notCarried: [] };
  const vpcId = await defaultVpc(aws, ctx, env);
  const seenNames = new Set<string>();
  const notCarried: string[] = [];
  /** Source ids of the groups this step created (now or in an interrupted attempt): their outbound rules are ours to set. */
  const created = new Set<string>();
  for (const g of all) {
    names.set(g.id, g.name);
    if (seenNames.has(g.name)) {
      // Two source groups of one name (two VPCs): the target's default VPC can hold only one.
      notCarried.push(`security group ${g.name} (${g.id}): another source group of the same name was already recreated`);
      const other = all.find((x) => x.name === g.name && ids.has(x.id));
      if (other) ids.set(g.id, ids.get(other.id)!);
      continue;
    }
    seenNames.add(g.name);
    const found = await groupNamed(aws, ctx, env, g.name, vpcId);
    if (found?.GroupId) {
      ids.set(g.id, found.GroupId);
      // Made by an interrupted attempt of this very step (its create is in the journal): ours, not reused,
      // so a resumed failover maps exactly what a clean one does.
      const ours = ctx.operations().some((o) => o.opKey === `create-security-group:${g.id}` && o.intent !== null);
      if (ours) created.add(g.id);
      if (g.name !== 'default') entries.push({ sourceId: g.id, kind: 'SecurityGroup', name: g.name, targetId: found.GroupId, ...(ours ? {} : { reused: true }) });
      continue;
    }
    if (g.name === 'default') {
      notCarried.push(`security group default (${g.id}): the target VPC has no default group`);
      continue;
    }
    const made = await aws.mutate(ctx, env, `create-security-group:${g.id}`, {
      action: 'ec2:CreateSecurityGroup',
      intent: { groupName: g.name, vpcId: vpcId ?? null, sourceGroupId: g.id },
      // The name is unique per VPC: an earlier attempt's group is found by it.
      resume: async () => {
        const again = await groupNamed(aws, ctx, env, g.name, vpcId);
        return again?.GroupId ? { groupId: again.GroupId } : undefined;
      },
      call: async (signal) => {
        const r = await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: g.name,
            Description: g.description || `Failover copy of ${g.name}`,
            ...(vpcId ? { VpcId: vpcId } : {}),
            TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
          }),
          { abortSignal: signal },
        );
        if (!r.GroupId) throw new ProviderFailure('ProviderError', `AWS accepted CreateSecurityGroup for ${g.name} but returned no group id.`);
        return { groupId: r.GroupId };
      },
    });
    ids.set(g.id, made.groupId);
    created.add(g.id);
    entries.push({ sourceId: g.id, kind: 'SecurityGroup', name: g.name, targetId: made.groupId });
  }

  for (const g of all) {
    const targetId = ids.get(g.id);
    if (!targetId || g.name === 'default') continue;
    const { atoms, notCarried: lost } = translateRules(g, ids, names);
    notCarried.push(...lost);
    if (atoms.length === 0) continue;
    const current = await aws.read(ctx, env, 'ec2:DescribeSecurityGroups', (signal) =>
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [targetId] }), { abortSignal: signal }),
    );
    const have = new Set(atomsOf(current.SecurityGroups?.[0]?.IpPermissions ?? []).map((a) => a.key));
    const missing = atoms.filter((a) => !have.has(a.key));
    if (missing.length) await authorize(aws, ctx, env, g.id, targetId, missing, 'ingress');
  }

  // Outbound rules: what the source allows is added; on a group this failover created, what AWS put
  // there by itself (allow all outbound) and the source did not have is revoked.
  for (const g of all) {
    const targetId = ids.get(g.id);
    if (!targetId || g.name === 'default' || !g.egress) continue;
    const { atoms, notCarried: lost } = translateRules(g, ids, names, 'egress');
    notCarried.push(...lost);
    const current = await aws.read(ctx, env, 'ec2:DescribeSecurityGroups', (signal) =>
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [targetId] }), { abortSignal: signal }),
    );
    const haveAtoms = atomsOf(current.SecurityGroups?.[0]?.IpPermissionsEgress ?? [], 'egress');
    const have = new Set(haveAtoms.map((a) => a.key));
    const want = new Set(atoms.map((a) => a.key));
    const missing = atoms.filter((a) => !have.has(a.key));
    const extra = created.has(g.id) && lost.length === 0 ? haveAtoms.filter((a) => !want.has(a.key)) : [];
    if (missing.length) await authorize(aws, ctx, env, g.id, targetId, missing, 'egress');
    if (extra.length) {
      await aws.mutate(ctx, env, `revoke-egress:${g.id}`, {
        action: 'ec2:RevokeSecurityGroupEgress',
        intent: { groupId: targetId, rules: extra.map((a) => a.label) },
        call: async (signal) => {
          try {
            await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: targetId, IpPermissions: extra.map((a) => a.permission) }), { abortSignal: signal });
          } catch (err) {
            if (!isNotFoundRule(err)) throw err;
          }
          return { revoked: extra.length };
        },
      });
    }
  }
  return { ids, names, entries, notCarried };
}

/** Reads the target's groups back: every translated rule of every recreated group must be there. */
export async function missingRules(
  aws: AwsContext,
  ctx: StepContext,
  env: EnvRef,
  groups: Ec2SecurityGroup[],
  plan: Pick<GroupPlan, 'ids' | 'names'>,
): Promise<string[]> {
  const out: string[] = [];
  for (const g of groups) {
    const targetId = plan.ids.get(g.id);
    if (!targetId || g.name === 'default') continue;
    const r = await aws.lookup(ctx, env, 'ec2:DescribeSecurityGroups', (signal) =>
      aws.ec2(env).send(new DescribeSecurityGroupsCommand({ GroupIds: [targetId] }), { abortSignal: signal }),
    );
    const have = new Set(atomsOf(r?.SecurityGroups?.[0]?.IpPermissions ?? []).map((a) => a.key));
    for (const a of translateRules(g, plan.ids, plan.names).atoms) {
      if (!have.has(a.key)) out.push(`the rule of security group ${g.name} allowing ${a.label} is missing in ${env.region}`);
    }
    if (!g.egress) continue;
    const haveOut = new Set(atomsOf(r?.SecurityGroups?.[0]?.IpPermissionsEgress ?? [], 'egress').map((a) => a.key));
    for (const a of translateRules(g, plan.ids, plan.names, 'egress').atoms) {
      if (!haveOut.has(a.key)) out.push(`the outbound rule of security group ${g.name} allowing ${a.label} is missing in ${env.region}`);
    }
  }
  return out;
}

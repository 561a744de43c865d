// IAM roles and customer-managed policies as EC2 instances and EKS clusters carry them in the sim,
// and the failover steps that recreate them in the target account, reusing same-named ones (R7).

import type { PlanContext, PlannedStep } from '../compute-family';
import { awsAccountNumber, type EnvLike } from '../naming';
import type { InventorySeed } from '../type-spec';

export interface AwsIamPolicy {
  name: string;
  arn: string;
  document: { Version: string; Statement: { Effect: string; Action: string[]; Resource: string }[] };
}
export interface AwsIamRole {
  name: string;
  arn: string;
  assumeRolePolicy: { Version: string; Statement: { Effect: string; Principal: { Service: string }; Action: string }[] };
  policies: AwsIamPolicy[];
}

export function awsRole(env: EnvLike, name: string, service: string, policies: AwsIamPolicy[]): AwsIamRole {
  return {
    name,
    arn: `arn:aws:iam::${awsAccountNumber(env)}:role/${name}`,
    assumeRolePolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
    },
    policies,
  };
}

export function awsPolicy(env: EnvLike, name: string, actions: string[], resource: string): AwsIamPolicy {
  return {
    name,
    arn: `arn:aws:iam::${awsAccountNumber(env)}:policy/${name}`,
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] },
  };
}

/** Policies first, then the roles they attach to; both reusable by name in the target account. */
export function awsIamSteps(roles: readonly AwsIamRole[], p: PlanContext, rank: { role: number; policy: number }): PlannedStep[] {
  const account = awsAccountNumber(p.target);
  const steps: PlannedStep[] = [];
  const seenPolicies = new Set<string>();
  for (const role of roles) {
    for (const pol of role.policies) {
      if (seenPolicies.has(pol.arn)) continue;
      seenPolicies.add(pol.arn);
      const name = p.name(pol.name);
      steps.push({
        kind: 'IamPolicy',
        name,
        nativeId: `arn:aws:iam::${account}:policy/${name}`,
        sourceId: pol.arn,
        attributes: { document: pol.document },
        share: 'iam',
        rank: rank.policy,
      });
    }
    const name = p.name(role.name);
    steps.push({
      kind: 'IamRole',
      name,
      nativeId: `arn:aws:iam::${account}:role/${name}`,
      sourceId: role.arn,
      attributes: {
        assumeRolePolicy: role.assumeRolePolicy,
        attachedPolicyArns: role.policies.map((pol) => `arn:aws:iam::${account}:policy/${p.name(pol.name)}`),
      },
      share: 'iam',
      rank: rank.role,
    });
  }
  return steps;
}

/** The roles and policies as resources of the source account (IAM is global: region 'global'). */
export function awsIamInventory(roles: readonly AwsIamRole[], tags: Record<string, string>): NonNullable<InventorySeed['extras']> {
  return roles.flatMap((role) => [
    ...role.policies.map((pol) => ({
      kind: 'IamPolicy',
      name: pol.name,
      nativeId: pol.arn,
      region: 'global',
      tags,
      attributes: { document: pol.document },
    })),
    {
      kind: 'IamRole',
      name: role.name,
      nativeId: role.arn,
      region: 'global',
      tags,
      attributes: { assumeRolePolicy: role.assumeRolePolicy, attachedPolicyArns: role.policies.map((p) => p.arn) },
    },
  ]);
}

// RDS DB parameter groups: the customer's group (with the parameters they set) is captured with the
// point and recreated under its own name in the target before a replica or a promoted instance names it.

import { CreateDBParameterGroupCommand, DescribeDBParameterGroupsCommand, ModifyDBParameterGroupCommand, paginateDescribeDBParameters } from '@aws-sdk/client-rds';
import type { EnvRef, StepContext } from '../types';
import type { AwsContext, CallContext } from './clients';
import { drTags, type DrRole } from './naming';
import { isDefaultGroup, type RdsParameterGroup } from './rds-common';

/** ModifyDBParameterGroup takes at most 20 parameters per call (RDS API reference). */
const PARAMETERS_PER_CALL = 20;

export function rdsParameterGroups(aws: AwsContext) {
  const describe = (ctx: CallContext, env: EnvRef, name: string) =>
    aws.lookup(ctx, env, 'rds:DescribeDBParameterGroups', (signal) => aws.rds(env).send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }), { abortSignal: signal }));

  /** The group an instance uses, with the parameters the customer set (Source=user). */
  const capture = async (ctx: CallContext, env: EnvRef, name: string | undefined): Promise<RdsParameterGroup | null> => {
    if (!name) return null;
    if (isDefaultGroup(name)) return { name, family: null, parameters: {} };
    const group = await describe(ctx, env, name);
    const parameters: Record<string, string> = {};
    try {
      const pages = await aws.pages(ctx, env, 'rds:DescribeDBParameters', paginateDescribeDBParameters, aws.rds(env), { DBParameterGroupName: name, Source: 'user' });
      for (const p of pages.flatMap((page) => page.Parameters ?? [])) if (p.ParameterName && p.ParameterValue !== undefined) parameters[p.ParameterName] = p.ParameterValue;
    } catch {
      // A group that vanished between the two calls: the point records it without parameters.
    }
    return { name, family: group?.DBParameterGroups?.[0]?.DBParameterGroupFamily ?? null, parameters };
  };

  /** The customer's parameter group must exist in the target before ModifyDBInstance can name it. */
  const ensure = async (ctx: StepContext, env: EnvRef, group: RdsParameterGroup | null, role: DrRole): Promise<string | undefined> => {
    if (!group) return undefined;
    if (isDefaultGroup(group.name)) return group.name;
    const existing = await describe(ctx, env, group.name);
    if (!existing?.DBParameterGroups?.length) {
      const family = group.family;
      if (!family) return undefined;
      await aws.mutate(ctx, env, `create-db-parameter-group:${group.name}`, {
        action: 'rds:CreateDBParameterGroup',
        intent: { name: group.name, family },
        // Group names are unique per region: an earlier attempt's group is found by name.
        resume: async () => ((await describe(ctx, env, group.name))?.DBParameterGroups?.length ? { name: group.name } : undefined),
        call: async (signal) => {
          await aws.rds(env).send(
            new CreateDBParameterGroupCommand({
              DBParameterGroupName: group.name,
              DBParameterGroupFamily: family,
              Description: `Copied by Failover Console from ${group.name}`,
              Tags: drTags(ctx, { role }),
            }),
            { abortSignal: signal },
          );
          return { name: group.name };
        },
      });
    }
    const entries = Object.entries(group.parameters);
    for (let i = 0; i < entries.length; i += PARAMETERS_PER_CALL) {
      const chunk = entries.slice(i, i + PARAMETERS_PER_CALL);
      // Setting a parameter to a value is idempotent: a replayed chunk changes nothing.
      await aws.mutate(ctx, env, `modify-db-parameter-group:${group.name}:${i / PARAMETERS_PER_CALL}`, {
        action: 'rds:ModifyDBParameterGroup',
        intent: { name: group.name, parameters: chunk.map(([k]) => k) },
        call: async (signal) => {
          await aws.rds(env).send(
            new ModifyDBParameterGroupCommand({
              DBParameterGroupName: group.name,
              Parameters: chunk.map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, ApplyMethod: 'pending-reboot' })),
            }),
            { abortSignal: signal },
          );
          return { modified: chunk.length };
        },
      });
    }
    return group.name;
  };

  /** The parameters of the group in the target that differ from the point's (warnings after failover). */
  const differences = async (ctx: StepContext, env: EnvRef, group: RdsParameterGroup | null): Promise<string[]> => {
    if (!group || isDefaultGroup(group.name) || Object.keys(group.parameters).length === 0) return [];
    const now = await capture(ctx, env, group.name);
    if (!now) return [`parameter group ${group.name} is missing`];
    return Object.entries(group.parameters)
      .filter(([k, v]) => now.parameters[k] !== v)
      .map(([k, v]) => `parameter ${k} of group ${group.name} is ${now.parameters[k] ?? 'unset'}, not ${v}`);
  };

  return { capture, ensure, differences };
}

// GCP custom roles, service accounts (principals) and role bindings as the sim holds them, and the
// failover steps that recreate them in the target project, reusing same-named ones (R7).

import type { PlanContext, PlannedStep } from '../compute-family';
import { gcpProject, gcpRoleId, type EnvLike } from '../naming';
import type { InventorySeed } from '../type-spec';

export interface GcpCustomRole {
  /** Role id, e.g. "appRuntime"; the role's name is projects/<p>/roles/<id>. */
  id: string;
  title: string;
  permissions: string[];
}
export interface GcpServiceAccount {
  /** Account id (the part before @). */
  name: string;
  email: string;
  /** Custom role ids (of this project) and predefined roles ("roles/logging.logWriter"). */
  roles: string[];
}
export interface GcpIam {
  roles: GcpCustomRole[];
  serviceAccounts: GcpServiceAccount[];
}

export function gcpServiceAccount(env: EnvLike, name: string, roles: string[]): GcpServiceAccount {
  const project = gcpProject(env);
  return { name, email: `${name}@${project}.iam.gserviceaccount.com`, roles };
}

/** Roles, then principals, then the bindings between them; all reusable by name. */
export function gcpIamSteps(iam: GcpIam, sourceProject: string, p: PlanContext, rank: { role: number; principal: number; binding: number }): PlannedStep[] {
  const project = gcpProject(p.target);
  const steps: PlannedStep[] = [];
  const roleRef = (role: string) => {
    if (role.startsWith('roles/')) return role;
    return `projects/${project}/roles/${gcpRoleId(p.name(role))}`;
  };
  for (const role of iam.roles) {
    const id = gcpRoleId(p.name(role.id));
    steps.push({
      kind: 'IamRole',
      name: id,
      nativeId: `projects/${project}/roles/${id}`,
      sourceId: `projects/${sourceProject}/roles/${role.id}`,
      attributes: { title: role.title, permissions: role.permissions, stage: 'GA' },
      share: 'iam',
      rank: rank.role,
    });
  }
  for (const sa of iam.serviceAccounts) {
    const name = p.name(sa.name).slice(0, 30);
    const email = `${name}@${project}.iam.gserviceaccount.com`;
    steps.push({
      kind: 'ServiceAccount',
      name,
      nativeId: `projects/${project}/serviceAccounts/${email}`,
      sourceId: `projects/${sourceProject}/serviceAccounts/${sa.email}`,
      attributes: { email, displayName: sa.name },
      share: 'iam',
      rank: rank.principal,
    });
    for (const role of sa.roles) {
      const ref = roleRef(role);
      // Named after the principal first, so a test binding carries the test prefix like everything else.
      const bindingName = `${name}/${role.startsWith('roles/') ? role : `roles/${gcpRoleId(p.name(role))}`}`;
      steps.push({
        kind: 'IamRoleBinding',
        name: bindingName,
        nativeId: `projects/${project}/iamBindings/${ref}/serviceAccount:${email}`,
        sourceId: `projects/${sourceProject}/iamBindings/${role.startsWith('roles/') ? role : `projects/${sourceProject}/roles/${role}`}/serviceAccount:${sa.email}`,
        attributes: { role: ref, member: `serviceAccount:${email}` },
        share: 'iam',
        rank: rank.binding,
      });
    }
  }
  return steps;
}

/** The custom roles, service accounts and bindings as resources of the source project. */
export function gcpIamInventory(env: EnvLike, iam: GcpIam, tags: Record<string, string>): NonNullable<InventorySeed['extras']> {
  const project = gcpProject(env);
  const roleRef = (role: string) => (role.startsWith('roles/') ? role : `projects/${project}/roles/${role}`);
  return [
    ...iam.roles.map((r) => ({
      kind: 'IamRole',
      name: r.id,
      nativeId: `projects/${project}/roles/${r.id}`,
      region: 'global',
      tags,
      attributes: { title: r.title, permissions: r.permissions, stage: 'GA' },
    })),
    ...iam.serviceAccounts.flatMap((sa) => [
      {
        kind: 'ServiceAccount',
        name: sa.name,
        nativeId: `projects/${project}/serviceAccounts/${sa.email}`,
        region: 'global',
        tags,
        attributes: { email: sa.email, displayName: sa.name },
      },
      ...sa.roles.map((role) => ({
        kind: 'IamRoleBinding',
        name: `${sa.name}/${role.startsWith('roles/') ? role : `roles/${role}`}`,
        nativeId: `projects/${project}/iamBindings/${roleRef(role)}/serviceAccount:${sa.email}`,
        region: 'global',
        tags,
        attributes: { role: roleRef(role), member: `serviceAccount:${sa.email}` },
      })),
    ]),
  ];
}

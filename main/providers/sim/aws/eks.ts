// Amazon EKS on the sim provider: points snapshot the EBS persistent volumes; failover creates the cluster,
// node groups, volumes and the cluster's IAM roles and policies (same-named IAM is reused, R7).

import type { ComputeTypeSpec } from '../compute-family';
import { awsAccountNumber, awsHexId } from '../naming';
import { awsIamInventory, awsIamSteps, awsPolicy, awsRole, type AwsIamRole } from './iam';

interface EksVolume {
  id: string;
  claim: string;
  sizeGb: number;
  volumeType: string;
}
interface EksSettings {
  version: string;
  endpointPublicAccess: boolean;
  logging: string[];
  nodeGroups: { name: string; instanceType: string; desired: number; min: number; max: number }[];
  addons: string[];
  iam: { roles: AwsIamRole[] };
  persistentVolumes: EksVolume[];
}

const CLAIMS = ['shop/orders-data', 'shop/redis-data', 'monitoring/prometheus-data', 'search/opensearch-data'] as const;

export const awsEks: ComputeTypeSpec = {
  family: 'compute',
  type: 'aws.eks',
  linkKind: 'SnapshotCopySchedule',
  settings: ['version', 'endpointPublicAccess', 'logging', 'nodeGroups', 'addons', 'iam', 'persistentVolumes'],
  inventory: {
    count: [1, 1],
    make(g) {
      const name = g.name(['eks-prod', 'eks-platform', 'eks-shop']);
      const settings: EksSettings = {
        version: g.pick.pick(['1.31', '1.32', '1.33']),
        endpointPublicAccess: g.pick.chance(0.3),
        logging: ['api', 'audit', 'authenticator'],
        nodeGroups: [
          { name: 'system', instanceType: 'm6i.large', desired: 2, min: 2, max: 3 },
          { name: 'apps', instanceType: g.pick.pick(['m6i.xlarge', 'm7g.xlarge', 'c6i.2xlarge']), desired: g.pick.int(3, 6), min: 2, max: 10 },
        ],
        addons: ['vpc-cni', 'coredns', 'kube-proxy', 'aws-ebs-csi-driver'],
        iam: {
          roles: [
            awsRole(g.env, `${name}-cluster-role`, 'eks.amazonaws.com', [
              awsPolicy(g.env, `${name}-cluster-logging`, ['logs:CreateLogStream', 'logs:PutLogEvents'], '*'),
            ]),
            awsRole(g.env, `${name}-node-role`, 'ec2.amazonaws.com', [
              awsPolicy(g.env, `${name}-ebs-csi`, ['ec2:CreateVolume', 'ec2:AttachVolume', 'ec2:CreateSnapshot'], '*'),
              awsPolicy(g.env, 'ecr-pull', ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'], '*'),
            ]),
          ],
        },
        persistentVolumes: g.pick
          .shuffled(CLAIMS)
          .slice(0, g.pick.int(1, 3))
          .map((claim) => ({ id: `vol-${g.pick.hex(17)}`, claim, sizeGb: g.pick.pick([20, 50, 100, 200]), volumeType: 'gp3' })),
      };
      return {
        kind: 'Cluster',
        name,
        nativeId: `arn:aws:eks:${g.env.region}:${awsAccountNumber(g.env)}:cluster/${name}`,
        tags: g.tags('kubernetes'),
        attributes: { ...settings },
        extras: awsIamInventory(settings.iam.roles, { app: 'kubernetes', env: 'production' }),
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as EksSettings;
      const nodes = s.nodeGroups.reduce((n, ng) => n + ng.desired, 0);
      return `Kubernetes ${s.version}, ${nodes} nodes, ${s.persistentVolumes.length} persistent volumes`;
    },
  },
  volumes: (s) => (s as unknown as EksSettings).persistentVolumes.map((v) => ({ id: v.id, name: v.claim, sizeGb: v.sizeGb })),
  snapshot(vol, _target, token, pointTag) {
    return { name: `${vol.name.replace('/', '-')}-${pointTag}`, nativeId: awsHexId('snap', token) };
  },
  plan(meta, p) {
    const s = meta.settings as unknown as EksSettings;
    const account = awsAccountNumber(p.target);
    const cluster = p.name(meta.name);
    const clusterArn = `arn:aws:eks:${p.target.region}:${account}:cluster/${cluster}`;
    const volumes = s.persistentVolumes.map((v) => ({
      kind: 'Volume',
      name: `${cluster}:${v.claim}`,
      nativeId: awsHexId('vol', p.token(`volume:${v.id}`)),
      sourceId: v.id,
      attributes: { claim: v.claim, sizeGb: v.sizeGb, volumeType: v.volumeType, snapshotId: p.snapshotOf(v.id) },
      rank: 2,
    }));
    const roleArn = (suffix: string) => {
      const role = s.iam.roles.find((r) => r.name.endsWith(suffix));
      return role ? `arn:aws:iam::${account}:role/${p.name(role.name)}` : null;
    };
    return [
      ...awsIamSteps(s.iam.roles, p, { role: 3, policy: 4 }),
      ...volumes,
      {
        kind: 'Cluster',
        name: cluster,
        nativeId: clusterArn,
        sourceId: meta.sourceId,
        attributes: {
          version: s.version,
          endpointPublicAccess: s.endpointPublicAccess,
          logging: s.logging,
          addons: s.addons,
          roleArn: roleArn('-cluster-role'),
          persistentVolumeIds: volumes.map((v) => v.nativeId),
        },
        rank: 0,
      },
      ...s.nodeGroups.map((ng) => ({
        kind: 'NodeGroup',
        name: `${cluster}/${ng.name}`,
        nativeId: `arn:aws:eks:${p.target.region}:${account}:nodegroup/${cluster}/${ng.name}/${p.token(`nodegroup:${ng.name}`).slice(0, 8)}`,
        sourceId: `${meta.sourceId.replace(':cluster/', ':nodegroup/')}/${ng.name}`,
        attributes: { ...ng, nodeRoleArn: roleArn('-node-role') },
        rank: 1,
      })),
    ];
  },
};

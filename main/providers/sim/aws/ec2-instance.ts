// Amazon EC2 instance on the sim provider: points copy an AMI and EBS snapshots to the target; failover
// creates instance, volumes, security groups, IAM roles and policies (same-named IAM reused, R7).

import type { ComputeTypeSpec } from '../compute-family';
import { awsHexId } from '../naming';
import { digest } from '../prng';
import { awsIamInventory, awsIamSteps, awsPolicy, awsRole, type AwsIamRole } from './iam';

interface Ec2Volume {
  id: string;
  device: string;
  sizeGb: number;
  volumeType: string;
  iops: number;
  encrypted: boolean;
}
interface SecurityGroup {
  id: string;
  name: string;
  rules: { direction: 'ingress' | 'egress'; protocol: string; port: number; cidr: string }[];
}
interface Ec2Settings {
  instanceType: string;
  imageId: string;
  platform: string;
  availabilityZone: string;
  subnetId: string;
  keyName: string | null;
  monitoring: boolean;
  ebsOptimized: boolean;
  securityGroups: SecurityGroup[];
  volumes: Ec2Volume[];
  iam: { instanceProfile: string | null; roles: AwsIamRole[] };
  metadataOptions: { httpTokens: string };
}

const TYPES = ['t3.medium', 'm6i.large', 'm7g.xlarge', 'c6i.large', 'r6i.large'] as const;

export const awsEc2Instance: ComputeTypeSpec = {
  family: 'compute',
  type: 'aws.ec2-instance',
  linkKind: 'SnapshotCopySchedule',
  settings: [
    'instanceType',
    'imageId',
    'platform',
    'availabilityZone',
    'subnetId',
    'keyName',
    'monitoring',
    'ebsOptimized',
    'securityGroups',
    'volumes',
    'iam',
    'metadataOptions',
  ],
  inventory: {
    count: [3, 5],
    make(g) {
      const name = g.name(['web-01', 'web-02', 'api-01', 'worker-01', 'worker-02', 'bastion-01', 'cron-01']);
      const app = name.replace(/-\d+$/, '');
      const sg = g.shared(`aws.sg.${app}`, (): SecurityGroup => ({
        id: `sg-${g.pick.hex(17)}`,
        name: `${app}-sg`,
        rules:
          app === 'web' || app === 'api'
            ? [
                { direction: 'ingress', protocol: 'tcp', port: 443, cidr: '0.0.0.0/0' },
                { direction: 'egress', protocol: '-1', port: 0, cidr: '0.0.0.0/0' },
              ]
            : app === 'bastion'
              ? [{ direction: 'ingress', protocol: 'tcp', port: 22, cidr: '203.0.113.0/24' }]
              : [{ direction: 'egress', protocol: '-1', port: 0, cidr: '0.0.0.0/0' }],
      }));
      const roles = g.shared(`aws.iam.${app}`, (): AwsIamRole[] =>
        app === 'bastion'
          ? []
          : [
              awsRole(g.env, `${app}-app-role`, 'ec2.amazonaws.com', [
                app === 'worker' || app === 'cron'
                  ? awsPolicy(g.env, 'orders-queue-consume', ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], 'arn:aws:sqs:*:*:orders-*')
                  : awsPolicy(g.env, 'media-assets-read', ['s3:GetObject', 's3:ListBucket'], 'arn:aws:s3:::media-assets*'),
                awsPolicy(g.env, 'app-secrets-read', ['secretsmanager:GetSecretValue'], 'arn:aws:secretsmanager:*:*:secret:app/*'),
              ]),
            ],
      );
      const volumes: Ec2Volume[] = [
        { id: `vol-${g.pick.hex(17)}`, device: '/dev/xvda', sizeGb: g.pick.pick([8, 20, 30]), volumeType: 'gp3', iops: 3000, encrypted: true },
      ];
      if (app === 'worker' || g.pick.chance(0.3)) {
        volumes.push({ id: `vol-${g.pick.hex(17)}`, device: '/dev/sdf', sizeGb: g.pick.pick([100, 200, 500]), volumeType: g.pick.pick(['gp3', 'io2']), iops: g.pick.pick([3000, 6000]), encrypted: true });
      }
      const settings: Ec2Settings = {
        instanceType: g.pick.pick(TYPES),
        imageId: `ami-${g.pick.hex(17)}`,
        platform: 'Linux/UNIX',
        availabilityZone: `${g.env.region}${g.pick.pick(['a', 'b', 'c'])}`,
        subnetId: `subnet-${g.pick.hex(17)}`,
        keyName: app === 'bastion' ? 'ops-admin' : null,
        monitoring: g.pick.chance(0.5),
        ebsOptimized: true,
        securityGroups: [sg],
        volumes,
        iam: { instanceProfile: roles[0]?.name ?? null, roles },
        metadataOptions: { httpTokens: 'required' },
      };
      const tags = { Name: name, ...g.tags(app) };
      return {
        kind: 'Instance',
        name,
        nativeId: `i-${g.pick.hex(17)}`,
        tags,
        attributes: { ...settings },
        extras: awsIamInventory(roles, { app, env: 'production' }),
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as Ec2Settings;
      const gb = s.volumes.reduce((n, v) => n + v.sizeGb, 0);
      return `${s.instanceType}, ${s.volumes.length} EBS volume${s.volumes.length === 1 ? '' : 's'} (${gb} GiB)${s.iam.roles.length ? `, role ${s.iam.roles[0]?.name}` : ''}`;
    },
  },
  volumes: (s) => (s as unknown as Ec2Settings).volumes.map((v) => ({ id: v.id, name: v.id, sizeGb: v.sizeGb })),
  snapshot(vol, _target, token, pointTag) {
    return { name: `${vol.id}-${pointTag}`, nativeId: awsHexId('snap', token) };
  },
  image(source, _target, token, pointTag) {
    return { kind: 'Image', name: `${source.name}-dr-${pointTag}`, nativeId: awsHexId('ami', token) };
  },
  plan(meta, p) {
    const s = meta.settings as unknown as Ec2Settings;
    const name = p.name(meta.name);
    const groups = s.securityGroups.map((sg) => {
      const sgName = p.name(sg.name);
      return {
        kind: 'SecurityGroup',
        name: sgName,
        // Group names are unique per VPC, so the id follows the name: instances of one job share it.
        nativeId: awsHexId('sg', digest(p.target.account.id, p.target.region, sgName)),
        sourceId: sg.id,
        attributes: { rules: sg.rules },
        share: 'network' as const,
        rank: 2,
      };
    });
    const volumes = s.volumes.map((v) => ({
      kind: 'Volume',
      name: `${name}:${v.device}`,
      nativeId: awsHexId('vol', p.token(`volume:${v.id}`)),
      sourceId: v.id,
      attributes: { device: v.device, sizeGb: v.sizeGb, volumeType: v.volumeType, iops: v.iops, encrypted: v.encrypted, snapshotId: p.snapshotOf(v.id) },
      rank: 1,
    }));
    return [
      ...awsIamSteps(s.iam.roles, p, { role: 3, policy: 4 }),
      ...groups,
      ...volumes,
      {
        kind: 'Instance',
        name,
        nativeId: awsHexId('i', p.token('instance')),
        sourceId: meta.sourceId,
        attributes: {
          instanceType: s.instanceType,
          imageId: meta.imageId,
          platform: s.platform,
          keyName: s.keyName,
          monitoring: s.monitoring,
          ebsOptimized: s.ebsOptimized,
          metadataOptions: s.metadataOptions,
          securityGroupIds: groups.map((g) => g.nativeId),
          volumeIds: volumes.map((v) => v.nativeId),
          iamInstanceProfile: s.iam.instanceProfile ? p.name(s.iam.instanceProfile) : null,
        },
        rank: 0,
      },
    ];
  },
};

// Profiles are listed from the files AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE name, without secrets.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listAwsProfiles } from '../../../../main/providers/aws/profiles';
import { useTempDirs } from '../../../helpers/temp-dir';

describe('listAwsProfiles', () => {
  const makeTempDir = useTempDirs('fc-aws-profiles-');
  const saved = { config: process.env.AWS_CONFIG_FILE, creds: process.env.AWS_SHARED_CREDENTIALS_FILE };
  afterEach(() => {
    if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
    else process.env.AWS_CONFIG_FILE = saved.config;
    if (saved.creds === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
    else process.env.AWS_SHARED_CREDENTIALS_FILE = saved.creds;
  });

  it('lists SSO, role and key profiles with their non-secret settings', async () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, 'config'),
      [
        '[default]',
        'region = eu-west-1',
        '[profile prod-sso]',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = Admin',
        'region = us-east-1',
        '[profile legacy-sso]',
        'sso_start_url = https://legacy.awsapps.com/start',
        '[profile dr-role]',
        'role_arn = arn:aws:iam::111122223333:role/dr',
        'source_profile = default',
        '[sso-session corp]',
        'sso_start_url = https://corp.awsapps.com/start',
        'sso_region = us-east-1',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'credentials'), ['[default]', 'aws_access_key_id = AKIAEXAMPLE0000000001', 'aws_secret_access_key = topsecretvalue', '[ci]', 'aws_access_key_id = AKIAEXAMPLE0000000002', 'aws_secret_access_key = another'].join('\n'));
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');

    const profiles = await listAwsProfiles();
    expect(profiles).toEqual([
      { name: 'default', region: 'eu-west-1', sso: false, ssoStartUrl: null, roleArn: null },
      { name: 'ci', region: null, sso: false, ssoStartUrl: null, roleArn: null },
      { name: 'dr-role', region: null, sso: false, ssoStartUrl: null, roleArn: 'arn:aws:iam::111122223333:role/dr' },
      { name: 'legacy-sso', region: null, sso: true, ssoStartUrl: 'https://legacy.awsapps.com/start', roleArn: null },
      { name: 'prod-sso', region: 'us-east-1', sso: true, ssoStartUrl: 'https://corp.awsapps.com/start', roleArn: null },
    ]);
    expect(JSON.stringify(profiles)).not.toMatch(/AKIA|topsecret|another/);
  });

  it('is empty when there are no AWS files', async () => {
    const dir = makeTempDir();
    process.env.AWS_CONFIG_FILE = join(dir, 'missing-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'missing-credentials');
    expect(await listAwsProfiles()).toEqual([]);
  });
});

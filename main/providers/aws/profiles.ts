// The operator's AWS profiles (~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE /
// AWS_SHARED_CREDENTIALS_FILE) listed for picking: names and non-secret settings, never keys.

import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import type { AwsProfileView } from '../../../shared/domain';

const PROFILE_NAME = /^[\w.@+-]{1,128}$/;

export async function listAwsProfiles(opts: { configFile?: string; credentialsFile?: string } = {}): Promise<AwsProfileView[]> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({
    ignoreCache: true,
    ...(opts.configFile ? { configFilepath: opts.configFile } : {}),
    ...(opts.credentialsFile ? { filepath: opts.credentialsFile } : {}),
  });
  // The loader keys non-profile sections as "<kind>.<name>" (sso-session.x, services.y).
  const isSection = (key: string) => key.startsWith('sso-session.') || key.startsWith('services.');
  const names = new Set<string>();
  for (const key of Object.keys(configFile)) if (!isSection(key)) names.add(key);
  for (const key of Object.keys(credentialsFile)) names.add(key);

  const out: AwsProfileView[] = [];
  for (const name of [...names].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)))) {
    if (!PROFILE_NAME.test(name)) continue;
    const c = configFile[name] ?? {};
    const session = c.sso_session ? configFile[`sso-session.${c.sso_session}`] : undefined;
    const ssoStartUrl = c.sso_start_url ?? session?.sso_start_url ?? null;
    out.push({
      name,
      region: c.region ?? credentialsFile[name]?.region ?? null,
      sso: Boolean(c.sso_start_url || c.sso_session || c.sso_account_id),
      ssoStartUrl,
      roleArn: c.role_arn ?? credentialsFile[name]?.role_arn ?? null,
    });
  }
  return out;
}

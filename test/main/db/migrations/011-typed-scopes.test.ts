import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import { createRepos } from '../../../../main/db/repos';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const AT = '2030-01-01T00:00:00.000Z';
const SUB = '00000000-0000-4000-8000-000000000001';

/** A file as version 6 left it: scopes as the free text the Add environment dialog took. */
function version6File() {
  const db = openDatabase(join(tempDir(), 'v6.sqlite'), { migrations: MIGRATIONS.filter((m) => m.version <= 6) });
  const account = db.prepare(`INSERT INTO accounts VALUES (?, ?, 'sim', ?, 'none', x'', ?)`);
  account.run('a_aws', 'AWS', 'aws', AT);
  account.run('a_az', 'Azure', 'azure', AT);
  account.run('a_gcp', 'GCP', 'gcp', AT);
  const env = db.prepare(`INSERT INTO environments VALUES (?, ?, ?, ?, ?, ?)`);
  env.run('e1', 'a_aws', 'aws-id', 'us-east-1', '111122223333', AT);
  env.run('e2', 'a_aws', 'aws-blank', 'us-west-2', '', AT);
  env.run('e3', 'a_aws', 'aws-junk', 'eu-west-1', 'prod account', AT);
  env.run('e4', 'a_az', 'az-path', 'westeurope', `/subscriptions/${SUB}/resourceGroups/rg-shop`, AT);
  env.run('e5', 'a_az', 'az-pair', 'northeurope', `${SUB}/rg-dr`, AT);
  env.run('e6', 'a_az', 'az-bad-sub', 'eastus', 'sub-0001/rg-prod', AT);
  env.run('e7', 'a_gcp', 'gcp-project', 'us-central1', 'shop-prod-1234', AT);
  env.run('e8', 'a_gcp', 'gcp-bad', 'europe-west1', 'P!', AT);
  return db;
}

describe('migration 011 (typed scopes)', () => {
  it('rewrites every stored scope as the typed scope the providers read from its text', () => {
    const db = version6File();
    expect(migrate(db)).toBeGreaterThanOrEqual(11);
    const scopes = Object.fromEntries(
      (db.prepare('SELECT id, scope FROM environments ORDER BY id').all() as { id: string; scope: string }[]).map((r) => [r.id, JSON.parse(r.scope)]),
    );
    expect(scopes).toEqual({
      e1: { cloud: 'aws', region: 'us-east-1', accountId: '111122223333' },
      e2: { cloud: 'aws', region: 'us-west-2', accountId: null },
      e3: { cloud: 'aws', region: 'eu-west-1', accountId: null },
      e4: { cloud: 'azure', location: 'westeurope', subscriptionId: SUB, resourceGroup: 'rg-shop' },
      e5: { cloud: 'azure', location: 'northeurope', subscriptionId: SUB, resourceGroup: 'rg-dr' },
      // The sim ignored both parts of "sub-0001/rg-prod" (not a GUID), so the ids it derived stay the same.
      e6: { cloud: 'azure', location: 'eastus', subscriptionId: null, resourceGroup: null },
      e7: { cloud: 'gcp', region: 'us-central1', projectId: 'shop-prod-1234', zone: null },
      e8: { cloud: 'gcp', region: 'europe-west1', projectId: null, zone: null },
    });
    // The repository reads them typed.
    expect(createRepos(db).environments.get('e5')?.scope).toEqual(scopes['e5']);
    db.close();
  });

  it('keeps the text it could not carry in the audit log, beside the environment', () => {
    const db = version6File();
    migrate(db);
    const rows = db.prepare(`SELECT subject_id, detail FROM audit_log WHERE action = 'environment.scope-migrated' ORDER BY subject_id`).all() as {
      subject_id: string;
      detail: string;
    }[];
    expect(rows.map((r) => r.subject_id)).toEqual(['e3', 'e6', 'e8']);
    expect(rows[0]!.detail).toContain('"prod account"');
    expect(rows[1]!.detail).toContain('"sub-0001/rg-prod"');
    db.close();
  });

  it('adds the credential cache table, removed with its account', () => {
    const db = version6File();
    migrate(db);
    db.prepare(`INSERT INTO credential_caches VALUES ('a_az', 'msal', x'01', ?)`).run(AT);
    db.prepare(`DELETE FROM environments WHERE account_id = 'a_az'`).run();
    db.prepare(`DELETE FROM accounts WHERE id = 'a_az'`).run();
    expect(db.prepare('SELECT COUNT(*) FROM credential_caches').pluck().get()).toBe(0);
    db.close();
  });
});

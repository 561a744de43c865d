// Hostile names and webhook targets through the real router: each is refused with a
// ValidationFailed sentence naming the field, and every committed row is kept unchanged.

import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../../shared/domain';
import { createTestCore, seedAwsPair } from '../../helpers/test-core';
import { lostOrChanged, snapshotRows } from '../../helpers/rows';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

async function setup() {
  const core = createTestCore(tempDir());
  const seeded = await seedAwsPair(core);
  const input: PolicyInput = {
    name: 'Payments',
    sourceEnvironmentId: seeded.source.id,
    targetEnvironmentId: seeded.target.id,
    resources: seeded.inventory.slice(0, 2).map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
    schedule: null,
    webhookUrl: null,
    webhookOnTestFailover: false,
  };
  return { core, ...seeded, input };
}

const RLO = 'invoice\u202Efdp.exe';

describe('hostile names and webhook targets', () => {
  it('refuses bidi overrides, invisible-only names, controls and lone surrogates in every kind of name, keeping every row', async () => {
    const { core, account, source, input } = await setup();
    await core.call('dr:policies.create', input);
    const before = snapshotRows(core.db);
    const cases: [string, Promise<{ code: string; message: string }>, RegExp][] = [
      ['policy name', core.fail('dr:policies.create', { ...input, name: RLO }), /^The request is not valid: name must not contain bidirectional override or isolate characters \(found U\+202E\)\.$/],
      ['policy name', core.fail('dr:policies.create', { ...input, name: '\u200B\u200D\uFEFF' }), /name must contain a visible character/],
      ['policy name', core.fail('dr:policies.create', { ...input, name: 'a\u001b[2Jb' }), /name must not contain control characters \(found U\+001B\)/],
      ['policy name', core.fail('dr:policies.create', { ...input, name: 'pay\uD800' }), /name must not contain a lone surrogate/],
      ['resource name', core.fail('dr:policies.create', { ...input, name: 'Other', resources: [{ ...input.resources[0]!, name: `db\u0000` }] }), /resources\.0\.name must not contain control characters \(found U\+0000\)/],
      ['account name', core.fail('dr:accounts.create', { name: RLO, provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } }), /name must not contain bidirectional/],
      ['environment name', core.fail('dr:environments.create', { accountId: account.id, name: '\u2066x\u2069', region: 'us-east-1', scope: '' }), /name must not contain bidirectional.*U\+2066/],
      ['scope', core.fail('dr:environments.create', { accountId: account.id, name: 'Ok', region: 'us-east-1', scope: '1111\u0085' }), /scope must not contain control characters \(found U\+0085\)/],
      ['policy update', core.fail('dr:policies.update', { policyId: source.id, expectedUpdatedAt: 'x', policy: { ...input, name: RLO } }), /policy\.name must not contain bidirectional/],
    ];
    for (const [what, pending, message] of cases) {
      const err = await pending;
      expect(err.code, what).toBe('ValidationFailed');
      expect(err.message, what).toMatch(message);
    }
    expect(lostOrChanged(before, snapshotRows(core.db))).toEqual([]);
    expect(snapshotRows(core.db).get('policies')?.size).toBe(1);
    await core.close();
  });

  it('stores a decomposed name in NFC, so the same name typed two ways is one name', async () => {
    const { core, input } = await setup();
    const created = await core.call('dr:policies.create', { ...input, name: 'Cafe\u0301' });
    expect(created.name).toBe('Caf\u00e9');
    const dup = await core.fail('dr:policies.create', { ...input, name: 'Caf\u00e9' });
    expect(dup.code).toBe('Conflict');
    await core.close();
  });

  it('refuses a webhook URL with CR/LF and stores an accepted one re-serialised', async () => {
    const { core, input } = await setup();
    const before = snapshotRows(core.db);
    const err = await core.fail('dr:policies.create', { ...input, webhookUrl: 'https://hooks.example.test/dr\r\nX-Evil: 1' });
    expect(err).toMatchObject({ code: 'ValidationFailed', message: 'The request is not valid: webhookUrl must not contain line breaks or other control characters.' });
    expect(lostOrChanged(before, snapshotRows(core.db))).toEqual([]);
    const ok = await core.call('dr:policies.create', { ...input, webhookUrl: 'HTTPS://Hooks.Example.TEST/a/../dr' });
    expect(ok.webhookUrl).toBe('https://hooks.example.test/dr');
    await core.close();
  });

  it.each(['http://169.254.169.254/latest/meta-data/iam/', 'http://[fd00:ec2::254]/latest/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://100.100.100.200/'])(
    'refuses the metadata target %s unless the policy allows private targets, and audits that choice',
    async (url) => {
      const { core, input } = await setup();
      const before = snapshotRows(core.db);
      const err = await core.fail('dr:policies.create', { ...input, webhookUrl: url });
      expect(err.code).toBe('ValidationFailed');
      expect(err.message).toBe('The policy is not valid: webhookUrl is a link-local or cloud metadata address; allow private targets for this policy to use it.');
      expect(lostOrChanged(before, snapshotRows(core.db))).toEqual([]);

      const allowed = await core.call('dr:policies.create', { ...input, webhookUrl: url, webhookAllowPrivateTargets: true });
      expect(allowed.webhookAllowPrivateTargets).toBe(true);
      const audit = await core.call('dr:audit.list', { subjectId: allowed.id, offset: 0, limit: 50 });
      expect(audit.items.map((a) => [a.action, a.detail])).toContainEqual(['policy.webhookPrivateTargets', 'private webhook targets allowed']);
      await core.close();
    },
  );
});

import { describe, expect, it } from 'vitest';
import { PassphraseKeyProvider } from '../../../main/credentials/passphrase-key-provider';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestCore } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };
const AWS = { name: 'AWS', provider: 'sim' as const, cloud: 'aws' as const, credentials: { kind: 'none' as const } };

describe('the passphrase lock', () => {
  it('sets, unlocks at the next start, changes, and keeps stored credentials readable throughout', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    let core = createTestCore(dir, { keyProvider: new PassphraseKeyProvider(null, CHEAP), clock });
    expect(await core.call('dr:passphrase.status', {})).toMatchObject({ required: true, set: false, unlocked: false });
    expect((await core.call('dr:passphrase.status', {})).reason).toMatch(/no system keyring.*basic_text/);
    await core.call('dr:passphrase.set', { passphrase: 'first passphrase 1' });
    const hook = core.services.vault.sealWebhookSecret('pol_x', 'webhook-secret');
    await core.close();

    core = createTestCore(dir, { keyProvider: new PassphraseKeyProvider(null, CHEAP), clock });
    expect(await core.call('dr:passphrase.status', {})).toMatchObject({ set: true, unlocked: false });
    expect(() => core.services.vault.openWebhookSecret('pol_x', hook)).toThrow();
    await core.call('dr:passphrase.unlock', { passphrase: 'first passphrase 1' });
    expect(core.services.vault.openWebhookSecret('pol_x', hook).toString()).toBe('webhook-secret');
    await core.call('dr:passphrase.change', { current: 'first passphrase 1', next: 'second passphrase 2' });
    await core.close();

    core = createTestCore(dir, { keyProvider: new PassphraseKeyProvider(null, CHEAP), clock });
    expect((await core.fail('dr:passphrase.unlock', { passphrase: 'first passphrase 1' })).message).toMatch(/Wrong passphrase/);
    await core.call('dr:passphrase.unlock', { passphrase: 'second passphrase 2' });
    expect(core.services.vault.openWebhookSecret('pol_x', hook).toString()).toBe('webhook-secret');
    await core.call('dr:accounts.create', AWS);
    await core.close();
  });

  it('after five wrong tries pauses unlocking for a minute, then doubles the pause, and survives a restart', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    let core = createTestCore(dir, { keyProvider: new PassphraseKeyProvider(null, CHEAP), clock });
    await core.call('dr:passphrase.set', { passphrase: 'the right passphrase' });
    await core.close();
    core = createTestCore(dir, { keyProvider: new PassphraseKeyProvider(null, CHEAP), clock });
    for (let i = 1; i <= 4; i++) {
      const e = await core.fail('dr:passphrase.unlock', { passphrase: `wrong guess ${i}xxxx` });
      expect(e.message).toBe(`Wrong passphrase. ${5 - i} more wrong ${5 - i === 1 ? 'try' : 'tries'} and unlocking pauses for a minute.`);
    }
    const fifth = await core.fail('dr:passphrase.unlock', { passphrase: 'wrong guess 5xxxx' });
    expect(fifth.code).toBe('Forbidden');
    expect(fifth.message).toMatch(/Wrong passphrase 5 times in a row: unlocking is paused for 1 minute\(s\) \(until .*\), and each further wrong try doubles the pause\. Nothing was erased/);
    // Even the right passphrase waits out the pause, across a restart.
    await core.close();
    core = createTestCore(dir, { keyProvider: new PassphraseKeyProvider(null, CHEAP), clock });
    expect((await core.call('dr:passphrase.status', {})).lockedUntil).not.toBeNull();
    expect((await core.fail('dr:passphrase.unlock', { passphrase: 'the right passphrase' })).message).toMatch(/Unlocking is paused after 5 wrong passphrases/);
    clock.advance(61_000);
    const sixth = await core.fail('dr:passphrase.unlock', { passphrase: 'wrong guess 6xxxx' });
    expect(sixth.message).toMatch(/paused for 2 minute\(s\)/);
    clock.advance(121_000);
    expect(await core.call('dr:passphrase.unlock', { passphrase: 'the right passphrase' })).toMatchObject({ unlocked: true, failedAttempts: 0, lockedUntil: null });
    await core.close();
  });

  it('is not asked for where the OS keeps the key', async () => {
    const core = createTestCore(tempDir());
    expect(await core.call('dr:passphrase.status', {})).toMatchObject({ required: false });
    expect((await core.fail('dr:passphrase.set', { passphrase: 'not needed here 1' })).code).toBe('PreconditionFailed');
    await core.close();
  });
});

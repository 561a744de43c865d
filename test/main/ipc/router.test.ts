import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../../../main/core/errors';
import type { Logger } from '../../../main/core/logger';
import { MAX_REQUEST_BYTES, Router, requestBytes } from '../../../main/ipc/router';
import { ProviderFailure } from '../../../main/providers/provider-failure';

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m, d) => lines.push(`error ${m} ${d instanceof Error ? d.stack : JSON.stringify(d)}`),
  };
  return { lines, logger };
}

describe('the IPC router', () => {
  it('returns the handler value as ok, parsed with the response schema', async () => {
    const router = new Router({ validateResponses: true });
    router.handle('dr:accounts.list', () => []);
    expect(await router.dispatch('dr:accounts.list', {})).toEqual({ ok: true, value: [] });
    expect(router.channels()).toEqual(['dr:accounts.list']);
  });

  it('rejects unknown channels and untrusted senders with Forbidden, without calling any handler', async () => {
    const router = new Router();
    let called = 0;
    router.handle('dr:accounts.list', () => {
      called++;
      return [];
    });
    expect(await router.dispatch('dr:nope.list', {})).toMatchObject({ ok: false, error: { code: 'Forbidden' } });
    expect(await router.dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'Forbidden' } });
    expect(await router.dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'Forbidden' } });
    expect(await router.dispatch('dr:accounts.list', {}, { id: 'w2', trusted: false })).toMatchObject({ ok: false, error: { code: 'Forbidden' } });
    expect(await router.dispatch('dr:accounts.list', {}, { id: 'w1', trusted: true })).toMatchObject({ ok: true });
    expect(called).toBe(1);
  });

  it('turns an invalid request into ValidationFailed with each field path', async () => {
    const router = new Router();
    router.handle('dr:environments.create', () => {
      throw new Error('must not be called');
    });
    const result = await router.dispatch('dr:environments.create', { accountId: 'bad id!', name: '', region: 'x', scope: 1, extra: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ValidationFailed');
    const paths = result.error.details!.map((d) => d.path ?? '');
    expect(paths).toEqual(expect.arrayContaining(['accountId', 'name', 'region', 'scope']));
    expect(result.error.message).toMatch(/^The request is not valid: /);
  });

  it('maps DomainError and ProviderFailure to their codes and messages', async () => {
    const router = new Router();
    router.handle('dr:accounts.list', () => {
      throw new DomainError('PreconditionFailed', 'Not now.', [{ path: 'x', message: 'y' }]);
    });
    router.handle('dr:accounts.test', () => {
      throw new ProviderFailure('ProviderThrottled', 'Slow down.');
    });
    expect(await router.dispatch('dr:accounts.list', {})).toEqual({
      ok: false,
      error: { code: 'PreconditionFailed', message: 'Not now.', details: [{ path: 'x', message: 'y' }] },
    });
    expect(await router.dispatch('dr:accounts.test', { accountId: 'a1' })).toEqual({ ok: false, error: { code: 'ProviderThrottled', message: 'Slow down.' } });
  });

  it('maps a ZodError thrown inside the core to ValidationFailed with details', async () => {
    const router = new Router();
    router.handle('dr:accounts.list', () => {
      z.object({ n: z.number() }).parse({ n: 'x' });
      return [];
    });
    const result = await router.dispatch('dr:accounts.list', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'ValidationFailed', details: [{ path: 'n' }] } });
  });

  it('hides unexpected errors behind Internal, logging the detail and leaking no stack', async () => {
    const { lines, logger } = recordingLogger();
    const router = new Router({ logger });
    router.handle('dr:accounts.list', () => {
      throw new TypeError('cannot read properties of undefined at /home/op/secret/path.ts:12');
    });
    router.handle('dr:accounts.test', () => Promise.reject('a string'));
    const result = await router.dispatch('dr:accounts.list', {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('Internal');
    expect(result.error.message).not.toMatch(/secret|path\.ts|TypeError|at /);
    expect(lines.some((l) => l.includes('path.ts'))).toBe(true);
    expect(await router.dispatch('dr:accounts.test', { accountId: 'a1' })).toMatchObject({ ok: false, error: { code: 'Internal' } });
  });

  it('refuses a response that breaks the contract when validating responses', async () => {
    const { logger } = recordingLogger();
    const router = new Router({ logger, validateResponses: true });
    router.handle('dr:accounts.list', () => [{ id: 'x', secret: 'leak' }] as never);
    expect(await router.dispatch('dr:accounts.list', {})).toMatchObject({ ok: false, error: { code: 'Internal' } });
  });

  it('refuses to register a handler twice or for a channel outside the contract', () => {
    const router = new Router();
    router.handle('dr:accounts.list', () => []);
    expect(() => router.handle('dr:accounts.list', () => [])).toThrow(/already/);
    expect(() => router.handle('dr:made.up' as never, () => [] as never)).toThrow(/Not a contract channel/);
  });

  /** The largest request an operator can make: a policy of 5,000 resources with the longest Azure ids. */
  function largestPolicy() {
    const sub = '00000000-0000-4000-8000-000000000001';
    const rg = `rg-${'r'.repeat(87)}`;
    return {
      name: 'P'.repeat(80),
      sourceEnvironmentId: 'env_source',
      targetEnvironmentId: 'env_target',
      resources: Array.from({ length: 5000 }, (_, i) => {
        const server = `${String(i).padStart(5, '0')}-${'s'.repeat(57)}`;
        return {
          type: 'azure.postgresql-flexible',
          nativeId: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${server}`,
          name: `${server}-${'n'.repeat(200)}`.slice(0, 256),
        };
      }),
      schedule: '0 * * * *',
      webhookUrl: `https://hooks.example.test/${'p'.repeat(1900)}`,
      webhookSecret: 'x'.repeat(256),
      webhookOnTestFailover: true,
      webhookAllowPrivateTargets: false,
    };
  }

  it('accepts the largest legitimate request (a 5,000-resource policy) and refuses a bigger one with a sentence, calling no handler', async () => {
    const router = new Router({ validateResponses: false });
    let called = 0;
    router.handle('dr:policies.create', () => {
      called++;
      return {} as never;
    });
    const largest = largestPolicy();
    const size = requestBytes(largest);
    // The figure the limit is sized from (printed for the report): 2,952,480 bytes (2.8 MB).
    console.info(`largest legitimate request: ${size} bytes; limit ${MAX_REQUEST_BYTES}`);
    expect(size).toBeGreaterThan(1_500_000);
    expect(size).toBeLessThan(MAX_REQUEST_BYTES);
    expect((await router.dispatch('dr:policies.create', largest)).ok).toBe(true);
    expect(called).toBe(1);

    // What was accepted before the limit: 6.4 MB in one request.
    const huge = { ...largest, resources: largest.resources.map((r) => ({ ...r, nativeId: r.nativeId.padEnd(1024, 'x') })) };
    expect(requestBytes(huge)).toBeGreaterThan(6_000_000);
    const refused = await router.dispatch('dr:policies.create', huge);
    expect(refused).toEqual({
      ok: false,
      error: { code: 'ValidationFailed', message: expect.stringMatching(/^The request is too large \(6\.\d MB; the console accepts up to 4\.0 MB\)\. Nothing was changed\.$/) },
    });
    expect(called).toBe(1);
  });
});

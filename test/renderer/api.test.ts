// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, call, onEvent, toErrorData } from '../../renderer/api';
import { installFakeBridge, ok } from './fake-bridge';

describe('the renderer api client', () => {
  let bridge: ReturnType<typeof installFakeBridge> | null = null;
  afterEach(() => bridge?.uninstall());

  it('resolves with the value of an ok result and sends the request to the named channel', async () => {
    bridge = installFakeBridge({ 'dr:policies.get': (r) => ok({ id: r.policyId, name: 'p1' }) });
    const value = await call('dr:policies.get', { policyId: 'pol_1' });
    expect(value).toMatchObject({ id: 'pol_1', name: 'p1' });
    expect(bridge.calls).toEqual([{ channel: 'dr:policies.get', request: { policyId: 'pol_1' } }]);
  });

  it("throws an ApiError carrying the server's sentence and field details", async () => {
    bridge = installFakeBridge({
      'dr:policies.create': () => ({
        ok: false,
        error: { code: 'ValidationFailed', message: 'The policy is not valid.', details: [{ path: 'name', message: 'is required' }] },
      }),
    });
    const err = await call('dr:policies.create', {
      name: '',
      sourceEnvironmentId: 'a',
      targetEnvironmentId: 'b',
      resources: [],
      schedule: null,
      webhookUrl: null,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).data).toEqual({
      code: 'ValidationFailed',
      message: 'The policy is not valid.',
      details: [{ path: 'name', message: 'is required' }],
    });
  });

  it('turns a missing bridge or a transport failure into a sentence, never a stack', async () => {
    const missing = await call('dr:app.info', {}).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError).data.message).toMatch(/not connected/);
    bridge = installFakeBridge({ 'dr:app.info': () => Promise.reject(new Error('at Object.<anonymous> (x.js:1:1)')) });
    const broken = await call('dr:app.info', {}).catch((e: unknown) => e);
    expect(toErrorData(broken).message).not.toMatch(/anonymous|x\.js/);
    expect(toErrorData(new TypeError('boom')).code).toBe('Internal');
  });

  it('delivers push events to subscribers until they unsubscribe', () => {
    bridge = installFakeBridge({});
    const seen: unknown[] = [];
    const off = onEvent('dr:policies.changed', (p) => seen.push(p));
    bridge.emit('dr:policies.changed', { policyId: 'a' });
    off();
    bridge.emit('dr:policies.changed', { policyId: 'b' });
    expect(seen).toEqual([{ policyId: 'a' }]);
  });
});

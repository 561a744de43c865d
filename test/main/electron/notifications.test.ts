import { describe, expect, it } from 'vitest';
import { MAX_BODY, formatJobNotification, showJobNotification, type JobFinished, type NotificationClass } from '../../../main/electron/notifications';

const base: JobFinished = {
  jobId: 'job_1',
  policyId: 'pol_1',
  policyName: 'Orders platform',
  kind: 'failover',
  status: 'succeeded',
  message: '12 resources failed over in 2 min 4 s',
};

function fakeNotification(supported = true) {
  const shown: { title: string; body: string; urgency?: string }[] = [];
  const clicks: (() => void)[] = [];
  const N = class {
    static isSupported() {
      return supported;
    }
    constructor(readonly options: { title: string; body: string; urgency?: string }) {}
    on(_event: 'click', listener: () => void) {
      clicks.push(listener);
      return this;
    }
    show() {
      shown.push(this.options);
    }
  } as unknown as NotificationClass;
  return { N, shown, clicks };
}

describe('job notifications', () => {
  it('names the job kind, the outcome and the policy in the title', () => {
    expect(formatJobNotification(base).title).toBe('Failover completed: Orders platform');
    expect(formatJobNotification({ ...base, kind: 'test_failover', status: 'partially_failed' }).title).toBe(
      'Test failover partially failed: Orders platform',
    );
    expect(formatJobNotification({ ...base, kind: 'reset', status: 'cancelled' }).title).toBe('Reset cancelled: Orders platform');
  });

  it('tells the operator what comes next: read-only after failover, retry after a failure', () => {
    const done = formatJobNotification(base);
    expect(done.body).toBe('12 resources failed over in 2 min 4 s. The policy is now failed over and read-only.');
    expect(done.urgency).toBe('normal');
    const failed = formatJobNotification({ ...base, status: 'failed', message: 'vm-01: quota exceeded in eu-west-1.' });
    expect(failed.body).toBe('vm-01: quota exceeded in eu-west-1. Open the job in Failover Console and retry the failed items.');
    expect(failed.urgency).toBe('critical');
  });

  it('keeps long messages within the body limit, cut on a word', () => {
    const long = formatJobNotification({ ...base, kind: 'replication', message: 'word '.repeat(200) });
    expect(long.body.length).toBeLessThanOrEqual(MAX_BODY);
    expect(long.body.endsWith('word…')).toBe(true);
  });

  it('shows a notification for a valid payload and focuses the window on click', () => {
    const { N, shown, clicks } = fakeNotification();
    let focused = 0;
    expect(showJobNotification(N, base, () => focused++)).toBe(true);
    expect(shown).toEqual([{ title: 'Failover completed: Orders platform', body: expect.any(String), urgency: 'normal' }]);
    clicks[0]?.();
    expect(focused).toBe(1);
  });

  it('shows nothing where notifications are unsupported or the payload is malformed', () => {
    const unsupported = fakeNotification(false);
    expect(showJobNotification(unsupported.N, base)).toBe(false);
    expect(unsupported.shown).toEqual([]);
    const ok = fakeNotification();
    expect(showJobNotification(ok.N, { ...base, status: 'exploded' })).toBe(false);
    expect(showJobNotification(ok.N, null)).toBe(false);
    expect(ok.shown).toEqual([]);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { EventBus, JobProgressPublisher } from '../../../main/core/events';
import { silentLogger } from '../../../main/core/logger';

const snap = (stepsDone: number, status: 'running' | 'succeeded' = 'running') => ({
  jobId: 'job_1',
  policyId: 'pol_1',
  kind: 'replication' as const,
  resourcesTotal: 0,
  resourcesDone: 0,
  resourcesFailed: 0,
  status,
  stepsTotal: 10,
  stepsDone,
  stepsFailed: 0,
});

describe('the event bus', () => {
  it('delivers events to every subscriber until it unsubscribes, despite a throwing listener', () => {
    const bus = new EventBus(silentLogger);
    const got: string[] = [];
    bus.subscribe(() => {
      throw new Error('broken window');
    });
    const off = bus.subscribe((name) => got.push(name));
    bus.emit('dr:policies.changed', { policyId: null });
    off();
    bus.emit('dr:policies.changed', { policyId: null });
    expect(got).toEqual(['dr:policies.changed']);
  });

  it('drops a malformed event instead of sending it', () => {
    const bus = new EventBus(silentLogger);
    const got: unknown[] = [];
    bus.subscribe((_n, p) => got.push(p));
    bus.emit('dr:policies.changed', { policyId: 'not an id!' } as never);
    expect(got).toEqual([]);
  });
});

describe('job progress', () => {
  it('throttles bursts to a trailing event with the latest snapshot and a higher seq, and flushes the final one', async () => {
    const bus = new EventBus(silentLogger);
    const got: { seq: number; stepsDone: number; status: string }[] = [];
    bus.subscribe((_n, p) => got.push(p as never));
    const publisher = new JobProgressPublisher(bus, 30);
    for (let i = 1; i <= 5; i++) publisher.publish(snap(i));
    expect(got.map((e) => e.stepsDone)).toEqual([1]);
    // The trailing event comes when the throttle window ends, however late a busy machine runs the timer.
    await vi.waitFor(() => expect(got.map((e) => e.stepsDone)).toEqual([1, 5]), { timeout: 10_000 });
    publisher.publish(snap(7));
    publisher.publish(snap(10, 'succeeded'), { final: true });
    expect(got.at(-1)).toMatchObject({ stepsDone: 10, status: 'succeeded' });
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    publisher.dispose();
  });

  it('keeps seq increasing when a finished job is continued (Retry failed items), so listeners never drop its events', () => {
    const bus = new EventBus(silentLogger);
    const publisher = new JobProgressPublisher(bus, 0);
    const seqs: number[] = [];
    bus.subscribe((_n, p) => seqs.push((p as { seq: number }).seq));
    publisher.publish(snap(3));
    publisher.publish(snap(10, 'succeeded'), { final: true });
    publisher.publish(snap(10)); // the same job, retried after its final event
    publisher.publish(snap(10, 'succeeded'), { final: true });
    expect(seqs).toHaveLength(4);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(4);
    publisher.dispose();
  });
});

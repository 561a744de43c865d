import { describe, expect, it } from 'vitest';
import { timelineSvg } from '../../../../main/core/reports/timeline-svg';
import type { JobStepView } from '../../../../shared/domain';

const step = (over: Partial<JobStepView>): JobStepView => ({
  id: 'st',
  jobId: 'job',
  seq: 1,
  protectedResourceId: 'res',
  resourceName: 'web-01',
  type: 'aws.ec2-instance',
  action: 'failover',
  status: 'succeeded',
  attempts: 1,
  error: null,
  errorCode: null,
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: '2026-12-01T10:01:00.000Z',
  activity: null,
  recoveryPointId: null,
  recoveryPointAt: null,
  warnings: [],
  ...over,
});

const opts = { from: Date.parse('2026-12-01T10:00:00.000Z'), to: Date.parse('2026-12-01T10:10:00.000Z'), tickLabel: (d: Date) => d.toISOString().slice(11, 16), timeLabel: (s: string) => s };

describe('the report timeline', () => {
  it('draws one bar per started step, coloured by outcome, with a cross for a failure and the attempts of a retry', () => {
    const svg = timelineSvg(
      [
        { label: 'web-01', steps: [step({}), step({ id: 'b', action: 'stopReplication', startedAt: '2026-12-01T10:01:00.000Z', finishedAt: '2026-12-01T10:02:00.000Z' })] },
        { label: 'db-<1>', steps: [step({ status: 'failed', attempts: 3, error: 'InsufficientInstanceCapacity & more' })] },
        { label: 'queued', steps: [step({ status: 'pending', startedAt: null, finishedAt: null })] },
      ],
      opts,
    );
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg.match(/data-status="failed"/g)).toHaveLength(1);
    expect(svg.match(/class="error-mark"/g)).toHaveLength(1);
    expect(svg).toContain('class="retry-mark">×3<');
    // Names and errors come from clouds: escaped, never markup.
    expect(svg).toContain('db-&lt;1&gt;');
    expect(svg).toContain('InsufficientInstanceCapacity &amp; more');
    expect(svg).not.toContain('<1>');
    expect(svg).toContain('aria-label="Timeline of 3 resources"');
  });

  it('places bars on the job span: a step over the first tenth of it starts at the left edge of the plot', () => {
    const svg = timelineSvg([{ label: 'a', steps: [step({})] }], { ...opts, width: 1190 });
    const [, x, w] = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(svg)!;
    // Plot from 190 to 1180 px: 990 px for 10 minutes, so one minute is 99 px.
    expect(Number(x)).toBeCloseTo(190, 0);
    expect(Number(w)).toBeCloseTo(99, 0);
  });
});

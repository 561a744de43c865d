import { describe, expect, it } from 'vitest';
import { PRINTABLE_WIDTH, timelineSvg } from '../../../../main/core/reports/timeline-svg';
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

const opts = { from: Date.parse('2026-12-01T10:00:00.000Z'), to: Date.parse('2026-12-01T10:10:00.000Z'), tickLabel: (d: Date) => d.toISOString().slice(11, 16) };

/** The bars of one outcome: the subpaths of its path. */
const bars = (svg: string, status: string, stop = false) =>
  [...svg.matchAll(/<path d="([^"]*)" fill="[^"]*"( fill-opacity="[^"]*")? data-status="([^"]*)" data-bars="(\d+)"\/>/g)]
    .filter((m) => m[3] === status && !!m[2] === stop)
    .flatMap((m) => {
      expect(m[1]!.match(/M/g)).toHaveLength(Number(m[4]));
      return [...m[1]!.matchAll(/M([\d.]+) ([\d.]+)h([\d.]+)/g)].map((b) => ({ x: Number(b[1]), y: Number(b[2]), w: Number(b[3]) }));
    });

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
    expect(bars(svg, 'succeeded')).toHaveLength(1);
    expect(bars(svg, 'succeeded', true)).toHaveLength(1);
    expect(bars(svg, 'failed')).toHaveLength(1);
    expect(bars(svg, 'pending')).toHaveLength(0);
    // One path per outcome, not an element per step: the chart stays light at 1,000 resources.
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg.match(/<rect /g)).toBeNull();
    expect(svg).toContain('class="error-mark" data-marks="1"');
    expect(svg).toContain('>×3</text>');
    // Names come from clouds: escaped, never markup.
    expect(svg).toContain('db-&lt;1&gt;');
    expect(svg).not.toContain('<1>');
    expect(svg).toContain('aria-label="Timeline of 3 resources: 2 succeeded, 1 failed steps"');
  });

  it('is never wider than the printable width of an A4 page, so the print is laid out once', () => {
    const svg = timelineSvg([{ label: 'a', steps: [step({})] }], opts);
    expect(svg).toMatch(new RegExp(`^<svg [^>]*width="${PRINTABLE_WIDTH}"`));
    // A4 less 12 mm margins each side: 186 mm at 96 px per inch.
    expect(PRINTABLE_WIDTH).toBeLessThanOrEqual((186 / 25.4) * 96);
    for (const b of bars(svg, 'succeeded')) expect(b.x + b.w).toBeLessThanOrEqual(PRINTABLE_WIDTH);
  });

  it('places bars on the job span: a step over the first tenth of it starts at the left edge of the plot', () => {
    const svg = timelineSvg([{ label: 'a', steps: [step({})] }], { ...opts, width: 1190 });
    const [bar] = bars(svg, 'succeeded');
    // Plot from 180 to 1168 px: 988 px for 10 minutes, so one minute is 98.8 px.
    expect(bar!.x).toBeCloseTo(180, 0);
    expect(bar!.w).toBeCloseTo(98.8, 0);
  });
});

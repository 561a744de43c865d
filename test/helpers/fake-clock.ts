// A clock tests move by hand.

import type { Clock } from '../../main/core/clock';

export class FakeClock implements Clock {
  private ms: number;
  constructor(start: string | Date = '2030-01-15T10:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  iso(): string {
    return new Date(this.ms).toISOString();
  }
  set(to: string | Date): void {
    this.ms = new Date(to).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

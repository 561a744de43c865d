// Time as a port, so tests and benchmarks can control it.

export interface Clock {
  now(): Date;
  /** ISO-8601 UTC with milliseconds: the one format the store keeps. */
  iso(): string;
}

export const systemClock: Clock = {
  now: () => new Date(),
  iso: () => new Date().toISOString(),
};

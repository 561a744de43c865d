// The jobs running in this process: their AbortControllers (for jobs.cancel) and completion
// promises (so close() can wait for the journal to settle before the database closes).

export interface RunningJob {
  jobId: string;
  policyId: string;
  controller: AbortController;
  done: Promise<void>;
}

export class JobRegistry {
  private readonly running = new Map<string, RunningJob>();

  track(job: RunningJob): void {
    this.running.set(job.jobId, job);
    void job.done.finally(() => {
      if (this.running.get(job.jobId) === job) this.running.delete(job.jobId);
    });
  }

  get(jobId: string): RunningJob | undefined {
    return this.running.get(jobId);
  }

  /** Aborts a running job; false when it is not running here. */
  cancel(jobId: string, reason: string): boolean {
    const job = this.running.get(jobId);
    if (!job) return false;
    job.controller.abort(new CancelReason(reason));
    return true;
  }

  cancelAll(reason: string): void {
    for (const job of this.running.values()) job.controller.abort(new CancelReason(reason));
  }

  async waitAll(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((j) => j.done));
  }

  size(): number {
    return this.running.size;
  }
}

/** The abort reason a cancelled job records in its journal. */
export class CancelReason extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelReason';
  }
}

export function cancelMessage(signal: AbortSignal): string {
  return signal.reason instanceof CancelReason ? signal.reason.message : 'Cancelled.';
}

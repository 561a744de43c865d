// Job reports (PDF, CSV, JSON) saved where the operator chooses: main opens the save dialog, writes
// the file from the local database and answers with its path (null when the dialog was cancelled).

import { create } from 'zustand';
import type { ExportResult, ReportFormat } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

interface ReportsState {
  /** The format being written, per job. */
  busy: Record<string, ReportFormat | undefined>;
  saved: Record<string, (ExportResult & { format: ReportFormat }) | undefined>;
  errors: Record<string, DrErrorData | undefined>;
  exportReport: (jobId: string, format: ReportFormat) => Promise<void>;
}

export const useReports = create<ReportsState>()((set, get) => ({
  busy: {},
  saved: {},
  errors: {},
  async exportReport(jobId, format) {
    set({ busy: { ...get().busy, [jobId]: format }, errors: { ...get().errors, [jobId]: undefined } });
    try {
      const result = await call('dr:reports.export', { jobId, format });
      set({ saved: { ...get().saved, [jobId]: { ...result, format } } });
    } catch (err) {
      set({ errors: { ...get().errors, [jobId]: toErrorData(err) } });
    } finally {
      set({ busy: { ...get().busy, [jobId]: undefined } });
    }
  },
}));

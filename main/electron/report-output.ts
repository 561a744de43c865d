// Exports in the app: the native save dialog asks where, and a hidden, script-less window prints
// the report page to PDF with Chromium (webContents.printToPDF). The core builds the page.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, type FileFilter, type SaveDialogOptions } from 'electron';
import type { ReportFormat } from '../../shared/domain';
import type { ReportOutput } from '../core/reports/reports-service';

const FILTERS: Record<ReportFormat, FileFilter> = {
  pdf: { name: 'PDF document', extensions: ['pdf'] },
  csv: { name: 'CSV (comma-separated values)', extensions: ['csv'] },
  json: { name: 'JSON', extensions: ['json'] },
};

export function electronReportOutput(parent: () => BrowserWindow | null): ReportOutput {
  return {
    async choosePath(req) {
      const options: SaveDialogOptions = {
        title: 'Save as',
        defaultPath: join(app.getPath('documents'), req.defaultName),
        filters: [FILTERS[req.format]],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const win = parent();
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    async printPdf(html) {
      // A file, not a data: URL: a 1,000-resource report is several megabytes.
      const dir = mkdtempSync(join(tmpdir(), 'fc-report-'));
      const file = join(dir, 'report.html');
      writeFileSync(file, html);
      const win = new BrowserWindow({
        show: false,
        webPreferences: { javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, spellcheck: false },
      });
      try {
        await win.loadFile(file);
        return await win.webContents.printToPDF({ pageSize: 'A4', printBackground: true, preferCSSPageSize: true });
      } finally {
        win.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// The report's PDF printer outside Electron: the same HTML page printed by headless Chromium through
// Playwright's page.pdf(), as Electron's webContents.printToPDF prints it in the app (a fresh,
// script-less page per report there and here).

import type { Browser } from 'playwright-core';

export type PrintPhase = 'open' | 'load' | 'print';

export interface PrinterOptions {
  /** Called as each phase ends (page opened, report loaded with its fonts, PDF printed); benchmarks time them. */
  mark?: (phase: PrintPhase) => void;
}

export function chromiumPdfPrinter(browser: Browser, opts: PrinterOptions = {}): (html: string) => Promise<Uint8Array> {
  const mark = opts.mark ?? (() => {});
  return async (html) => {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    try {
      const page = await context.newPage();
      mark('open');
      await page.setContent(html, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready).catch(() => undefined);
      mark('load');
      const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
      mark('print');
      return pdf;
    } finally {
      await context.close();
    }
  };
}

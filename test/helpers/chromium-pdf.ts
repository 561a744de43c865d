// The report's PDF printer outside Electron: the same HTML page printed by headless Chromium through
// Playwright's page.pdf(), as Electron's webContents.printToPDF prints it in the app.

import type { Browser } from 'playwright-core';

export function chromiumPdfPrinter(browser: Browser): (html: string) => Promise<Uint8Array> {
  return async (html) => {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    try {
      const page = await context.newPage();
      await page.setContent(html, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready).catch(() => undefined);
      return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    } finally {
      await context.close();
    }
  };
}

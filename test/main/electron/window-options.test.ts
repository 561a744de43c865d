import { describe, expect, it } from 'vitest';
import { mainWindowOptions } from '../../../main/electron/window-options';

describe('the main window options', () => {
  const options = mainWindowOptions({ preloadPath: '/app/out/preload/index.cjs' });

  it('isolates and sandboxes the page, with no Node and no webviews', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('is titled, starts hidden until ready and has a usable minimum size', () => {
    expect(options.title).toBe('Failover Console');
    expect(options.show).toBe(false);
    expect(options.minWidth).toBeGreaterThanOrEqual(1024);
    expect(options.minHeight).toBeGreaterThanOrEqual(600);
  });
});

import { describe, expect, it } from 'vitest';
import {
  allowedRendererOrigins,
  isExternalHttpUrl,
  isTrustedSender,
  originOf,
  type SenderCheckInput,
} from '../../../main/electron/sender-check';

const mainFrame = { processId: 7, routingId: 1 };
const ours: SenderCheckInput = {
  senderWebContentsId: 3,
  frame: { url: 'app://console/index.html', processId: 7, routingId: 1, parent: null },
  windowWebContentsId: 3,
  mainFrame,
  allowedOrigins: allowedRendererOrigins(undefined),
};

describe('originOf', () => {
  it('rebuilds the origin of app: URLs, which WHATWG URL reports as "null"', () => {
    expect(new URL('app://console/x').origin).toBe('null');
    expect(originOf('app://console/assets/x.js')).toBe('app://console');
  });

  it('uses the standard origin for http(s) and refuses file:, data: and garbage', () => {
    expect(originOf('http://localhost:5173/src/main.tsx')).toBe('http://localhost:5173');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('data:text/html,hi')).toBeNull();
    expect(originOf('not a url')).toBeNull();
  });
});

describe('allowedRendererOrigins', () => {
  it('is app://console alone, plus the dev server only when one is set', () => {
    expect(allowedRendererOrigins(undefined)).toEqual(['app://console']);
    expect(allowedRendererOrigins('http://localhost:5173/')).toEqual(['app://console', 'http://localhost:5173']);
  });
});

describe('isTrustedSender', () => {
  it('trusts the main frame of our window at app://console', () => {
    expect(isTrustedSender(ours)).toBe(true);
  });

  it('refuses a sub-frame, even at our origin', () => {
    expect(isTrustedSender({ ...ours, frame: { ...ours.frame!, routingId: 2, parent: {} } })).toBe(false);
    expect(isTrustedSender({ ...ours, frame: { ...ours.frame!, parent: {} } })).toBe(false);
  });

  it('refuses another webContents, a vanished frame or a closed window', () => {
    expect(isTrustedSender({ ...ours, senderWebContentsId: 4 })).toBe(false);
    expect(isTrustedSender({ ...ours, frame: null })).toBe(false);
    expect(isTrustedSender({ ...ours, windowWebContentsId: null, mainFrame: null })).toBe(false);
    expect(isTrustedSender({ ...ours, frame: { ...ours.frame!, processId: 8 } })).toBe(false);
  });

  it('refuses our main frame once it shows a page from another origin', () => {
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'app://other/index.html', 'about:blank']) {
      expect(isTrustedSender({ ...ours, frame: { ...ours.frame!, url } }), url).toBe(false);
    }
  });

  it('trusts the dev server origin only when it is allowed', () => {
    const dev = { ...ours, frame: { ...ours.frame!, url: 'http://localhost:5173/' } };
    expect(isTrustedSender(dev)).toBe(false);
    expect(isTrustedSender({ ...dev, allowedOrigins: allowedRendererOrigins('http://localhost:5173') })).toBe(true);
  });
});

describe('isExternalHttpUrl', () => {
  it('accepts only http and https links', () => {
    expect(isExternalHttpUrl('https://learn.microsoft.com/azure')).toBe(true);
    expect(isExternalHttpUrl('http://example.com')).toBe(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'app://console/', 'smb://host/share', 'ms-settings:', '']) {
      expect(isExternalHttpUrl(url), url).toBe(false);
    }
  });
});

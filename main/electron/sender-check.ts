// Decides whether an IPC call comes from our own page: the main frame of our window, at our
// origin. Sub-frames, other windows and navigated-away pages are refused by the router.

import { APP_ORIGIN } from './app-protocol';

/** The parts of Electron's WebFrameMain the check reads (kept structural so it runs under Node). */
export interface FrameIdentity {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
  readonly parent?: unknown;
}

export interface SenderCheckInput {
  /** `event.sender.id` of the IPC event. */
  senderWebContentsId: number;
  /** `event.senderFrame`; null when the frame has already gone away. */
  frame: FrameIdentity | null;
  /** Our window's webContents id, or null when the window is closed. */
  windowWebContentsId: number | null;
  /** Our window's `webContents.mainFrame`. */
  mainFrame: Pick<FrameIdentity, 'processId' | 'routingId'> | null;
  allowedOrigins: readonly string[];
}

/**
 * The origin of a URL as the browser sees it. WHATWG `URL.origin` is "null" for non-special
 * schemes such as app:, so for those it is rebuilt from scheme and host.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  if (parsed.protocol === 'file:' || parsed.protocol === 'data:' || parsed.protocol === 'about:') return null;
  if (!parsed.host) return null;
  return `${parsed.protocol}//${parsed.host}`;
}

/** The origins our page may run at: app://console, plus the dev server's when electron-vite dev set one. */
export function allowedRendererOrigins(devServerUrl: string | undefined): string[] {
  const origins = [APP_ORIGIN];
  if (devServerUrl) {
    const dev = originOf(devServerUrl);
    if (dev && dev !== APP_ORIGIN) origins.push(dev);
  }
  return origins;
}

export function isTrustedSender(input: SenderCheckInput): boolean {
  const { frame, mainFrame } = input;
  if (!frame || !mainFrame || input.windowWebContentsId === null) return false;
  if (input.senderWebContentsId !== input.windowWebContentsId) return false;
  if (frame.parent !== null && frame.parent !== undefined) return false;
  if (frame.processId !== mainFrame.processId || frame.routingId !== mainFrame.routingId) return false;
  const origin = originOf(frame.url);
  return origin !== null && input.allowedOrigins.includes(origin);
}

/** Links the page may hand to the OS browser: plain http(s) only, never file:, javascript: or custom schemes. */
export function isExternalHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.host !== '';
  } catch {
    return false;
  }
}

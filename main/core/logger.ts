// The logger port: the core logs details (stack traces, provider errors) here, never to the UI.
// Callers must not pass secrets; the console logger is the default, tests pass a silent one.

export interface Logger {
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

export const consoleLogger: Logger = {
  info: (m, d) => (d === undefined ? console.info(m) : console.info(m, d)),
  warn: (m, d) => (d === undefined ? console.warn(m) : console.warn(m, d)),
  error: (m, d) => (d === undefined ? console.error(m) : console.error(m, d)),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

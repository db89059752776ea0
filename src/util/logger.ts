/** console- and pino-compatible. */
// `any` on purpose: console's and pino's methods (and a user's `(msg: string) => void`) must all fit.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Logger {
  info?: (...args: any[]) => void
  warn?: (...args: any[]) => void
  error?: (...args: any[]) => void
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Used by browser entries: publishes their functions as `window.e2e` for BrowserSession.call(). */
export type E2EApi = Record<string, (...args: never[]) => unknown>;

export function exposeE2E(api: E2EApi): void {
  (globalThis as unknown as { e2e: E2EApi }).e2e = api;
}

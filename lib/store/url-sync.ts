/**
 * Keeps the address bar in step with the store's shareable state (playground
 * params, Inspect text and plan) with `history.replaceState`: no navigation,
 * no history entry per keystroke, other query parameters (`?backend=`) kept.
 */
import type { StudioState, StudioStore } from './studio-store';
import { writeUrlState, type UrlState } from './url-params';

/** The bits of window this needs (tests pass a fake). */
export interface UrlHost {
  location: { pathname: string; search: string; hash: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void };
}

export function urlStateOf(s: StudioState): UrlState {
  return { playground: s.playground, inspect: { text: s.inspect.text, plan: s.inspect.plan } };
}

/** The URL (path + query + hash) that shares the store's current state. */
export function shareableUrl(s: StudioState, host: Pick<UrlHost, 'location'>): string {
  const { pathname, search, hash } = host.location;
  return `${pathname}${writeUrlState(search, urlStateOf(s))}${hash}`;
}

/** Subscribes `store` to `host`'s URL; returns the unsubscribe function. */
export function bindUrl(store: StudioStore, host: UrlHost): () => void {
  // The store was created from this URL, so nothing is written until the state changes.
  const write = (s: StudioState) => {
    const next = shareableUrl(s, host);
    const current = `${host.location.pathname}${host.location.search}${host.location.hash}`;
    if (next !== current) host.history.replaceState(null, '', next);
  };
  return store.subscribe((s, prev) => {
    if (s.playground !== prev.playground || s.inspect.text !== prev.inspect.text || s.inspect.plan !== prev.inspect.plan) write(s);
  });
}

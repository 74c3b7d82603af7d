'use client';
/**
 * One studio store per React tree (zustand's Next.js pattern: a provider that
 * creates the store once, and selector hooks; no module-level store), plus the
 * Web Worker that owns tfjs. Pass `store` to render cells against a prepared
 * store (tests); then no worker is started.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { createStudioStore, type StudioActions, type StudioState, type StudioStore } from '@/lib/store/studio-store';
import { bindUrl } from '@/lib/store/url-sync';
import { WorkerClient } from '@/lib/store/worker-client';

const StudioContext = createContext<StudioStore | null>(null);

export interface StudioProviderProps {
  children: ReactNode;
  /** The page's query string (from the server, so the first render matches on both sides). */
  search?: string;
  store?: StudioStore;
}

export function StudioProvider({ children, search = '', store: given }: StudioProviderProps) {
  const [store] = useState(() => given ?? createStudioStore({ search }));
  useEffect(() => {
    if (given) return;
    const unbind = bindUrl(store, window);
    let worker: Worker;
    try {
      worker = new Worker(new URL('../../lib/worker/worker.ts', import.meta.url), { type: 'module' });
    } catch (e) {
      store.getState().pushError('model', `cannot start the background worker: ${e instanceof Error ? e.message : String(e)}`);
      return unbind;
    }
    worker.addEventListener('error', (e) => store.getState().pushError('global', `the background worker failed: ${e.message || 'unknown error'}`));
    const client = new WorkerClient(worker, (e) => store.getState().handleEvent(e));
    store.getState().attach(client);
    void store.getState().boot();
    return () => {
      unbind();
      store.getState().detach();
      client.dispose();
    };
  }, [store, given]);
  return <StudioContext.Provider value={store}>{children}</StudioContext.Provider>;
}

export function useStudioStore(): StudioStore {
  const store = useContext(StudioContext);
  if (!store) throw new Error('useStudio must be used inside <StudioProvider>');
  return store;
}

/** Selects a slice of the studio state; re-renders only when it changes (shallow for objects/arrays). */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(useStudioStore(), useShallow(selector));
}

/** The store's actions (stable references): actions only, so no cell reads state that would not re-render it. */
export function useStudioActions(): StudioActions {
  return useStudioStore().getState();
}

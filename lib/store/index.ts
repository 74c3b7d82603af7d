/** The studio's state: framework-free zustand vanilla stores and their helpers. */
export * from './studio-store';
export * from './training';
export * from './url-params';
export * from './url-sync';
export * from './text-checks';
export { WorkerClient, type MessagePort_ } from './worker-client';

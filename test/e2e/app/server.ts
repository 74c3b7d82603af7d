/**
 * The production app for e2e tests: `next build` (unless told to reuse one) and `next start` on a random free
 * port, in its own process group (setsid via `detached`) so closing kills next and every child it spawned;
 * `openApp` adds the browser: the app, Chromium, its first tab watched for console errors, the page opened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM_NOISE, REPO_ROOT, WAIT_MS, firstPage, launchWith, watchPage, type LaunchedBrowser, type PageWatch } from '../browser';

export interface AppServer {
  url: string;
  log: string[];
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => log.push(String(d)));
    p.stderr.on('data', (d) => log.push(String(d)));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${log.join('').slice(-3000)}`))));
  });
}

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  if (p.pid === undefined || p.exitCode !== null) return;
  try {
    process.kill(-p.pid, signal); // the whole group: next and its workers
  } catch {
    /* already gone */
  }
}

/** Builds (set E2E_REUSE_BUILD=1 to reuse an existing .next) and starts the app; resolves when it answers. */
export async function startApp(): Promise<AppServer> {
  const log: string[] = [];
  const reuse = process.env.E2E_REUSE_BUILD === '1' && existsSync(join(REPO_ROOT, '.next', 'BUILD_ID'));
  if (!reuse) await run('npm', ['run', 'build'], log);
  const port = await freePort();
  const next = join(REPO_ROOT, 'node_modules', '.bin', 'next');
  const child = spawn(next, ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // setsid: its own process group
  });
  child.stdout?.on('data', (d) => log.push(String(d)));
  child.stderr?.on('data', (d) => log.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    killGroup(child, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    killGroup(child, 'SIGKILL');
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}:\n${log.join('')}`);
    try {
      const res = await fetch(`${url}/weights/tokenizer.json`, { method: 'HEAD' });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`next start did not answer on ${url}:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, log, close };
}

/** Chromium's noise plus the 404 line of the expected manifest probes (folders not shipped yet); tests that care check responses. */
export const APP_NOISE = [...CHROMIUM_NOISE, /Failed to load resource: the server responded with a status of 404/];

export interface AppSession {
  app: AppServer;
  browser: LaunchedBrowser;
  /** The first tab; every action on it waits up to WAIT_MS, like the explicit waits. */
  page: Page;
  /** Console errors and uncaught page errors so far, minus APP_NOISE. */
  errors: string[];
  /** Every console line (worker logs included), to print when a test fails. */
  console: string[];
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Runs before the first navigation: init scripts and listeners that must see the first load (`seen` collects its errors). */
  prepare?(page: Page, seen: PageWatch): Promise<unknown> | void;
  /** Path and query to open (default '/'); null opens nothing, for tests that navigate themselves. */
  path?: string | null;
}

/** The production app in headless Chromium: builds and starts it, launches the browser, opens `path`. */
export async function openApp(options: OpenAppOptions = {}): Promise<AppSession> {
  const app = await startApp();
  return launchWith(app, async (browser, closeAll) => {
    const page = await firstPage(browser);
    browser.context.setDefaultTimeout(WAIT_MS);
    const seen = watchPage(page, APP_NOISE);
    await options.prepare?.(page, seen);
    const path = options.path === undefined ? '/' : options.path;
    if (path !== null) await page.goto(`${app.url}${path}`, { waitUntil: 'load', timeout: WAIT_MS });
    return { app, browser, page, errors: seen.errors, console: seen.console, close: closeAll };
  });
}

/**
 * e2e harness: run a TypeScript entry in headless Chromium (real WebGPU/WebGL/wasm) and call into it.
 *
 * Usage (in a vitest file under test/e2e/, which vitest runs one file at a time):
 *
 *   // test/e2e/entries/my-entry.ts — runs in the page; expose async functions on window.e2e
 *   import { exposeE2E } from '../expose';
 *   exposeE2E({ async run(n: number) { ...; return plainJsonData; } });
 *
 *   // test/e2e/my.test.ts
 *   let s: BrowserSession;
 *   beforeAll(async () => { s = await openBundle('test/e2e/entries/my-entry.ts'); }, E2E_TIMEOUT_MS);
 *   afterAll(() => s?.close());
 *   it('works', async () => { const r = await s.call<Result>('run', 3); ... }, E2E_TIMEOUT_MS);
 *
 * What it does: (a) bundles the entry with esbuild (IIFE, browser platform, tsconfig `@/` paths,
 * process.env.NODE_ENV defined), (b) serves it with an HTML page from a tiny http server on
 * 127.0.0.1:<random free port> — plus tfjs's wasm binaries at /tfjs-wasm/ (the same path the app uses,
 * so `initBackend('wasm')` works unchanged) and any `staticDirs` you pass, (c) launches Chromium
 * (/usr/bin/chromium, or $CHROMIUM_PATH) through playwright-core with the flags measured in
 * shared/ENVIRONMENT.md and a fresh temporary profile, and (d) returns the playwright `page` plus a typed
 * `call()` and the console/page errors seen so far. Values crossing `call()`/`page.evaluate()` must be
 * structured-cloneable plain data (arrays, not typed arrays, if you want exact equality checks).
 *
 * Chromium here has only a software WebGPU adapter (SwiftShader): correct but slow — the first webgpu
 * step compiles shaders for 7-12 s. Keep shapes tiny and timeouts ≥ 90 s; never take timings from it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Per-test and per-hook timeout for browser tests (first SwiftShader webgpu step: 7-12 s, plus bundling and launch). */
export const E2E_TIMEOUT_MS = 180_000;
/**
 * Ceiling of one event-driven wait in the app tests. Generous on purpose: a ceiling costs nothing when the
 * event comes, and on a busy 2-core machine a SwiftShader shader compile or a backend fallback can take
 * minutes. Tests wait for events (a selector, an attribute), never for a fixed time.
 */
export const WAIT_MS = Number(process.env.E2E_WAIT_MS) || 5 * 60_000;
/** Per-test (and per-hook) timeout of the app tests: room for several waits at their ceiling. */
export const APP_TEST_MS = 20 * 60_000;

/** Flags measured in shared/ENVIRONMENT.md. The background-networking ones stop Chromium from retrying hosts this network refuses. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Console noise Chromium always prints here (ENVIRONMENT.md): not a test failure. */
export const CHROMIUM_NOISE = [/favicon\.ico/, /D-?Bus/i, /unexpected operator/];

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(p)) {
    // Not a skip: CI installs chromium (.ci/run), and a silently skipped GPU test proves nothing.
    throw new Error(`Chromium not found at ${p}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH`);
  }
  return p;
}

/** (a) Bundles a browser entry (path relative to the repo root or absolute) into one IIFE script. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [resolve(REPO_ROOT, entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser', // honours tfjs's "browser" fields, which swap out its Node-only modules
    target: 'es2022',
    tsconfig: join(REPO_ROOT, 'tsconfig.json'), // resolves the `@/` alias
    define: { 'process.env.NODE_ENV': '"production"' },
    sourcemap: 'inline', // readable stacks in page errors; size does not matter on loopback
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export interface StaticServer {
  url: string; // http://127.0.0.1:<port>
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * (b) Serves `/` (the HTML page), `/bundle.js`, `/tfjs-wasm/*` from node_modules, and each
 * `staticDirs[prefix]` directory (e.g. `{ '/weights/': 'public/weights' }`), on a random free port.
 */
export async function serve(js: string, staticDirs: Record<string, string> = {}): Promise<StaticServer> {
  const require = createRequire(join(REPO_ROOT, 'package.json'));
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const dirs: [string, string][] = [['/tfjs-wasm/', wasmDir], ...Object.entries(staticDirs).map(([p, d]): [string, string] => [p, resolve(REPO_ROOT, d)])];
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>e2e</title></head><body><script src="/bundle.js"></script></body></html>';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (path === '/') return send(200, html, MIME['.html']);
      if (path === '/bundle.js') return send(200, js, MIME['.js']);
      if (path === '/favicon.ico') return send(204, '');
      for (const [prefix, dir] of dirs) {
        if (!path.startsWith(prefix)) continue;
        const file = normalize(join(dir, path.slice(prefix.length)));
        if (!file.startsWith(dir + sep)) return send(403, 'forbidden'); // no ../ escapes
        try {
          return send(200, await readFile(file), MIME[extname(file)] ?? 'application/octet-stream');
        } catch {
          return send(404, `not found: ${path}`);
        }
      }
      send(404, `not found: ${path}`);
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** (c) Chromium with the measured flags and a fresh profile in a temp dir (removed on close). */
export async function launch(): Promise<LaunchedBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'a3-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What a page printed: errors (console errors and uncaught page errors, minus `noise`) and every console line. */
export interface PageWatch {
  errors: string[];
  console: string[];
}

/** Starts collecting a page's console errors and uncaught errors; the arrays fill as the page runs. */
export function watchPage(page: Page, noise: readonly RegExp[] = CHROMIUM_NOISE): PageWatch {
  const seen: PageWatch = { errors: [], console: [] };
  page.on('console', (m) => {
    const text = `${m.type()}: ${m.text()}`;
    seen.console.push(text);
    if (m.type() === 'error' && !noise.some((r) => r.test(text))) seen.errors.push(text);
  });
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.stack ?? e.message}`));
  return seen;
}

/**
 * Waits until the control at `selector` is disabled (or enabled), up to WAIT_MS: React may take a render or two after
 * the event that changes it, so a single read right after the event races. Fails with what it waited for.
 */
export async function waitDisabled(page: Page, selector: string, disabled: boolean): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, want]) => {
        const el = document.querySelector(sel);
        return el instanceof HTMLButtonElement && el.disabled === want;
      },
      [selector, disabled] as const,
      { timeout: WAIT_MS },
    );
  } catch {
    throw new Error(`${selector} did not become ${disabled ? 'disabled' : 'enabled'} within ${WAIT_MS} ms`);
  }
}

/**
 * Launches Chromium next to a server that is already up and hands it to `open`, with one `closeAll` for both;
 * if launching or opening fails, both are closed before the error goes on.
 */
export async function launchWith<T>(server: { close(): Promise<void> }, open: (browser: LaunchedBrowser, closeAll: () => Promise<void>) => Promise<T>): Promise<T> {
  let browser: LaunchedBrowser | undefined;
  try {
    browser = await launch();
    const opened = browser;
    return await open(opened, async () => {
      await opened.close();
      await server.close();
    });
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}

/** The first tab of a launched browser (a persistent context opens with one). */
export async function firstPage(browser: LaunchedBrowser): Promise<Page> {
  return browser.context.pages()[0] ?? (await browser.context.newPage());
}

export interface BrowserSession {
  page: Page;
  url: string;
  /** Console errors and uncaught page errors so far, minus Chromium's known noise. */
  errors: string[];
  /** Console lines of every type, for debugging a failure. */
  console: string[];
  /** Calls `window.e2e[name](...args)` in the page and returns its (awaited) result. */
  call<T>(name: string, ...args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  staticDirs?: Record<string, string>;
  /** Appended to the page URL, e.g. '?backend=webgpu'. */
  query?: string;
}

/** (d) Bundle + serve + launch + open: a page whose `window.e2e` holds the entry's functions. */
export async function openBundle(entry: string, options: OpenOptions = {}): Promise<BrowserSession> {
  const js = await bundle(entry);
  const server = await serve(js, options.staticDirs);
  return launchWith(server, async (browser, closeAll) => {
    const page = await firstPage(browser);
    const { errors, console: lines } = watchPage(page);
    const url = `${server.url}/${options.query ?? ''}`;
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    // The IIFE runs synchronously during load; if window.e2e is missing the entry threw (see errors).
    const ready = await page.evaluate(() => typeof (window as unknown as { e2e?: unknown }).e2e === 'object');
    if (!ready) throw new Error(`entry ${entry} did not expose window.e2e; page errors: ${errors.join('\n') || '(none)'}`);
    return {
      page,
      url,
      errors,
      console: lines,
      call: <T>(name: string, ...args: unknown[]) =>
        page.evaluate(
          ([n, a]) => {
            const api = (window as unknown as { e2e: Record<string, (...x: unknown[]) => unknown> }).e2e;
            if (typeof api[n] !== 'function') throw new Error(`window.e2e.${n} is not a function`);
            return api[n](...a);
          },
          [name, args] as [string, unknown[]],
        ) as Promise<T>,
      close: closeAll,
    };
  });
}

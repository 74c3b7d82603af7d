/**
 * The notebook against the production build in headless Chromium: the page loads, the backend is shown, the
 * model loads (base stands in when A3 is not shipped), the inspect cell shows the mask counts of a known plan,
 * a 5-step fine-tune on the built-in sample lowers the loss with pause / single step / resume, and a reload
 * lists the checkpoint it saved. The infill playground fills a typed template group-wise and dynamically and
 * replays the trace; the compare cell runs every decoder on it. Export downloads model.safetensors + config.json
 * + tokenizer.json and importing them round-trips byte for byte; malformed or foreign files show their
 * messages; a second start while a run starts is refused; with ?faults=1 a simulated lost WebGPU device and
 * then an out-of-memory error move training to webgl, then wasm, and the run finishes. Screenshots go to
 * test-results/app-*.png; page speed (ready time, long tasks during a fine-tune, weight bytes) goes to
 * results/e2e-speed.json (reported, not asserted).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskCounts } from '@/components/views/mask-matrix';
import { contiguous } from '@/lib/a3/groups';
import { APP_TEST_MS, REPO_ROOT, WAIT_MS, waitDisabled, type PageWatch } from './browser';
import { openApp, type AppSession } from './app/server';

const SHOTS = join(REPO_ROOT, 'test-results');
const EXPORTS = join(SHOTS, 'export');

/** What the README's "Page speed (e2e)" block reports (scripts/report.ts reads it). */
interface SpeedReport {
  measuredAt: string;
  backend: string | null;
  browser: string | null;
  /** Navigation start to "ready to infill" (model loaded, Run enabled), production build. */
  readyMs: number | null;
  /** Longest main-thread task (PerformanceObserver 'longtask', > 50 ms) during the 5-step fine-tune; 0 if none. */
  longestTaskMs: number | null;
  longTasks: number | null;
  fineTuneMs: number | null;
  /** Bytes of /weights/ responses (transferred body size) before "ready", and how many files. */
  weightsBytes: number;
  weightsFiles: number;
}

describe('A3 Studio notebook (production build, headless Chromium)', () => {
  let session: AppSession | undefined;
  let page: Page;
  let errors: string[] = [];
  /** Every console line (worker logs included), printed when the fault test fails. */
  let consoleLines: string[] = [];
  const t0 = Date.now();
  const attr = (sel: string, name: string) => page.getAttribute(sel, name);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `app-${name}.png`), fullPage: true });
  const speed: SpeedReport = { measuredAt: new Date().toISOString(), backend: null, browser: null, readyMs: null, longestTaskMs: null, longTasks: null, fineTuneMs: null, weightsBytes: 0, weightsFiles: 0 };
  let firstLoadDone = false;
  const weightUrls: string[] = [];
  /** Paths of /weights/ files read (not just asked about with HEAD) before "ready", as they finish. */
  const bodiesBeforeReady: string[] = [];
  const writeSpeed = () => writeFileSync(join(REPO_ROOT, 'results', 'e2e-speed.json'), `${JSON.stringify(speed, null, 2)}\n`);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    session = await openApp({ prepare: watchLoad });
    ({ page, errors, console: consoleLines } = session);
    console.log(`app up and page loaded after ${Date.now() - t0} ms at ${session.app.url}`);
  }, APP_TEST_MS);

  /** Before the first load: count the weights fetched before "ready", observe long tasks, flag unexpected HTTP errors. */
  async function watchLoad(page: Page, seen: PageWatch) {
    // Weights fetched before "ready" (the worker's fetches are reported on the page too).
    page.on('requestfinished', (req) => {
      if (firstLoadDone || !new URL(req.url()).pathname.startsWith('/weights/')) return;
      if (req.method() !== 'HEAD') bodiesBeforeReady.push(new URL(req.url()).pathname);
      void req.sizes().then((sz) => {
        speed.weightsBytes += sz.responseBodySize;
        speed.weightsFiles += 1;
        weightUrls.push(`${new URL(req.url()).pathname} ${sz.responseBodySize}`);
      });
    });
    // Long main-thread tasks, observed from the first script on (an init script runs before the page's own).
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
      w.__longTasks = [];
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
        }).observe({ type: 'longtask', buffered: true });
      } catch {
        /* no longtask support: the report says null */
      }
    });
    // Folders not shipped yet answer 404 to the manifest probe (expected); any other 404 is a bug.
    page.on('response', (r) => {
      if (r.status() >= 400 && !/\/weights\/(a3|mdlm)\/manifest\.json$/.test(new URL(r.url()).pathname)) seen.errors.push(`HTTP ${r.status()} ${r.url()}`);
    });
  }

  afterAll(async () => {
    await session?.close();
    console.log(`app e2e total ${Date.now() - t0} ms`);
  }, 30_000);

  it('shows the backend and loads the model', async () => {
    await page.waitForFunction(() => {
      const b = document.querySelector('[data-testid="backend"]')?.textContent ?? '';
      return b !== '' && !b.includes('probing');
    }, null, { timeout: WAIT_MS });
    const backend = await page.textContent('[data-testid="backend"]');
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(backend);
    expect(await page.textContent('[data-testid="backend-reason"]')).toMatch(new RegExp(`^${backend}`));
    // "Ready to infill": the model is loaded and Run is enabled; performance.now() counts from navigation start.
    const ready = await page.waitForFunction(
      () => {
        const run = document.querySelector<HTMLButtonElement>('[data-testid="infill-run"]');
        return document.querySelector('[data-testid="model-status"]')?.getAttribute('data-status') === 'loaded' && run && !run.disabled ? performance.now() : false;
      },
      null,
      { timeout: WAIT_MS },
    );
    speed.readyMs = Math.round((await ready.jsonValue()) as number);
    firstLoadDone = true;
    speed.backend = backend;
    const cdp = await page.context().newCDPSession(page);
    speed.browser = ((await cdp.send('Browser.getVersion')) as { product: string }).product;
    await cdp.detach();
    const source = await attr('[data-testid="model-status"]', 'data-source');
    expect(['a3', 'base']).toContain(source);
    // Only the A3 slot's weights come before "ready" (the base model's when it stands in for A3): the other folders load when a decoder first needs them.
    const notYet = new RegExp(`^/weights/(${source === 'a3' ? 'base|mdlm' : 'mdlm'})/(manifest\\.json|weights-\\d+\\.bin)$`);
    expect(bodiesBeforeReady.filter((p) => notYet.test(p))).toEqual([]);
    expect(bodiesBeforeReady.filter((p) => p.startsWith(`/weights/${source}/weights-`)).length).toBeGreaterThan(0);
    if (source === 'base') expect(await page.textContent('[data-testid="model-note"]')).toMatch(/not shipped yet/);
    expect(await page.textContent('[data-testid="model-params"]')).toMatch(/parameters/);
    expect(await page.textContent('[data-testid="memory"]')).toMatch(/tensors/);
    console.log(`model (${source}) on ${backend} after ${Date.now() - t0} ms`);
  }, APP_TEST_MS);

  it('infill: a typed template with a gap, group-wise then dynamic, text + trace, replay steps', async () => {
    const stepAttrs = async () => {
      const el = '[data-testid="decode-step"]';
      return { step: Number(await attr(el, 'data-step')), open: Number(await attr(el, 'data-open')), current: Number(await attr(el, 'data-current')), earlier: Number(await attr(el, 'data-earlier')) };
    };
    /** What the views drew: TokenStrip chips by state and the CommitTimeline's selected row. */
    const drawn = () =>
      page.evaluate(() => {
        const n = (s: string) => document.querySelectorAll(`#cell-infill [data-view="token-strip"] g.chip[data-state="${s}"]`).length;
        const row = document.querySelector('#cell-infill [data-view="commit-timeline"] g.row-label[aria-current="step"]');
        return { open: n('open'), current: n('current'), earlier: n('earlier'), given: n('given'), row: Number(row?.getAttribute('data-step')) };
      });
    await page.fill('[data-testid="infill-text"]', 'Emma was very clever and rich, with a comfortable home.');
    // Select-to-mask: "very clever" becomes a gap of its token count (page tokenizer).
    await page.$eval('[data-testid="infill-text"]', (el) => (el as HTMLTextAreaElement).setSelectionRange(9, 20));
    await page.click('[data-testid="infill-mark-gap"]');
    const template = await page.inputValue('[data-testid="infill-text"]');
    expect(template).toMatch(/^Emma was \[__\d+__\] and rich, with a comfortable home\.$/);
    const gap = Number(/\[__(\d+)__\]/.exec(template)![1]);
    expect(gap).toBeGreaterThanOrEqual(2);

    // Group-wise, s = 2, left to right: ceil(gap / 2) forwards.
    await page.check('[data-testid="strategy-groupwise"]');
    await page.fill('[data-testid="pg-s"]', '2');
    await page.click('[data-testid="infill-run"]');
    await page.waitForSelector('[data-testid="infill-result"][data-strategy="groupwise"]', { timeout: WAIT_MS });
    const gw = Number(await attr('[data-testid="decode-stats"]', 'data-nfe'));
    expect(gw).toBe(Math.ceil(gap / 2));
    const out = (await page.textContent('[data-testid="infill-output"]')) ?? '';
    expect(out.startsWith('Emma was')).toBe(true);
    expect(out.endsWith(' and rich, with a comfortable home.')).toBe(true);
    expect(await page.$$eval('[data-testid="infill-output"] mark', (m) => m.length)).toBe(1);
    console.log(`infill group-wise: "${out}" (${gw} NFE, ${Number(await attr('[data-testid="decode-stats"]', 'data-ms')).toFixed(0)} ms)`);

    // Dynamic, k = 1: one forward per token; then replay.
    await page.check('[data-testid="strategy-dynamic"]');
    await page.fill('[data-testid="pg-k"]', '1');
    await page.click('[data-testid="infill-run"]');
    await page.waitForSelector('[data-testid="infill-result"][data-strategy="dynamic"]', { timeout: WAIT_MS });
    expect(Number(await attr('[data-testid="decode-stats"]', 'data-nfe'))).toBe(gap);
    expect(await page.textContent('[data-testid="decode-stats"]')).toMatch(/tokens\/s/);
    const last = await stepAttrs();
    expect(last).toMatchObject({ step: gap - 1, open: 0, current: 1, earlier: gap - 1 });
    expect(await drawn()).toMatchObject({ open: 0, current: 1, earlier: gap - 1, row: gap - 1 });
    await page.click('[data-testid="decode-first"]');
    expect(await drawn()).toMatchObject({ open: gap - 1, current: 1, earlier: 0, row: 0 });
    await page.click('[data-testid="decode-next"]');
    expect(await drawn()).toMatchObject({ open: gap - 2, current: 1, earlier: 1, row: 1 });
    expect(await stepAttrs()).toMatchObject({ step: 1, open: gap - 2 });
    await page.click('[data-testid="decode-prev"]');
    expect(await drawn()).toMatchObject({ open: gap - 1, row: 0 });
    // A timeline row click jumps there.
    await page.click(`#cell-infill [data-view="commit-timeline"] g.row-label[data-step="${gap - 1}"]`);
    expect(await drawn()).toMatchObject({ open: 0, row: gap - 1 });
    expect(await page.getAttribute('[data-testid="step-details"]', 'data-committed')).toBe('1');
    // Mid-replay: play from the start at 1 step/s, catch it after the first tick.
    await page.selectOption('[data-testid="decode-speed"]', '1');
    await page.click('[data-testid="decode-play"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="decode-step"]')?.getAttribute('data-step')) >= 1, null, { timeout: WAIT_MS });
    await page.click('[data-testid="decode-play"]'); // pause
    const mid = await stepAttrs();
    expect(mid.step).toBeGreaterThanOrEqual(1);
    expect(mid.step).toBeLessThan(gap);
    await page.click('#cell-infill summary[data-testid="infill-masks-toggle"]');
    await page.waitForSelector('#cell-infill [data-view="mask-matrix"] svg', { timeout: WAIT_MS });
    expect(await attr('[data-testid="infill-export"]', 'download')).toBe('a3-trace-dynamic.json');
    expect(new URL(page.url()).searchParams.get('strategy')).toBe('dynamic');
    expect(await page.$('[data-testid="errors-infill"]')).toBeNull();
    await page.locator('#cell-infill').screenshot({ path: join(SHOTS, 'app-infill-replay.png') });

    // Speculative, D = 2: draft and verify forwards alternate; each round keeps 1 to 2 tokens.
    await page.check('[data-testid="strategy-speculative"]');
    await page.fill('[data-testid="pg-draft"]', '2');
    await page.click('[data-testid="infill-run"]');
    await page.waitForSelector('[data-testid="infill-result"][data-strategy="speculative"]', { timeout: WAIT_MS });
    const specNfe = Number(await attr('[data-testid="decode-stats"]', 'data-nfe'));
    expect(specNfe % 2).toBe(0);
    expect(specNfe).toBeGreaterThanOrEqual(gap);
    expect(specNfe).toBeLessThanOrEqual(2 * gap);
    const specOut = (await page.textContent('[data-testid="infill-output"]')) ?? '';
    expect(specOut.startsWith('Emma was')).toBe(true);
    expect(specOut.endsWith(' and rich, with a comfortable home.')).toBe(true);
    expect(Number(await attr('[data-testid="decode-accepted"]', 'data-accepted-per-forward'))).toBeCloseTo(gap / specNfe, 6);
    console.log(`infill speculative D = 2: "${specOut}" (${specNfe} NFE)`);

    // The AR preset: the base model's own left-to-right decoder, loaded on this first use (its status says so), one forward per token.
    await page.click('[data-testid="preset-ar"]');
    expect(await attr('[data-testid="base-status"]', 'data-status')).toBe('idle');
    await page.click('[data-testid="infill-run"]');
    await page.waitForSelector('[data-testid="infill-result"][data-strategy="ar"]', { timeout: WAIT_MS });
    expect(await attr('[data-testid="base-status"]', 'data-status')).toBe('loaded');
    expect(Number(await attr('[data-testid="decode-stats"]', 'data-nfe'))).toBe(gap);
    expect(await page.textContent('[data-testid="decode-stats"]')).toMatch(/on the base \(left-to-right\) model/);
    const arOut = (await page.textContent('[data-testid="infill-output"]')) ?? '';
    expect(arOut.startsWith('Emma was')).toBe(true);
    expect(arOut.endsWith(' and rich, with a comfortable home.')).toBe(true);
    console.log(`infill AR (base model): "${arOut}"`);

    // A bad template is refused as it is typed, in the cell under the template (a gap of 0 tokens), and Run waits.
    await page.fill('[data-testid="infill-text"]', 'Emma [__0__] rich.');
    await page.waitForSelector('[data-testid="infill-template-line"][data-problem]', { timeout: WAIT_MS });
    expect(await page.textContent('[data-testid="infill-template-line"]')).toMatch(/gap/);
    await waitDisabled(page, '[data-testid="infill-run"]', true);
    await page.fill('[data-testid="infill-text"]', template);

    // Compare: the AR baseline (base model, loaded now), A3 left to right, group-wise s = 2, dynamic k = 1 on the same template.
    await page.click('[data-testid="compare-run"]');
    await page.waitForSelector('#cell-compare[data-state="done"]', { timeout: WAIT_MS });
    for (const [key, nfe, model] of [['ar', gap, 'base'], ['a3-l2r', gap, 'a3'], ['groupwise', Math.ceil(gap / 2), 'a3'], ['dynamic', gap, 'a3'], ['mdlm', gap, 'mdlm']] as const) {
      expect(await attr(`[data-testid="compare-${key}"]`, 'data-status')).toBe('done');
      expect(Number(await attr(`[data-testid="compare-${key}"]`, 'data-nfe'))).toBe(nfe);
      expect(await attr(`[data-testid="compare-model-${key}"]`, 'data-kind')).toBe(model);
    }
    // The base model's real left-to-right decoder: the template's text before the gap is kept, the gap filled after it.
    expect(await page.textContent('[data-testid="compare-ar"]')).toMatch(/^AR \(base model\), left to right/);
    // The MDLM baseline is shipped (public/weights/mdlm): as many diffusion steps as the dynamic row's forwards.
    expect(await attr('[data-testid="compare-mdlm"]', 'data-status')).toBe('done');
    expect(Number(await attr('[data-testid="compare-mdlm"]', 'data-nfe'))).toBe(gap);
    await page.locator('#cell-compare').screenshot({ path: join(SHOTS, 'app-compare.png') });
    console.log(`infill + compare done after ${Date.now() - t0} ms`);
  }, APP_TEST_MS);

  it('inspect shows the allowed/blocked counts of a contiguous s=2 plan', async () => {
    await page.fill('[data-testid="inspect-text"]', 'Emma was clever and rich.');
    await page.click('[data-testid="inspect-run"]');
    await page.check('[data-testid="plan-contiguous"]');
    await page.fill('[data-testid="plan-size"]', '2');
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="mask-counts"]');
      const n = Number(el?.getAttribute('data-n'));
      // The snapshot on screen has contiguous s=2 ids once group count = ceil(n/2).
      return n > 0 && el?.textContent?.includes(`${Math.ceil(n / 2)} groups`) && n > 2;
    }, null, { timeout: WAIT_MS });
    const n = Number(await attr('[data-testid="mask-counts"]', 'data-n'));
    const expected = maskCounts(contiguous(n, 2));
    expect(Number(await attr('[data-testid="mask-counts"]', 'data-content-allowed'))).toBe(expected.content.allowed);
    expect(Number(await attr('[data-testid="mask-counts"]', 'data-content-blocked'))).toBe(expected.content.blocked);
    expect(Number(await attr('[data-testid="mask-counts"]', 'data-query-allowed'))).toBe(expected.query.allowed);
    expect(Number(await attr('[data-testid="mask-counts"]', 'data-query-blocked'))).toBe(expected.query.blocked);
    expect(await page.$('[data-view="mask-matrix"] svg')).not.toBeNull();
    expect(await page.$('[data-view="attention-map"] svg')).not.toBeNull();
    // The plan is in the address bar: a shareable link.
    expect(new URL(page.url()).searchParams.get('plan')).toBe('contig:2');
    expect(await page.$('[data-testid="errors-inspect"]')).toBeNull();
    await shot('inspect');
  }, APP_TEST_MS);

  it('fine-tunes 5 steps on the sample: loss falls, pause / one step / resume work', async () => {
    const points = async () => Number(await attr('[data-testid="ft-stats"]', 'data-points'));
    await page.selectOption('[data-testid="ft-plan"]', 'stage:0');
    await page.fill('[data-testid="ft-steps"]', '5');
    await page.fill('[data-testid="ft-batch"]', '4');
    const tStart = await page.evaluate(() => performance.now());
    await page.click('[data-testid="ft-start"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="ft-stats"]')?.getAttribute('data-points')) >= 1, null, { timeout: WAIT_MS });
    await page.click('[data-testid="ft-pause"]');
    await page.waitForSelector('[data-testid="ft-state"]:text-is("paused")', { timeout: WAIT_MS });
    await page.waitForTimeout(3000); // a step in flight when the pause arrived still finishes
    const held = await points();
    await page.waitForTimeout(2000);
    expect(await points()).toBe(held); // paused: no progress
    if (held < 5) {
      await page.click('[data-testid="ft-step"]');
      await page.waitForFunction((h) => Number(document.querySelector('[data-testid="ft-stats"]')?.getAttribute('data-points')) === h + 1, held, { timeout: WAIT_MS });
      expect(await page.textContent('[data-testid="ft-state"]')).toBe('paused');
      await page.click('[data-testid="ft-resume"]');
    }
    await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: WAIT_MS });
    const allTasks = await page.evaluate(() => (window as unknown as { __longTasks?: { start: number; duration: number }[] }).__longTasks ?? null);
    const tasks = allTasks?.filter((t) => t.start >= tStart).map((t) => t.duration) ?? null;
    // Evidence the observer works: long tasks since this page load (hydration, worker start), before the fine-tune.
    console.log(`long tasks before the fine-tune: ${allTasks?.filter((t) => t.start < tStart).map((t) => Math.round(t.duration)).join(', ') || 'none'}; weights: ${weightUrls.join('; ')}`);
    speed.fineTuneMs = Math.round((await page.evaluate(() => performance.now())) - tStart);
    speed.longTasks = tasks ? tasks.length : null;
    speed.longestTaskMs = tasks ? Math.round(Math.max(0, ...tasks)) : null;
    writeSpeed();
    console.log(`speed: ready ${speed.readyMs} ms, ${speed.weightsFiles} weight files ${speed.weightsBytes} bytes, fine-tune ${speed.fineTuneMs} ms with ${speed.longTasks} long tasks (longest ${speed.longestTaskMs} ms)`);
    expect(await points()).toBe(5);
    const first = Number(await attr('[data-testid="ft-stats"]', 'data-first-loss'));
    const last = Number(await attr('[data-testid="ft-stats"]', 'data-last-loss'));
    console.log(`fine-tune: loss ${first.toFixed(3)} -> ${last.toFixed(3)} after ${Date.now() - t0} ms`);
    expect(last).toBeLessThan(first);
    expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();
    await page.waitForSelector('[data-testid="checkpoint-list"] [data-testid="checkpoint"]', { timeout: WAIT_MS });
    await shot('finetune');
  }, APP_TEST_MS);

  /** Clicks Export (one zip: the folder picker is switched off, a test cannot drive it) and unzips it under test-results/export/<dir>/. */
  const exportFiles = async (dir: string): Promise<Record<string, string>> => {
    await page.evaluate(() => Object.defineProperty(window, 'showDirectoryPicker', { value: undefined, configurable: true }));
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.click('[data-testid="ft-export"]')]);
    const entries = unzipSync(new Uint8Array(readFileSync(await download.path())));
    const paths: Record<string, string> = {};
    mkdirSync(join(EXPORTS, dir), { recursive: true });
    for (const [entry, bytes] of Object.entries(entries).sort(([a], [b]) => a.localeCompare(b))) {
      const name = entry.split('/').pop() ?? entry;
      paths[name] = join(EXPORTS, dir, name);
      writeFileSync(paths[name], bytes);
    }
    return paths;
  };

  it('export gives model.safetensors + config.json + tokenizer.json; importing them round-trips; bad files say why', async () => {
    const first = await exportFiles('first');
    expect(Object.keys(first)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const config = JSON.parse(readFileSync(first['config.json'], 'utf8'));
    expect(config).toMatchObject({ model_type: 'llama', architectures: ['LlamaForCausalLM'], a3: { format: 'a3-studio' } });
    const weights = readFileSync(first['model.safetensors']);
    const header = JSON.parse(weights.subarray(8, 8 + weights.readUInt32LE(0)).toString('utf8'));
    expect(header['model.layers.0.mlp.gate_proj.weight'].shape).toEqual([config.intermediate_size, config.hidden_size]);

    // The user's import: select the three files at once.
    await page.setInputFiles('[data-testid="ft-import"]', Object.values(first));
    await page.waitForSelector('[data-testid="model-status"][data-source="import"][data-status="loaded"]', { timeout: WAIT_MS });
    expect(await page.textContent('[data-testid="model-note"]')).toMatch(/imported 3 files/);
    expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();
    // Exporting the imported model gives the same bytes: nothing was lost or transposed twice.
    const again = await exportFiles('again');
    expect(readFileSync(again['model.safetensors']).equals(weights)).toBe(true);
    expect(readFileSync(again['config.json'], 'utf8')).toBe(readFileSync(first['config.json'], 'utf8'));

    const importBad = async (files: { name: string; buffer: Buffer }[], message: RegExp) => {
      await page.setInputFiles('[data-testid="ft-import"]', files.map((f) => ({ ...f, mimeType: 'application/octet-stream' })));
      await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="errors-finetune"]')?.textContent ?? ''), message.source, { timeout: WAIT_MS });
    };
    const cfg = { name: 'config.json', buffer: readFileSync(first['config.json']) };
    await importBad([{ name: 'model.safetensors', buffer: weights.subarray(0, 1000) }, cfg], /model\.safetensors is truncated|out of range/);
    const gpt2 = Buffer.from(JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: 768 }));
    await importBad([{ name: 'model.safetensors', buffer: weights }, { name: 'config.json', buffer: gpt2 }], /describes a "gpt2" model \(GPT2LMHeadModel\), not an A3 model/);
    await page.locator('#cell-finetune').screenshot({ path: join(SHOTS, 'app-import-error.png') });
    await importBad([{ name: 'weights.bin', buffer: weights }], /select model\.safetensors and config\.json together/);
    // The imported model is still there.
    expect(await attr('[data-testid="model-status"]', 'data-source')).toBe('import');
    expect(await attr('[data-testid="model-status"]', 'data-status')).toBe('loaded');
  }, APP_TEST_MS);


  it('a reload lists the checkpoint from IndexedDB', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('[data-testid="checkpoint-list"] [data-testid="checkpoint"]', { timeout: WAIT_MS });
    expect(await page.$$eval('[data-testid="checkpoint"] td', (tds) => tds.map((td) => td.textContent))).toContain('5 / 5');
    // The shared link survived the reload.
    await page.waitForSelector('[data-testid="mask-counts"]', { timeout: WAIT_MS });
    expect(await page.isChecked('[data-testid="plan-contiguous"]')).toBe(true);
    await shot('reload');
  }, APP_TEST_MS);

  it('two runs started at once: the second is refused, the first runs alone', async () => {
    await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: WAIT_MS });
    await page.selectOption('[data-testid="ft-plan"]', 'stage:0');
    await page.fill('[data-testid="ft-steps"]', '3');
    await page.fill('[data-testid="ft-batch"]', '2');
    // Two clicks before the worker says "running": the Start button is still there for the second.
    await page.dblclick('[data-testid="ft-start"]');
    await page.waitForFunction(() => /a run is already in progress/.test(document.querySelector('[data-testid="errors-finetune"]')?.textContent ?? ''), null, { timeout: WAIT_MS });
    await page.waitForSelector('[data-testid="ft-state"]:text-is("running")', { timeout: WAIT_MS });
    await page.locator('#cell-finetune').screenshot({ path: join(SHOTS, 'app-two-runs.png') });
    await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: WAIT_MS });
    // One run's steps only: 3 points, ending at step 3 (two interleaved runs would give 6, or restart the count).
    expect(Number(await attr('[data-testid="ft-stats"]', 'data-points'))).toBe(3);
    expect(Number(await attr('[data-testid="ft-stats"]', 'data-step'))).toBe(3);
    expect(await page.textContent('[data-testid="errors-finetune"]')).toMatch(/^[^]*a run is already in progress: pause, stop or wait for it[^]*$/);
  }, APP_TEST_MS);

  it('honours ?backend= and keeps the shared state in the link', async () => {
    const url = new URL(page.url());
    url.searchParams.set('backend', 'cpu');
    await page.goto(url.toString(), { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="backend"]:text-is("cpu")', { timeout: WAIT_MS });
    expect(await page.textContent('[data-testid="backend-reason"]')).toMatch(/^cpu .*requested/);
    expect(await page.isChecked('[data-testid="plan-contiguous"]')).toBe(true);
    await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: WAIT_MS });
    expect(errors).toEqual([]);
  }, APP_TEST_MS);

  it('?faults=1: a lost WebGPU device, then out of memory on WebGL: training falls back, resumes from the checkpoint, finishes', async () => {
    try {
      const url = new URL(page.url());
      url.searchParams.set('backend', 'webgpu');
      url.searchParams.set('faults', '1');
      await page.goto(url.toString(), { waitUntil: 'load' });
      await page.waitForSelector('[data-testid="backend"]:text-is("webgpu")', { timeout: WAIT_MS });
      await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: WAIT_MS });
      // The full curriculum, one step per stage: a checkpoint after every step.
      await page.selectOption('[data-testid="ft-plan"]', 'full');
      await page.fill('[data-testid="ft-steps"]', '1');
      await page.fill('[data-testid="ft-batch"]', '1');
      await page.click('[data-testid="ft-start"]');
      // WebGPU on SwiftShader needs minutes for a training step: the device goes at once, before any checkpoint.
      await page.waitForSelector('[data-testid="ft-state"]:text-is("running")', { timeout: WAIT_MS });
      await page.click('[data-testid="ft-fault-lost"]');
      const fault = '[data-testid="ft-fault"]';
      await page.waitForSelector(`${fault}:has-text("WebGPU device lost")`, { timeout: WAIT_MS });
      expect(await page.textContent(fault)).toBe('WebGPU device lost (simulated): switched to webgl, resumed from the weights the run started from (no checkpoint yet).');
      expect(await page.textContent('[data-testid="backend"]')).toBe('webgl');
      await page.locator('#cell-finetune').screenshot({ path: join(SHOTS, 'app-fault-device-lost.png') });
      // On WebGL, stage 1 ends with a checkpoint; then memory runs out and wasm takes over from that checkpoint.
      await page.waitForFunction(
        () => [...document.querySelectorAll('[data-testid="checkpoint"]')].some((row) => /^1: left-to-right1 \/ 1/.test(row.textContent ?? '')),
        null,
        { timeout: WAIT_MS },
      );
      await page.click('[data-testid="ft-fault-oom"]');
      await page.waitForSelector(`${fault}:has-text("WebGL ran out of memory")`, { timeout: WAIT_MS });
      expect(await page.textContent(fault)).toMatch(/^WebGL ran out of memory \(simulated\): switched to wasm, resumed from checkpoint run \w{4} · \d\w?: [\w -=]+ @ step 1\.$/);
      expect(await page.textContent('[data-testid="backend"]')).toBe('wasm');
      await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: WAIT_MS });
      expect(Number(await attr('[data-testid="ft-stats"]', 'data-points'))).toBe(5);
      expect(Number(await attr('[data-testid="ft-stats"]', 'data-step'))).toBe(5);
      expect(await page.textContent('[data-testid="ft-stats"]')).toMatch(/last run finished/);
      expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();
      await page.locator('#cell-finetune').screenshot({ path: join(SHOTS, 'app-fault-oom.png') });
      expect(errors).toEqual([]);
    } catch (e) {
      const state = await page.textContent('[data-testid="ft-state"]').catch(() => '?');
      const errs = await page.textContent('[data-testid="errors-finetune"]', { timeout: 1000 }).catch(() => 'none');
      console.log(`fault test failed: state ${state}; cell errors: ${errs}; console:\n${consoleLines.slice(-30).join('\n')}`);
      await page.locator('#cell-finetune').screenshot({ path: join(SHOTS, 'app-fault-failed.png') }).catch(() => undefined);
      throw e;
    }
  }, APP_TEST_MS); // three backends' shader compiles / first steps on SwiftShader
});

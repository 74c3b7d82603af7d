/**
 * The notebook against the production build in headless Chromium: the page loads, the backend is shown, the
 * model loads (base stands in when A3 is not shipped), the inspect cell shows the mask counts of a known plan,
 * a 5-step fine-tune on the built-in sample lowers the loss with pause / single step / resume, and a reload
 * lists the checkpoint it saved. Screenshots go to test-results/app-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskCounts } from '@/components/views/mask-matrix';
import { contiguous } from '@/lib/a3/groups';
import { E2E_TIMEOUT_MS, REPO_ROOT, launch, type LaunchedBrowser } from './browser';
import { startApp, type AppServer } from './app/server';

const SHOTS = join(REPO_ROOT, 'test-results');
const NOISE = [/favicon\.ico/, /D-?Bus/i, /unexpected operator/, /Failed to load resource: the server responded with a status of 404/];

describe('A3 Studio notebook (production build, headless Chromium)', () => {
  let app: AppServer | undefined;
  let browser: LaunchedBrowser | undefined;
  let page: Page;
  const errors: string[] = [];
  const t0 = Date.now();
  const attr = (sel: string, name: string) => page.getAttribute(sel, name);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `app-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    app = await startApp();
    console.log(`app up after ${Date.now() - t0} ms at ${app.url}`);
    browser = await launch();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('console', (m) => {
      const text = `${m.type()}: ${m.text()}`;
      if (m.type() === 'error' && !NOISE.some((r) => r.test(text))) errors.push(text);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
    // Folders not shipped yet answer 404 to the manifest probe (expected); any other 404 is a bug.
    page.on('response', (r) => {
      if (r.status() >= 400 && !/\/weights\/(a3|mdlm)\/manifest\.json$/.test(new URL(r.url()).pathname)) errors.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.goto(`${app.url}/`, { waitUntil: 'load', timeout: 60_000 });
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    console.log(`app e2e total ${Date.now() - t0} ms`);
  }, 30_000);

  it('shows the backend and loads the model', async () => {
    await page.waitForFunction(() => {
      const b = document.querySelector('[data-testid="backend"]')?.textContent ?? '';
      return b !== '' && !b.includes('probing');
    }, null, { timeout: 60_000 });
    const backend = await page.textContent('[data-testid="backend"]');
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(backend);
    expect(await page.textContent('[data-testid="backend-reason"]')).toMatch(new RegExp(`^${backend}`));
    await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: 90_000 });
    const source = await attr('[data-testid="model-status"]', 'data-source');
    expect(['a3', 'base']).toContain(source);
    if (source === 'base') expect(await page.textContent('[data-testid="model-note"]')).toMatch(/not shipped yet/);
    expect(await page.textContent('[data-testid="model-params"]')).toMatch(/parameters/);
    expect(await page.textContent('[data-testid="memory"]')).toMatch(/tensors/);
    console.log(`model (${source}) on ${backend} after ${Date.now() - t0} ms`);
  }, E2E_TIMEOUT_MS);

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
    }, null, { timeout: 60_000 });
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
  }, E2E_TIMEOUT_MS);

  it('fine-tunes 5 steps on the sample: loss falls, pause / one step / resume work', async () => {
    const points = async () => Number(await attr('[data-testid="ft-stats"]', 'data-points'));
    await page.selectOption('[data-testid="ft-plan"]', 'stage:0');
    await page.fill('[data-testid="ft-steps"]', '5');
    await page.fill('[data-testid="ft-batch"]', '4');
    await page.click('[data-testid="ft-start"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="ft-stats"]')?.getAttribute('data-points')) >= 1, null, { timeout: 90_000 });
    await page.click('[data-testid="ft-pause"]');
    await page.waitForSelector('[data-testid="ft-state"]:text-is("paused")', { timeout: 30_000 });
    await page.waitForTimeout(3000); // a step in flight when the pause arrived still finishes
    const held = await points();
    await page.waitForTimeout(2000);
    expect(await points()).toBe(held); // paused: no progress
    if (held < 5) {
      await page.click('[data-testid="ft-step"]');
      await page.waitForFunction((h) => Number(document.querySelector('[data-testid="ft-stats"]')?.getAttribute('data-points')) === h + 1, held, { timeout: 60_000 });
      expect(await page.textContent('[data-testid="ft-state"]')).toBe('paused');
      await page.click('[data-testid="ft-resume"]');
    }
    await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: 90_000 });
    expect(await points()).toBe(5);
    const first = Number(await attr('[data-testid="ft-stats"]', 'data-first-loss'));
    const last = Number(await attr('[data-testid="ft-stats"]', 'data-last-loss'));
    console.log(`fine-tune: loss ${first.toFixed(3)} -> ${last.toFixed(3)} after ${Date.now() - t0} ms`);
    expect(last).toBeLessThan(first);
    expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();
    await page.waitForSelector('[data-testid="checkpoint-list"] li', { timeout: 30_000 });
    // Export: one download link per file of the shipped format.
    await page.click('[data-testid="ft-export"]');
    await page.waitForSelector('[data-testid="ft-downloads"] a', { timeout: 30_000 });
    const names = await page.$$eval('[data-testid="ft-downloads"] a', (as) => as.map((a) => a.getAttribute('download')));
    expect(names).toEqual(expect.arrayContaining(['manifest.json', 'weights-000.bin', 'config.json', 'tokenizer.json']));
    await shot('finetune');
  }, E2E_TIMEOUT_MS);

  it('a reload lists the checkpoint from IndexedDB', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('[data-testid="checkpoint-list"] li', { timeout: 60_000 });
    expect(await page.textContent('[data-testid="checkpoint-list"]')).toMatch(/step 5/);
    // The shared link survived the reload.
    await page.waitForSelector('[data-testid="mask-counts"]', { timeout: 60_000 });
    expect(await page.isChecked('[data-testid="plan-contiguous"]')).toBe(true);
    await shot('reload');
  }, E2E_TIMEOUT_MS);

  it('honours ?backend= and keeps the shared state in the link', async () => {
    const url = new URL(page.url());
    url.searchParams.set('backend', 'cpu');
    await page.goto(url.toString(), { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="backend"]:text-is("cpu")', { timeout: 60_000 });
    expect(await page.textContent('[data-testid="backend-reason"]')).toMatch(/^cpu .*requested/);
    expect(await page.isChecked('[data-testid="plan-contiguous"]')).toBe(true);
    await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: 90_000 });
    expect(errors).toEqual([]);
  }, E2E_TIMEOUT_MS);
});

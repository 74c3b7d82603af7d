/**
 * A fine-tune with validation on the webgpu backend (issue 14, "Also"), in headless Chromium on the production
 * build: every read the page reaches is asynchronous, so a training step, the optimizer's checks and the
 * validation loss never meet WebGPU's "no sync read after an async one" rule. Two steps of stage 1 on the
 * built-in sample; validation runs on a run's last step, so its loss must appear, finite, with no console
 * error, no cell error and no fallback to another backend. Chromium here has only a software adapter
 * (SwiftShader: shader compiles take minutes on a busy machine, hence the generous ceilings); where it has
 * none at all, the test fails with the reason (as webgpu-smoke does): a missing adapter is never passed or skipped silently.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TEST_MS, WAIT_MS } from './browser';
import { openApp, type AppSession } from './app/server';

const STEPS = 2;

/** Why this Chromium cannot run WebGPU, or null when it has an adapter. */
function noAdapterReason(page: Page): Promise<string | null> {
  return page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return 'navigator.gpu is missing (is --enable-unsafe-webgpu among the flags?)';
    return (await gpu.requestAdapter()) ? null : 'navigator.gpu.requestAdapter() returned null: no software adapter in this Chromium';
  });
}

describe('fine-tune with validation on webgpu (production build, headless Chromium)', () => {
  let session: AppSession | undefined;
  let page: Page;
  let errors: string[] = [];
  let consoleLines: string[] = [];
  let noAdapter: string | null = null;

  beforeAll(async () => {
    session = await openApp({ path: '/?backend=webgpu' });
    ({ page, errors, console: consoleLines } = session);
    noAdapter = await noAdapterReason(page);
  }, APP_TEST_MS);

  afterAll(async () => {
    await session?.close();
  }, 60_000);

  it('a short run on webgpu reports a finite validation loss, with no console error and no sync-read failure', async () => {
    // Debian's Chromium has SwiftShader's adapter with the flags in browser.ts (webgpu-smoke asserts it too): no adapter is a failure, not a skip.
    expect(noAdapter, `no WebGPU adapter: ${noAdapter}`).toBeNull();
    await page.waitForSelector('[data-testid="backend"]:text-is("webgpu")', { timeout: WAIT_MS });
    await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: WAIT_MS });
    await page.selectOption('[data-testid="ft-plan"]', 'stage:0');
    for (const [id, value] of [['ft-steps', String(STEPS)], ['ft-batch', '1']] as const) {
      await page.fill(`[data-testid="${id}"]`, value);
      await page.press(`[data-testid="${id}"]`, 'Enter');
    }
    await page.click('[data-testid="ft-start"]');
    try {
      await page.waitForFunction(
        (n) => {
          const idle = document.querySelector('[data-testid="ft-state"]')?.textContent === 'idle';
          const stats = document.querySelector('[data-testid="ft-stats"]');
          return (idle && Number(stats?.getAttribute('data-step')) === n) || document.querySelector('[data-testid="errors-finetune"]') !== null;
        },
        STEPS,
        { timeout: WAIT_MS },
      );
    } catch (e) {
      console.log(`webgpu fine-tune did not finish; console:\n${consoleLines.slice(-40).join('\n')}`);
      throw e;
    }
    const cellError = await page.$('[data-testid="errors-finetune"]');
    expect(cellError ? await cellError.textContent() : null).toBeNull();
    // Still on webgpu: no fault moved the run to another backend.
    expect(await page.textContent('[data-testid="backend"]')).toBe('webgpu');
    expect(await page.$('[data-testid="ft-fault"]')).toBeNull();
    expect(Number(await page.getAttribute('[data-testid="ft-stats"]', 'data-val-points'))).toBeGreaterThanOrEqual(1);
    const loss = (await page.textContent('[data-testid="ft-loss"]')) ?? '';
    const val = /validation (\S+)/.exec(loss);
    expect(val, loss).not.toBeNull();
    expect(Number.isFinite(Number(val?.[1])), loss).toBe(true);
    console.log(`webgpu fine-tune: ${loss}`);
    expect(consoleLines.filter((l) => /dataSync|readSync|arraySync/i.test(l))).toEqual([]);
    expect(errors).toEqual([]);
  }, APP_TEST_MS);
});

/**
 * Fine-tuning a user can trust (issue 14, items 3, 6, 9, 11, 16), in headless Chromium on the production
 * build (wasm, so steps are quick): a run interrupted by a reload is offered back as "resume run X from step N"
 * with its loss chart restored; the page says which weights are active and offers the last fine-tune after a
 * reload; a run at a learning rate far too high stops with its warning and leaves the good run's checkpoints
 * and weights alone; a fault fallback shows "recovering on <backend> from step N", never a stale count;
 * Export is one click giving one zip (no folder picker here) with a Hugging Face tokenizer.json, which
 * imports back; deleting a run asks first. Every wait is for an event, with a generous ceiling.
 */
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TEST_MS, WAIT_MS } from './browser';
import { openApp, type AppSession } from './app/server';

const weightsText = (page: Page) => page.textContent('[data-testid="active-weights-a3"]');

async function modelReady(page: Page) {
  await page.waitForSelector('[data-testid="model-status"][data-status="loaded"]', { timeout: WAIT_MS });
  await page.waitForSelector('[data-testid="active-weights-a3"]', { timeout: WAIT_MS });
}

/** One stage of `steps` steps at learning rate `lr`, batch 2, committed as a person types them. */
async function plan(page: Page, steps: number, lr: string) {
  await page.selectOption('[data-testid="ft-plan"]', 'stage:0');
  for (const [id, value] of [['ft-steps', String(steps)], ['ft-lr', lr], ['ft-batch', '2']] as const) {
    await page.fill(`[data-testid="${id}"]`, value);
    await page.press(`[data-testid="${id}"]`, 'Enter');
  }
}

const stat = async (page: Page, name: string) => Number(await page.getAttribute('[data-testid="ft-stats"]', name));

describe('Fine-tuning people can trust (production build, headless Chromium, wasm)', () => {
  let session: AppSession | undefined;
  let page: Page;
  let errors: string[] = [];
  /** The interrupted run: its id (short) and the loss of its first step. */
  const firstRun = { short: '', firstLoss: 0 };

  beforeAll(async () => {
    session = await openApp({ path: '/?backend=wasm&faults=1' });
    ({ page, errors } = session);
    await modelReady(page);
  }, APP_TEST_MS);

  afterAll(async () => {
    await session?.close();
  }, 60_000);

  it('a run interrupted by a reload is offered back and resumes from its checkpoint with its loss chart', async () => {
    expect(await weightsText(page)).toMatch(/^weights: shipped \w+ weights$/);
    await plan(page, 60, '0.001');
    await page.click('[data-testid="ft-start"]');
    // The step-10 checkpoint, then the tab goes away mid-run.
    await page.waitForSelector('[data-testid="checkpoint"]', { timeout: WAIT_MS });
    firstRun.firstLoss = await stat(page, 'data-first-loss');
    await page.reload({ waitUntil: 'load' });
    await modelReady(page);
    const resume = '[data-testid="checkpoint-resume"]';
    await page.waitForSelector(resume, { timeout: WAIT_MS });
    const offer = (await page.textContent(resume)) ?? '';
    const m = /^Resume run (\w{4}) from step (\d+) of /.exec(offer);
    expect(m, offer).not.toBeNull();
    firstRun.short = m![1]; // checked just above
    const from = Number(m![2]);
    expect(from).toBeGreaterThanOrEqual(10);
    await page.click(resume);
    await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector('[data-testid="ft-stats"]')?.getAttribute('data-step') === '60', null, { timeout: WAIT_MS });
    // The whole run on the chart: the steps before the reload came back from the checkpoint, not only the new ones.
    expect(await stat(page, 'data-points')).toBe(60);
    expect(await stat(page, 'data-first-loss')).toBeCloseTo(firstRun.firstLoss, 6);
    // Finished: nothing left to resume (the list refreshes after the run's answer).
    await page.waitForFunction((sel) => document.querySelector(sel) === null, resume, { timeout: WAIT_MS });
    expect(await weightsText(page)).toBe(`weights: fine-tuned run ${firstRun.short} at step 60 (1: left-to-right)`);
    expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();
  }, APP_TEST_MS);

  it('after a reload the page says it is on the shipped weights and offers the last fine-tune back', async () => {
    await page.reload({ waitUntil: 'load' });
    await modelReady(page);
    expect(await weightsText(page)).toMatch(/^weights: shipped/);
    const offered = await page.waitForSelector('[data-testid="restore-last-fine-tune"]', { timeout: WAIT_MS }).catch(async (e: unknown) => {
      const seen = await page.evaluate(() => ({
        remembered: localStorage.getItem('a3-studio:last-fine-tune'),
        keys: [...document.querySelectorAll('[data-testid="checkpoint"]')].map((r) => r.getAttribute('data-key')),
      }));
      throw new Error(`no offer: ${JSON.stringify(seen)} (${e instanceof Error ? e.message : String(e)})`);
    });
    expect(offered).not.toBeNull();
    await page.click('[data-testid="restore-last-fine-tune-button"]');
    await page.waitForFunction(() => /fine-tuned run/.test(document.querySelector('[data-testid="active-weights-a3"]')?.textContent ?? ''), null, { timeout: WAIT_MS });
    expect(await weightsText(page)).toBe(`weights: fine-tuned run ${firstRun.short} at step 60 (1: left-to-right)`);
    expect(await page.$('[data-testid="restore-last-fine-tune"]')).toBeNull();
  }, APP_TEST_MS);

  it('a run at a learning rate far too high stops with its warning; the good run and its weights are untouched', async () => {
    const goodRows = await page.$$eval(`[data-testid="checkpoint-run"]`, (runs) => runs.map((r) => r.textContent));
    const weightsBefore = await weightsText(page);
    await plan(page, 12, '10');
    await page.click('[data-testid="ft-start"]');
    await page.waitForSelector('[data-testid="ft-warning"]', { timeout: WAIT_MS });
    await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: WAIT_MS });
    expect(await page.textContent('[data-testid="ft-warning"]')).toMatch(/the loss diverged.*earlier checkpoints are kept.*last good weights/);
    expect(await page.textContent('[data-testid="ft-stats"]')).toMatch(/last run diverged/);
    // The good run's checkpoints are listed exactly as before.
    const after = await page.$$eval(`[data-testid="checkpoint-run"]`, (runs) => runs.map((r) => r.textContent));
    for (const row of goodRows) expect(after).toContain(row);
    // The model is back on good weights: the bad run's last checkpoint if it saved one before diverging, else the good run's.
    const badRun = await page.$$eval('[data-testid="checkpoint-run"]', (runs) => runs.map((r) => r.getAttribute('data-run') ?? ''));
    const now = await weightsText(page);
    const rolledBackToBadCheckpoint = badRun.some((id) => now === `weights: fine-tuned run ${id.slice(-4)} at step 10 (1: left-to-right)`);
    expect(now === weightsBefore || rolledBackToBadCheckpoint, `${weightsBefore} -> ${now}`).toBe(true);
    expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();
  }, APP_TEST_MS);

  it('a fault fallback shows "recovering on cpu from step N" until the run goes on, never a stale count', async () => {
    await plan(page, 12, '0.001');
    // Every text the step counter shows, as it changes.
    await page.evaluate(() => {
      const w = window as unknown as { __stepTexts: string[] };
      w.__stepTexts = [];
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid="ft-step-count"]')?.textContent;
        if (t && t !== w.__stepTexts.at(-1)) w.__stepTexts.push(t);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.click('[data-testid="ft-start"]');
    // Paused at once, then one step at a time up to the step-10 checkpoint: run out of memory there, and go on
    // (the fault surfaces at the next step; two steps are left, on the slow cpu backend).
    await page.waitForSelector('[data-testid="ft-pause"]', { timeout: WAIT_MS });
    await page.click('[data-testid="ft-pause"]');
    await page.waitForSelector('[data-testid="ft-state"]:text-is("paused")', { timeout: WAIT_MS });
    for (let step = await stat(page, 'data-step'); step < 10; step = await stat(page, 'data-step')) {
      await page.click('[data-testid="ft-step"]');
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="ft-stats"]')?.getAttribute('data-step')) > n, step, { timeout: WAIT_MS });
    }
    // The row's cells run together in textContent ("1: left-to-right10 / 12…"): match the step cell's text alone.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="checkpoint"] td')].some((td) => td.textContent === '10 / 12'), null, { timeout: WAIT_MS });
    await page.click('[data-testid="ft-fault-oom"]');
    await page.click('[data-testid="ft-resume"]');
    await page.waitForSelector('[data-testid="ft-fault"]:has-text("ran out of memory")', { timeout: WAIT_MS });
    await page.waitForSelector('[data-testid="ft-state"]:text-is("idle")', { timeout: WAIT_MS });
    const texts = await page.evaluate(() => (window as unknown as { __stepTexts: string[] }).__stepTexts);
    const at = texts.findIndex((t) => /^recovering on cpu from step \d+$/.test(t));
    expect(at, texts.join(' | ')).toBeGreaterThan(0);
    const resumedFrom = Number(/from step (\d+)/.exec(texts[at])![1]); // matched just above
    expect(resumedFrom).toBe(10); // the checkpoint's step
    // After it, the count goes on from there upwards: no stale "12 / 12", no counting backwards.
    const after = texts.slice(at + 1).map((t) => Number(/^(\d+) \//.exec(t)?.[1]));
    expect(after[0]).toBe(resumedFrom + 1);
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(after.at(-1)).toBe(12);
  }, APP_TEST_MS);

  it('Export is one click and one zip with a Hugging Face tokenizer.json; it imports back; deleting a run asks first', async () => {
    // This Chromium has the folder picker, which a test cannot drive: without it the export is one zip download.
    await page.evaluate(() => Object.defineProperty(window, 'showDirectoryPicker', { value: undefined, configurable: true }));
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.click('[data-testid="ft-export"]')]);
    expect(download.suggestedFilename()).toBe('a3-studio-model.zip');
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const entries = unzipSync(new Uint8Array(readFileSync(path)));
    expect(Object.keys(entries).sort()).toEqual(['a3-studio-model/config.json', 'a3-studio-model/model.safetensors', 'a3-studio-model/tokenizer.json']);
    const tokenizer = JSON.parse(new TextDecoder().decode(entries['a3-studio-model/tokenizer.json']));
    expect(tokenizer.model).toMatchObject({ type: 'BPE' });
    await page.waitForSelector('[data-testid="ft-exported"]', { timeout: WAIT_MS });
    expect(await page.textContent('[data-testid="ft-exported"]')).toMatch(/^Downloaded a3-studio-model\.zip/);
    expect(await page.$('[data-testid="ft-downloads"]')).toBeNull(); // the three-link fallback only when the bundle fails

    await page.setInputFiles(
      '[data-testid="ft-import"]',
      Object.entries(entries).map(([name, bytes]) => ({ name: name.split('/')[1], mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })),
    );
    await page.waitForFunction(() => document.querySelector('[data-testid="active-weights-a3"]')?.textContent === 'weights: imported model.safetensors', null, { timeout: WAIT_MS });
    expect(await page.$('[data-testid="errors-finetune"]')).toBeNull();

    const runs = await page.$$('[data-testid="checkpoint-run"]');
    const firstRunSection = `[data-testid="checkpoint-run"]:has-text("run ${firstRun.short}")`;
    await page.click(`${firstRunSection} [data-testid="checkpoint-delete-run"]`);
    expect(await page.$$('[data-testid="checkpoint-run"]')).toHaveLength(runs.length); // asked, not deleted
    await page.click(`${firstRunSection} [data-testid="checkpoint-delete-run-confirm"]`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="checkpoint-run"]').length === n - 1, runs.length, { timeout: WAIT_MS });
    expect(await page.$(firstRunSection)).toBeNull();
    expect(errors).toEqual([]);
  }, APP_TEST_MS);
});

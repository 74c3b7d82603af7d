/**
 * What a new user hit in the notebook (issue 14), in headless Chromium on the production build: the first
 * screen reaches Run without scrolling past theory; the page says plainly that the model is tiny; non-ASCII
 * text (curly quotes, dashes, accents, emoji, CJK) shows whole in the Result, the replay strip and Inspect;
 * every numeric field takes typing by keyboard (Backspace-then-type, clearing, top-p) and checks on commit;
 * the replay's hover read-out stays; [__?__] says the length it chose; the template is checked live (one message,
 * a token counter, gaps-only templates run, stale results dimmed); a template longer than the context decodes
 * the window around its gap and says which part was kept; Compare shows a shared error once;
 * layer and head are numbered like the headings; Ctrl+Enter runs, arrow keys step the replay, errors sit
 * next to the control that caused them; a refused upload blocks Start; on a 390 px phone the views fit and
 * the Compare table scrolls; webgl on a software renderer is not labelled "[GPU]". Every wait is for an
 * event, with a generous ceiling.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TEST_MS, WAIT_MS, waitDisabled } from './browser';
import { openApp, type AppServer, type AppSession } from './app/server';

/** Waits until the notebook has a model and an enabled Run button. */
async function ready(page: Page) {
  await page.waitForFunction(
    () => {
      const run = document.querySelector<HTMLButtonElement>('[data-testid="infill-run"]');
      return document.querySelector('[data-testid="model-status"]')?.getAttribute('data-status') === 'loaded' && run !== null && !run.disabled;
    },
    null,
    { timeout: WAIT_MS },
  );
}

/** Runs the playground and waits for this run's result (the export link changes with every result). */
async function runInfill(page: Page, how: 'click' | 'ctrl-enter' = 'click') {
  const before = await page.$eval('[data-testid="infill-export"]', (a) => a.getAttribute('href')).catch(() => null);
  if (how === 'click') await page.click('[data-testid="infill-run"]');
  else await page.press('[data-testid="infill-text"]', 'Control+Enter');
  await page.waitForFunction(
    (prev) => {
      const href = document.querySelector('[data-testid="infill-export"]')?.getAttribute('href');
      return href != null && href !== prev && document.querySelector('#cell-infill')?.getAttribute('data-state') === 'done';
    },
    before,
    { timeout: WAIT_MS },
  );
}

/** The exported trace of the result on screen (what the worker decoded). */
async function exportedTrace(page: Page): Promise<{ text: string; trace: { tokens: number[]; given: boolean[]; generated: number } }> {
  const href = (await page.getAttribute('[data-testid="infill-export"]', 'href')) ?? '';
  return JSON.parse(decodeURIComponent(href.slice(href.indexOf(',') + 1)));
}

/** Types into a field by keyboard as a person does: End, Backspace over what is there, the new value, then `commit`. */
async function retype(page: Page, testId: string, value: string, commit: 'Enter' | 'Tab' = 'Enter') {
  const sel = `[data-testid="${testId}"]`;
  await page.click(sel);
  await page.press(sel, 'End');
  const old = await page.inputValue(sel);
  for (let i = 0; i < old.length; i++) await page.press(sel, 'Backspace');
  if (value) await page.keyboard.type(value);
  await page.press(sel, commit);
}

describe('A notebook people can trust (production build, headless Chromium)', () => {
  let session: AppSession | undefined;
  let app: AppServer | undefined;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    session = await openApp();
    ({ app, page, errors } = session);
    await ready(page);
  }, APP_TEST_MS);

  afterAll(async () => {
    await session?.close();
  }, 60_000);

  it('first screen: "start here", Run without scrolling, theory and backend detail collapsed; the tiny-model note next to Run', async () => {
    expect(await page.isVisible('[data-testid="start-here"]')).toBe(true);
    const viewport = page.viewportSize();
    const run = await page.locator('[data-testid="infill-run"]').boundingBox();
    expect(run).not.toBeNull();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect((run?.y ?? Infinity) + (run?.height ?? 0)).toBeLessThanOrEqual(viewport?.height ?? 0);
    expect(await page.getAttribute('[data-testid="explain-infill"]', 'aria-expanded')).toBe('false');
    expect(await page.$('#cell-infill .explain')).toBeNull();
    expect(await page.$eval('[data-testid="backend-details"]', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await page.isVisible('[data-testid="backend"]')).toBe(true);

    const note = page.locator('[data-testid="expectations"]');
    const text = (await note.textContent()) ?? '';
    expect(text).toMatch(/Expect nonsense often/);
    expect(text).toMatch(/tiny model — [\d.]+ [Mk] parameters \(\d+ layers, width \d+, a context of \d+ tokens\)/);
    await page.waitForFunction(() => /[\d.]+ M tokens of public-domain/.test(document.querySelector('[data-testid="expectations"]')?.textContent ?? ''), null, { timeout: WAIT_MS });
    const box = await note.boundingBox();
    expect((box?.y ?? Infinity) - ((run?.y ?? 0) + (run?.height ?? 0))).toBeLessThan(200); // right under Run
    const figure = await page.request.get(new URL((await page.getAttribute('[data-testid="expectations-figure"]', 'href')) ?? '', page.url()).toString());
    expect(figure.status()).toBe(200);
    expect(figure.headers()['content-type']).toMatch(/svg/);
  }, APP_TEST_MS);

  it('non-ASCII: the Result, the replay strip and step details show the text as decoded; Inspect too', async () => {
    const prefix = 'It’s a “quiet” morning — she said';
    const suffix = ' Café, 😀 and 中文.';
    await page.fill('[data-testid="infill-text"]', `${prefix} [__4__]${suffix}`);
    await runInfill(page);
    const out = (await page.textContent('[data-testid="infill-output"]')) ?? '';
    expect(out.startsWith(prefix)).toBe(true);
    expect(out.endsWith(suffix)).toBe(true);
    expect(out).toBe((await exportedTrace(page)).text);
    const given = await page.$$eval('#cell-infill [data-view="token-strip"] g.chip[data-state="given"] text', (ts) => ts.map((t) => t.textContent ?? ''));
    expect(given.join('')).not.toContain('\ufffd');
    expect(given.join('')).toContain('’');
    expect(given.join('')).toContain('中');

    // The hover read-out stays while the pointer rests on a chip (the re-render its hover causes used to wipe it).
    await page.hover('#cell-infill [data-view="token-strip"] g.chip[data-state="given"]');
    const readout = '#cell-infill [data-view="token-strip"] text.readout';
    await page.waitForFunction((sel) => /position \d+/.test(document.querySelector(sel)?.textContent ?? ''), readout, { timeout: WAIT_MS });
    await page.evaluate(() => new Promise<void>((done) => {
      let n = 0;
      const tick = () => (++n >= 10 ? done() : requestAnimationFrame(tick));
      requestAnimationFrame(tick);
    }));
    expect(await page.textContent(readout)).toMatch(/position \d+ · given/);
    await page.mouse.move(0, 0);

    await page.fill('[data-testid="inspect-text"]', 'Café “quiet” 😀 中文');
    await page.click('[data-testid="inspect-run"]');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="attn-position"] option')].some((o) => o.textContent?.includes('é')),
      null,
      { timeout: WAIT_MS },
    );
    const options = await page.$$eval('[data-testid="attn-position"] option', (os) => os.map((o) => o.textContent ?? ''));
    expect(options.join(' ')).toContain('😀');
    expect(await page.textContent('#cell-inspect')).not.toContain('\ufffd');
  }, APP_TEST_MS);

  it('layer and head are numbered from 0 like the headings', async () => {
    const layers = await page.$$eval('[data-testid="attn-layer"] option', (os) => os.map((o) => o.textContent));
    expect(layers[0]).toBe('0');
    await page.selectOption('[data-testid="attn-layer"]', String(layers.length - 1));
    await page.selectOption('[data-testid="attn-head"]', '1');
    await page.waitForFunction(
      (l) => (document.querySelector('#cell-inspect [data-view="attention-map"]')?.textContent ?? '').includes(`layer ${l}, head 1`),
      layers.length - 1,
      { timeout: WAIT_MS },
    );
  }, APP_TEST_MS);

  it('every numeric field takes keyboard typing, checks on commit, and Run waits while one is invalid', async () => {
    const url = () => new URL(page.url()).searchParams;
    const fields: [strategy: string, id: string, value: string, key: string][] = [
      ['groupwise', 'pg-s', '3', 's'],
      ['dynamic', 'pg-k', '3', 'k'],
      ['speculative', 'pg-draft', '3', 'draft'],
      ['diffusion', 'pg-steps', '12', 'steps'],
      ['diffusion', 'pg-block', '4', 'block'],
      ['groupwise', 'pg-temp', '0.7', 'temp'],
      ['groupwise', 'pg-topk', '40', 'topk'],
      ['groupwise', 'pg-topp', '0.9', 'topp'],
      ['groupwise', 'pg-seed', '7', 'seed'],
    ];
    for (const [strategy, id, value, key] of fields) {
      await page.check(`[data-testid="strategy-${strategy}"]`);
      await retype(page, id, value);
      expect(await page.inputValue(`[data-testid="${id}"]`), id).toBe(value);
      expect(await page.$(`[data-testid="${id}-error"]`), id).toBeNull();
      await page.waitForFunction(([k, v]) => new URL(location.href).searchParams.get(k) === v, [key, value], { timeout: WAIT_MS });
    }
    // Clearing is not 0: the field says so, Run waits, the last good value stays in force.
    await retype(page, 'pg-temp', '', 'Tab');
    expect(await page.textContent('[data-testid="pg-temp-error"]')).toBe('enter a number');
    await waitDisabled(page, '[data-testid="infill-run"]', true);
    expect(url().get('temp')).toBe('0.7');
    await retype(page, 'pg-s', '99');
    expect(await page.textContent('[data-testid="pg-s-error"]')).toBe('use 1 to 64');
    await retype(page, 'pg-temp', '1');
    await retype(page, 'pg-s', '2');
    await waitDisabled(page, '[data-testid="infill-run"]', false);

    // Inspect's plan fields.
    await page.check('[data-testid="plan-random"]');
    for (const [id, value] of [['plan-size', '3'], ['plan-seed', '5']] as const) {
      await retype(page, id, value);
      expect(await page.inputValue(`[data-testid="${id}"]`)).toBe(value);
    }
    await page.waitForFunction(() => new URL(location.href).searchParams.get('plan') === 'random:3:5', null, { timeout: WAIT_MS });
    await page.check('[data-testid="plan-explicit"]');
    await retype(page, 'plan-brush', '2');
    expect(await page.inputValue('[data-testid="plan-brush"]')).toBe('2');
    await page.check('[data-testid="plan-left-to-right"]');

    // Fine-tune's fields, a custom plan's included; a negative learning rate is refused where it was typed.
    for (const [id, value] of [['ft-steps', '3'], ['ft-lr', '0.002'], ['ft-batch', '2'], ['ft-seed', '9']] as const) {
      await retype(page, id, value);
      expect(await page.inputValue(`[data-testid="${id}"]`), id).toBe(value);
      expect(await page.$(`[data-testid="${id}-error"]`), id).toBeNull();
    }
    await retype(page, 'ft-lr', '-1');
    expect(await page.textContent('[data-testid="ft-lr-error"]')).toMatch(/^use /);
    await waitDisabled(page, '[data-testid="ft-start"]', true);
    await retype(page, 'ft-lr', '0.001');
    await page.selectOption('[data-testid="ft-plan"]', 'custom');
    for (const [id, value] of [['ft-stage-0-steps', '5'], ['ft-stage-0-lr', '0.003'], ['ft-stage-1-size', '3']] as const) {
      await retype(page, id, value);
      expect(await page.inputValue(`[data-testid="${id}"]`), id).toBe(value);
    }
    await page.selectOption('[data-testid="ft-plan"]', 'stage:0');
    await waitDisabled(page, '[data-testid="ft-start"]', false);
  }, APP_TEST_MS);

  it('Ctrl+Enter runs, arrow keys step the replay, [__?__] says its length and why', async () => {
    await page.check('[data-testid="strategy-dynamic"]');
    // One token per forward: the shortest length [__?__] may choose (2) still gives a replay of several steps to walk.
    await retype(page, 'pg-k', '1');
    await page.fill('[data-testid="infill-text"]', 'Emma was very [__?__] and rich.');
    await runInfill(page, 'ctrl-enter');
    expect(await page.getAttribute('[data-testid="infill-result"]', 'data-strategy')).toBe('dynamic');
    const auto = page.locator('[data-testid="auto-length"]');
    const chosen = Number(await auto.getAttribute('data-lengths'));
    expect([2, 4, 6, 8, 12]).toContain(chosen);
    expect(await auto.textContent()).toMatch(new RegExp(`chose ${chosen} tokens[^]*most likely`));

    const step = async () => Number(await page.getAttribute('[data-testid="decode-step"]', 'data-step'));
    const last = await step();
    expect(last).toBeGreaterThan(0);
    await page.focus('[data-testid="replay"]');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid="decode-step"]')?.getAttribute('data-step')) === s, last - 1, { timeout: WAIT_MS });
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid="decode-step"]')?.getAttribute('data-step') === '0', null, { timeout: WAIT_MS });
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid="decode-step"]')?.getAttribute('data-step') === '1', null, { timeout: WAIT_MS });
  }, APP_TEST_MS);

  it('the template is checked live with the worker\'s rule: one message under it, a token counter, Run off; gaps only run; a stale result is dimmed', async () => {
    const line = '[data-testid="infill-template-line"]';
    const runOff = () => page.$eval('[data-testid="infill-run"]', (b) => (b as HTMLButtonElement).disabled);
    /** Types a template and waits for the line under it to react (the check runs on every edit). */
    const template = async (text: string, problem: boolean) => {
      await page.fill('[data-testid="infill-text"]', text);
      await page.waitForFunction(([sel, p]) => document.querySelector(sel)?.hasAttribute('data-problem') === p, [line, problem] as const, { timeout: WAIT_MS });
    };
    await template('Emma was [____] rich.', false);
    await runInfill(page);
    await template('Emma was [__0__] rich.', true);
    expect(await page.textContent(line)).toBe('gap "[__0__]" asks for 0 tokens: a gap needs at least one');
    expect(((await page.textContent('#cell-infill')) ?? '').split('asks for 0 tokens').length - 1).toBe(1);
    expect(await runOff()).toBe(true);
    // The result on screen is for another template: dimmed, and it says so.
    expect(await page.getAttribute('[data-testid="infill-result"]', 'data-stale')).toBe('true');

    await template('Emma was [__999__] rich.', true);
    expect(await page.textContent(line)).toMatch(/^the gap is 999 tokens, longer than the model's context of \d+: shorten the gap$/);
    expect(await runOff()).toBe(true);
    // Longer than the context is not refused: the line says which part the model reads (the next test runs one).
    await template('Emma Woodhouse, handsome, clever, and rich, had lived nearly twenty-one years in the world. '.repeat(12), false);
    const counter = page.locator('[data-testid="infill-token-count"]');
    expect(Number(await counter.getAttribute('data-tokens'))).toBeGreaterThan(Number(await counter.getAttribute('data-max')));
    expect(await counter.getAttribute('data-kept')).toBe(await counter.getAttribute('data-max'));
    expect(await counter.textContent()).toMatch(/^\d+ \/ \d+ tokens$/);
    expect(await page.textContent(line)).toMatch(/^Longer than the context: kept tokens \d+–\d+ of \d+/);
    expect(await runOff()).toBe(false);

    // Gaps only: no context, decoded unconditionally.
    await template('[____]', false);
    expect(await page.textContent(line)).toMatch(/Gaps found/);
    expect(await counter.textContent()).toMatch(/^8 \/ \d+ tokens$/);
    await runInfill(page);
    const { trace } = await exportedTrace(page);
    expect(trace.given.some((g) => g)).toBe(false);
    expect(trace.generated).toBe(8);
    expect(await page.getAttribute('[data-testid="infill-result"]', 'data-stale')).toBeNull();
    await template('Emma was [____] rich.', false);
    expect(await page.getAttribute('[data-testid="infill-result"]', 'data-stale')).toBe('true');
  }, APP_TEST_MS);

  it('a pasted template longer than the context: the window around the gap is decoded, the fill placed in the whole text, the kept part said', async () => {
    const side = 'It’s a “quiet” morning — café au lait, crème brûlée, 中文 and 😀 on the table. ';
    const before = `${side.repeat(4)}Then she said`;
    const after = ` and left the room. ${side.repeat(4)}`;
    await page.fill('[data-testid="infill-text"]', `${before} [__6__]${after}`);
    const line = '[data-testid="infill-template-line"]';
    await page.waitForFunction((sel) => /^Longer than the context: kept tokens/.test(document.querySelector(sel)?.textContent ?? ''), line, { timeout: WAIT_MS });
    const counter = page.locator('[data-testid="infill-token-count"]');
    const [tokens, max, kept] = await Promise.all(['data-tokens', 'data-max', 'data-kept'].map(async (a) => Number(await counter.getAttribute(a))));
    expect(tokens).toBeGreaterThan(max);
    expect(kept).toBe(max);
    expect(await counter.textContent()).toBe(`${tokens} / ${max} tokens`);

    await runInfill(page);
    const output = page.locator('[data-testid="infill-output"]');
    const out = (await output.textContent()) ?? '';
    expect(out.startsWith(before)).toBe(true);
    expect(out.endsWith(after)).toBe(true);
    expect(out).not.toContain('\ufffd');
    const fill = (await output.locator('mark').allTextContents()).join('');
    expect(fill.length).toBeGreaterThan(0);
    expect(out).toBe(`${before}${out.slice(before.length, out.length - after.length)}${after}`);
    // The left-out text is shown as written, marked as not seen by the model, on both sides of the window.
    const unseen = await output.locator('[data-unseen]').allTextContents();
    expect(unseen).toHaveLength(2);
    expect(before.startsWith(unseen[0]) && unseen[0].length > 0).toBe(true);
    expect(after.endsWith(unseen[1]) && unseen[1].length > 0).toBe(true);
    const note = (await page.textContent('[data-testid="infill-window-note"]')) ?? '';
    const m = /kept tokens (\d+)–(\d+) of (\d+): the text around the gaps; (\d+) tokens before and (\d+) after were left out/.exec(note);
    expect(m, note).not.toBeNull();
    const [first, last, total, left, right] = (m ?? []).slice(1).map(Number);
    expect([last - first + 1, total, left, right]).toEqual([max, tokens, first - 1, tokens - last]);
    // What the model decoded is the window: exactly its context, the 6-token gap inside.
    const { trace } = await exportedTrace(page);
    expect(trace.tokens).toHaveLength(max);
    expect(trace.generated).toBe(6);
    expect(errors).toEqual([]);
  }, APP_TEST_MS);

  it('Compare: one bad template is one message, not one per decoder', async () => {
    await page.fill('[data-testid="infill-text"]', 'Emma [__0__] rich.');
    await page.click('[data-testid="compare-run"]');
    await page.waitForSelector('#cell-compare[data-state="done"]', { timeout: WAIT_MS });
    const text = (await page.textContent('#cell-compare')) ?? '';
    expect(text.split('asks for 0 tokens').length - 1).toBe(1);
    expect(await page.textContent('[data-testid="errors-compare"]')).toMatch(/decoders failed: gap "\[__0__\]" asks for 0 tokens/);
  }, APP_TEST_MS);

  it('errors sit next to their control: a bad import under the import button; a refused upload blocks Start', async () => {
    await page.setInputFiles('[data-testid="ft-import"]', [{ name: 'weights.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') }]);
    await page.waitForSelector('[data-testid="errors-finetune"]', { timeout: WAIT_MS });
    const button = await page.locator('label.file-button').boundingBox();
    const list = await page.locator('[data-testid="errors-finetune"]').boundingBox();
    const gap = (list?.y ?? 0) - ((button?.y ?? 0) + (button?.height ?? 0));
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(120);

    await page.setInputFiles('[data-testid="ft-upload"]', [{ name: 'tiny.txt', mimeType: 'text/plain', buffer: Buffer.from('far too short to train on') }]);
    await page.waitForSelector('[data-testid="ft-upload-error"]', { timeout: WAIT_MS });
    await waitDisabled(page, '[data-testid="ft-start"]', true);
    expect(await page.textContent('[data-testid="ft-start-blocked"]')).toMatch(/upload was refused/);
    expect(await page.textContent('[data-testid="ft-state"]')).toBe('idle');
    await page.check('[data-testid="ft-sample"]');
    await waitDisabled(page, '[data-testid="ft-start"]', false);
    expect(errors).toEqual([]);
  }, APP_TEST_MS);

  it('a 390 px phone: the views are drawn for the width they have, and the Compare table scrolls', async () => {
    const phone = await page.context().newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${app?.url}/?s=2`, { waitUntil: 'load', timeout: WAIT_MS });
      await ready(phone);
      await runInfill(phone);
      await phone.click('[data-testid="compare-run"]');
      await phone.waitForSelector('#cell-compare[data-state="done"]', { timeout: WAIT_MS });
      await phone.waitForSelector('#cell-inspect [data-view="attention-map"] svg', { timeout: WAIT_MS });
      const views = await phone.$$eval('[data-view] svg', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const view = svg.closest('[data-view]') as HTMLElement;
          return { view: view.getAttribute('data-view'), drawn: Number(svg.getAttribute('width')), shown: box.width, room: view.clientWidth };
        }),
      );
      expect(views.length).toBeGreaterThanOrEqual(5);
      console.log(`phone views: ${views.map((v) => `${v.view} ${v.drawn}/${v.room}`).join(', ')}`);
      for (const v of views) {
        expect(Math.abs(v.shown - v.drawn), `${v.view} is scaled`).toBeLessThan(1);
        expect(v.drawn, `${v.view} is wider than the phone`).toBeLessThanOrEqual(v.room + 1);
      }
      const scroll = await phone.$eval('[data-testid="compare-scroll"]', (el) => ({ overflow: getComputedStyle(el).overflowX, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
      expect(scroll.overflow).toBe('auto');
      expect(scroll.scrollWidth).toBeGreaterThan(scroll.clientWidth);
      // Scrolled to the end, the last column is on screen, not cut off by the cell.
      await phone.$eval('[data-testid="compare-scroll"]', (el) => el.scrollTo({ left: el.scrollWidth }));
      const lastHeader = await phone.locator('[data-testid="compare-table"] th').last().boundingBox();
      expect((lastHeader?.x ?? Infinity) + (lastHeader?.width ?? 0)).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
  }, APP_TEST_MS);

  it('webgl forced on a software renderer is not labelled "[GPU]"', async () => {
    const gl = await page.context().newPage();
    try {
      await gl.goto(`${app?.url}/?backend=webgl`, { waitUntil: 'load', timeout: WAIT_MS });
      await gl.waitForFunction(() => !/probing/.test(document.querySelector('[data-testid="backend"]')?.textContent ?? 'probing'), null, { timeout: WAIT_MS });
      const backend = await gl.textContent('[data-testid="backend"]');
      const reason = (await gl.textContent('[data-testid="backend-reason"]')) ?? '';
      console.log(`?backend=webgl: ${backend} — ${reason}`);
      expect(backend).toBe('webgl');
      expect(reason).not.toContain('[GPU]');
      expect(reason).toMatch(/^webgl \[software renderer \w+: slow\]: requested/);
    } finally {
      await gl.close();
    }
  }, APP_TEST_MS);
});

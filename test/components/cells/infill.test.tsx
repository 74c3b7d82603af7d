// @vitest-environment jsdom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { CompareCell } from '@/components/cells/CompareCell';
import { InfillCell } from '@/components/cells/InfillCell';
import { templateLengthLimit } from '@/lib/a3/config';
import { checkTemplate } from '@/lib/a3/decode/infill';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { fakeDecodeResult } from '../../store/fake-decode';
import { booted, mount } from './harness';

const q = (div: HTMLElement, id: string) => div.querySelector(`[data-testid="${id}"]`);
const click = (div: HTMLElement, id: string) => act(async () => (q(div, id) as HTMLElement).click());
const chips = (div: HTMLElement, state: string) => div.querySelectorAll(`[data-view="token-strip"] g.chip[data-state="${state}"]`).length;
/** Sets a controlled input's value the way a user does (React listens to the native input event). */
function type(el: HTMLInputElement | HTMLTextAreaElement, value: string) {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}
/** Waits (event loop turns inside act) until `done()` holds; a generous ceiling, never a fixed sleep. */
async function until(done: () => boolean, ceilingMs = 20_000) {
  const end = Date.now() + ceilingMs;
  while (!done()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await act(async () => new Promise((r) => setTimeout(r, 20)));
  }
}
/** Types into a number field and commits it with Enter, as a user does. */
function typeAndCommit(el: HTMLInputElement, value: string) {
  type(el, value);
  el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
}

describe('InfillCell (jsdom)', () => {
  it('runs the default template, shows text, stats and the trace, and replays step by step', async () => {
    const { store, sent } = await booted('?s=1');
    const div = await mount(store, <InfillCell index={2} />);
    expect((q(div, 'infill-text') as HTMLTextAreaElement).value).toMatch(/Once upon a time, \[____\]/);
    expect(div.querySelector('.cell-number')?.textContent).toBe('2');
    // Said once, next to Run: the model is tiny (its size from the loaded config) and often writes nonsense.
    const expect1 = q(div, 'expectations')!;
    expect(expect1.textContent).toMatch(/Expect nonsense often/);
    expect(expect1.textContent).toMatch(/tiny model — 1\.05 M parameters \(4 layers, width 128, a context of 128 tokens\)/);
    expect(q(div, 'expectations-figure')?.getAttribute('href')).toBe('/figures/quality-vs-forwards.svg');
    expect(div.querySelectorAll('[data-testid="expectations"]')).toHaveLength(1);
    await click(div, 'infill-run');
    expect(sent.filter((c) => c.type === 'decode')).toHaveLength(1);
    expect(q(div, 'infill-output')?.textContent).toBe('Once upon a time there was a cat.');
    expect(q(div, 'infill-output')?.querySelectorAll('mark')).toHaveLength(1);
    const stats = q(div, 'decode-stats')!;
    expect(stats.getAttribute('data-nfe')).toBe('4');
    expect(stats.textContent).toMatch(/NFE 4/);
    expect(stats.textContent).toMatch(/tokens\/s/);
    for (const v of ['token-strip', 'commit-timeline', 'group-order']) expect(div.querySelector(`[data-view="${v}"] svg`)).not.toBeNull();
    // The masks are collapsed: no matrix drawn until opened.
    expect(div.querySelector('[data-view="mask-matrix"]')).toBeNull();

    // Last step: every open position committed, one just now.
    const step = () => q(div, 'decode-step')!;
    expect(step().getAttribute('data-step')).toBe('3');
    expect([chips(div, 'open'), chips(div, 'current'), chips(div, 'earlier'), chips(div, 'given')]).toEqual([0, 1, 3, 5]);
    await click(div, 'decode-first');
    expect(step().getAttribute('data-step')).toBe('0');
    expect([chips(div, 'open'), chips(div, 'current'), chips(div, 'earlier')]).toEqual([3, 1, 0]);
    expect(div.querySelector('[data-view="commit-timeline"] g.row-label[aria-current="step"]')?.getAttribute('data-step')).toBe('0');
    await click(div, 'decode-next');
    expect([chips(div, 'open'), chips(div, 'current'), chips(div, 'earlier')]).toEqual([2, 1, 1]);
    expect(step().getAttribute('data-open')).toBe('2');
    await click(div, 'decode-prev');
    expect(step().getAttribute('data-step')).toBe('0');
    // Clicking a timeline row jumps there.
    await act(async () => {
      div.querySelector('[data-view="commit-timeline"] g.row-label[data-step="2"]')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    });
    expect(step().getAttribute('data-step')).toBe('2');
    // Per-step details: the committed token with p and entropy, the candidates of positions predicted.
    const details = q(div, 'step-details')!;
    expect(details.getAttribute('data-committed')).toBe('1');
    expect(details.textContent).toMatch(/Step 3/);
    expect(details.textContent).toMatch(/␣?a/);
    expect(details.textContent).toMatch(/1\.25 nats/);
    expect(q(div, 'step-candidates')?.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(q(div, 'step-candidates')?.textContent).toMatch(/#7/); // no page tokenizer here: ids
    // Play runs to the end on its own.
    await act(async () => store.getState().setDecodeSpeed(8));
    await click(div, 'decode-play');
    expect(store.getState().decode.playing).toBe(true);
    expect(step().getAttribute('data-step')).toBe('2');
    await until(() => !store.getState().decode.playing);
    expect(step().getAttribute('data-step')).toBe('3');
    // Masks on demand; export is a JSON download of request + trace.
    await act(async () => {
      const d = div.querySelector('details.masks') as HTMLDetailsElement;
      d.open = true;
      d.dispatchEvent(new Event('toggle'));
    });
    expect(div.querySelector('[data-view="mask-matrix"] svg')).not.toBeNull();
    const href = q(div, 'infill-export')!.getAttribute('href')!;
    const json = JSON.parse(decodeURIComponent(href.slice(href.indexOf(',') + 1)));
    expect(json.trace.nfe).toBe(4);
    expect(json.request).toMatchObject({ strategy: 'groupwise', groupSize: 1 });
  });

  it('knobs write the playground; AR preset; mark selection as gap; errors inline', async () => {
    const { store, sent } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    await click(div, 'strategy-dynamic');
    expect(store.getState().playground.strategy).toBe('dynamic');
    await act(async () => type(q(div, 'pg-k') as HTMLInputElement, '3'));
    expect(store.getState().playground.k).toBe(2); // nothing is taken while typing
    await act(async () => typeAndCommit(q(div, 'pg-k') as HTMLInputElement, '3'));
    expect(store.getState().playground.k).toBe(3);
    await click(div, 'preset-ar');
    // The AR preset is the real left-to-right model (the base model, loaded on first use), not A3 with s = 1.
    expect(store.getState().playground.strategy).toBe('ar');
    expect(q(div, 'preset-ar')?.getAttribute('aria-pressed')).toBe('true');
    expect(q(div, 'strategy-note')?.textContent).toMatch(/without seeing the text after it/);
    expect(q(div, 'pg-s')).toBeNull(); // no group size: AR has no knobs of its own
    expect(q(div, 'base-status')?.textContent).toMatch(/loaded on the first run/);
    expect((q(div, 'infill-run') as HTMLButtonElement).disabled).toBe(false);
    await click(div, 'infill-run');
    await until(() => store.getState().decode.status === 'done');
    expect(sent.filter((c) => c.type === 'decode').at(-1)).toMatchObject({ kind: 'base', request: { strategy: 'ar' } });
    expect(q(div, 'base-status')?.getAttribute('data-status')).toBe('loaded');
    expect(q(div, 'decode-stats')?.textContent).toMatch(/on the base \(left-to-right\) model/);
    expect(q(div, 'decode-stats')?.textContent).toMatch(/AR left to right, T = 1/); // the registry's words for the request

    const ta = q(div, 'infill-text') as HTMLTextAreaElement;
    await act(async () => type(ta, 'The cat sat on the mat.'));
    expect(div.textContent).toMatch(/No gap: the model continues/);
    ta.setSelectionRange(4, 11); // "cat sat": no page tokenizer, ~4 characters a token
    await click(div, 'infill-mark-gap');
    expect(store.getState().playground.text).toBe('The [__2__] on the mat.');
    expect(div.textContent).toMatch(/Gaps found/);

    await act(async () => type(ta, 'no gap here'));
    await click(div, 'infill-run');
    // One message, in one place: next to the Run button that caused it.
    expect(q(div, 'errors-infill')?.textContent).toMatch(/no open position/);
    expect(div.textContent!.split('there is no open position to fill').length - 1).toBe(1);
    expect(q(div, 'errors-infill')?.previousElementSibling?.contains(q(div, 'infill-run'))).toBe(true); // the row with Run
    expect(div.querySelector('section.cell')?.getAttribute('data-state')).toBe('error');
  });

  it('checks the template live with the worker\'s rule (one message, one place), counts tokens, dims a stale result, runs a gap-only template', async () => {
    const { store, sent } = await booted();
    const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync(join(__dirname, '../../../public/weights/tokenizer.json'), 'utf8')));
    store.setState({ tokenizer });
    const div = await mount(store, <InfillCell index={2} />);
    const ta = q(div, 'infill-text') as HTMLTextAreaElement;
    const line = () => q(div, 'infill-template-line')!;
    const runButton = () => q(div, 'infill-run') as HTMLButtonElement;
    const count = () => q(div, 'infill-token-count')!;
    // The counter: prompt plus gaps against the loaded model's context (128 tokens).
    const text = store.getState().playground.text;
    expect(count().textContent).toBe(`${checkTemplate({ text }, tokenizer, 128).tokens} / 128 tokens`);
    await click(div, 'infill-run');
    expect(q(div, 'infill-result')?.hasAttribute('data-stale')).toBe(false);

    // Templates Run would refuse: the worker's own message under the template, once, and Run is off.
    const long = 'The cat sat on the mat and looked at the dog. '.repeat(20);
    for (const bad of ['The cat [__0__] sat.', 'The cat [__999__] sat.', `[__70__] ${long} [__70__]`]) {
      await act(async () => type(ta, bad));
      const problem = checkTemplate({ text: bad }, tokenizer, 128).problem ?? '';
      expect(problem).not.toBe('');
      expect(line().textContent).toBe(problem);
      expect(line().hasAttribute('data-problem')).toBe(true);
      expect(div.textContent!.split(problem).length - 1).toBe(1);
      expect(div.textContent).not.toMatch(/Gaps found/);
      expect(runButton().disabled).toBe(true);
      expect(ta.getAttribute('aria-invalid')).toBe('true');
      // The earlier result answers another template: dimmed, and it says so.
      expect(q(div, 'infill-result')?.getAttribute('data-stale')).toBe('true');
      expect(q(div, 'infill-stale')?.textContent).toMatch(/for an earlier template/);
    }
    expect(Number(count().getAttribute('data-tokens'))).toBeGreaterThan(128);
    expect(sent.filter((c) => c.type === 'decode')).toHaveLength(1);

    // Longer than the context, gaps that fit: it runs, and the line says which part the model reads.
    await act(async () => type(ta, `${long}[____] ${long}`));
    const kept = checkTemplate({ text: `${long}[____] ${long}`, strategy: 'groupwise' }, tokenizer, 128);
    expect(kept.problem).toBeNull();
    expect(line().hasAttribute('data-problem')).toBe(false);
    expect(line().textContent).toMatch(/^Longer than the context: kept tokens \d+–\d+ of \d+: the text around the gaps; \d+ tokens before and \d+ after were left out/);
    expect(count().textContent).toBe(`${kept.tokens} / 128 tokens`);
    expect(count().getAttribute('data-kept')).toBe('128');
    expect(runButton().disabled).toBe(false);

    // Gaps only: accepted (decoded with no context), and the new result is current.
    await act(async () => type(ta, '[____]'));
    expect(line().textContent).toMatch(/Gaps found/);
    expect(count().textContent).toBe('8 / 128 tokens');
    expect(runButton().disabled).toBe(false);
    await click(div, 'infill-run');
    await until(() => store.getState().decode.status === 'done' && store.getState().decode.request?.text === '[____]');
    expect(q(div, 'infill-result')?.hasAttribute('data-stale')).toBe(false);

    // A run that fails leaves the last result dimmed under the one message.
    await act(async () => type(ta, 'no gap here'));
    await click(div, 'infill-run');
    await until(() => store.getState().decode.status === 'error');
    expect(div.textContent!.split('there is no open position to fill').length - 1).toBe(1);
    expect(q(div, 'infill-result')?.getAttribute('data-stale')).toBe('true');
    expect(q(div, 'infill-stale')?.textContent).toMatch(/last run failed/);
  });

  it('[__?__] on AR or diffusion: the worker\'s refusal shows under the template as it is typed, and Run waits', async () => {
    const { store, sent } = await booted();
    const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync(join(__dirname, '../../../public/weights/tokenizer.json'), 'utf8')));
    store.setState({ tokenizer });
    const div = await mount(store, <InfillCell index={2} />);
    await act(async () => type(q(div, 'infill-text') as HTMLTextAreaElement, 'The cat [__?__] sat.'));
    const line = () => q(div, 'infill-template-line')!;
    const runButton = () => q(div, 'infill-run') as HTMLButtonElement;
    expect(line().hasAttribute('data-problem')).toBe(false);
    for (const strategy of ['ar', 'diffusion'] as const) {
      await click(div, `strategy-${strategy}`);
      const problem = checkTemplate({ text: 'The cat [__?__] sat.', strategy }, tokenizer, 128).problem ?? '';
      expect(problem).toMatch(/cannot choose a gap length/);
      expect(line().textContent).toBe(problem);
      expect(runButton().disabled).toBe(true);
    }
    // Back on an A3 strategy the same template runs.
    await click(div, 'strategy-groupwise');
    expect(line().hasAttribute('data-problem')).toBe(false);
    expect(runButton().disabled).toBe(false);
    expect(sent.filter((c) => c.type === 'decode')).toHaveLength(0);
  });

  it('AR and diffusion before their models load: the counter and the window hint use the A3 model\'s context', async () => {
    const { store } = await booted();
    const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync(join(__dirname, '../../../public/weights/tokenizer.json'), 'utf8')));
    store.setState({ tokenizer });
    const div = await mount(store, <InfillCell index={2} />);
    const long = 'The cat sat on the mat and looked at the dog. '.repeat(20);
    await act(async () => type(q(div, 'infill-text') as HTMLTextAreaElement, `${long}[____] ${long}`));
    for (const strategy of ['ar', 'diffusion'] as const) {
      await click(div, `strategy-${strategy}`);
      expect(store.getState().models[strategy === 'ar' ? 'base' : 'mdlm'].info).toBeNull();
      const check = checkTemplate({ text: `${long}[____] ${long}`, strategy }, tokenizer, 128);
      expect(q(div, 'infill-token-count')?.textContent).toBe(`${check.tokens} / 128 tokens`);
      expect(q(div, 'infill-template-line')?.textContent).toMatch(/^Longer than the context: kept tokens/);
    }
  });

  it('a template may be many contexts long; past the box\'s limit the rest is left out with a message, not silently', async () => {
    const { store } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    const ta = q(div, 'infill-text') as HTMLTextAreaElement;
    const limit = templateLengthLimit({ maxLen: 128 });
    // Generous: many times what the context reads, since a long template is decoded in a window.
    expect(limit).toBeGreaterThanOrEqual(16 * 4 * 128);
    const fits = `${'x'.repeat(limit - 6)}[____]`;
    await act(async () => type(ta, fits));
    expect(store.getState().playground.text).toBe(fits);
    expect(q(div, 'infill-text-cut')).toBeNull();
    await act(async () => type(ta, `${fits}${'y'.repeat(25)}`));
    expect(store.getState().playground.text).toBe(fits);
    expect(q(div, 'infill-text-cut')?.textContent).toBe(`The template takes at most ${limit} characters: the last 25 were left out.`);
    // The next edit within the limit clears the message.
    await act(async () => type(ta, 'The cat [____] sat.'));
    expect(q(div, 'infill-text-cut')).toBeNull();
  });

  it('speculative: draft-size knob, accepted tokens per forward, draft steps that commit nothing replay gracefully', async () => {
    const { store, sent } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    await click(div, 'strategy-speculative');
    expect(store.getState().playground.strategy).toBe('speculative');
    expect(q(div, 'strategy-note')?.textContent).toMatch(/exactly/);
    await act(async () => typeAndCommit(q(div, 'pg-draft') as HTMLInputElement, '3'));
    expect(store.getState().playground.draft).toBe(3);
    // Out of range: the field keeps what was typed, says why, and Run waits; nothing runs with a value the field does not show.
    await act(async () => typeAndCommit(q(div, 'pg-draft') as HTMLInputElement, '999'));
    expect(store.getState().playground.draft).toBe(3);
    expect((q(div, 'pg-draft') as HTMLInputElement).value).toBe('999');
    expect(q(div, 'pg-draft-error')?.textContent).toBe('use 1 to 64');
    expect((q(div, 'infill-run') as HTMLButtonElement).disabled).toBe(true);
    await act(async () => typeAndCommit(q(div, 'pg-draft') as HTMLInputElement, '3'));
    expect(q(div, 'pg-draft-error')).toBeNull();
    expect((q(div, 'infill-run') as HTMLButtonElement).disabled).toBe(false);
    await click(div, 'infill-run');
    expect(sent.filter((c) => c.type === 'decode').at(-1)).toMatchObject({ kind: 'a3', request: { strategy: 'speculative', draft: 3 } });
    expect(q(div, 'infill-output')?.textContent).toBe('Once upon a time there was a cat.');
    // Rounds: draft 3 → keep 2 (a rejection), draft 2 → keep 2: 4 forwards for 4 tokens.
    expect(q(div, 'decode-stats')?.getAttribute('data-nfe')).toBe('4');
    expect(q(div, 'decode-stats')?.textContent).toMatch(/speculative D = 3/);
    const acc = q(div, 'decode-accepted')!;
    expect(acc.getAttribute('data-accepted-per-forward')).toBe('1');
    expect(acc.getAttribute('data-rounds')).toBe('2');
    expect(acc.textContent).toMatch(/1\.00 accepted tokens per forward/);
    const labels = [...div.querySelectorAll('[data-view="commit-timeline"] g.row-label')].map((g) => g.getAttribute('data-kind'));
    expect(labels).toEqual(['draft', 'verify', 'draft', 'verify']);
    // The first step is a draft: nothing committed, the drafted positions listed, no committed table.
    await click(div, 'decode-first');
    const details = q(div, 'step-details')!;
    expect(details.getAttribute('data-kind')).toBe('draft');
    expect(details.getAttribute('data-committed')).toBe('0');
    expect(details.textContent).toMatch(/committed nothing/);
    expect(details.textContent).toMatch(/proposed 3 tokens in parallel/);
    expect(q(div, 'step-candidates')?.textContent).toMatch(/drafted/);
    // The drafted tokens themselves, with what verification made of each: 1 accepted, the 2nd rejected (resampled), the 3rd discarded.
    const drafted = q(div, 'step-drafted')!;
    expect([...drafted.querySelectorAll('tbody tr')].map((r) => r.getAttribute('data-outcome'))).toEqual(['accepted', 'rejected', 'discarded']);
    expect(drafted.textContent).toMatch(/#104/); // the drafted token (ids: no page tokenizer here)
    expect(drafted.textContent).toMatch(/resampled from the corrected distribution/);
    expect(q(div, 'decode-step')?.textContent).toMatch(/0 just committed, 0 earlier, 4 still open/);
    expect(chips(div, 'current')).toBe(0);
    expect(div.querySelector('[data-view="commit-timeline"] g.row-label[aria-current="step"] text')?.textContent).toBe('▶ draft 1');
    await click(div, 'decode-next');
    expect(q(div, 'step-details')?.textContent).toMatch(/checked 3 drafts in one forward and kept 2/);
    expect([chips(div, 'open'), chips(div, 'current'), chips(div, 'earlier')]).toEqual([2, 2, 0]);
    await click(div, 'decode-next');
    expect([chips(div, 'open'), chips(div, 'current'), chips(div, 'earlier')]).toEqual([2, 0, 2]);
    expect(q(div, 'step-details')?.textContent).toMatch(/proposed 2 tokens/);
    // Play through the draft steps to the end.
    await act(async () => store.getState().setDecodeSpeed(8));
    await click(div, 'decode-first');
    await click(div, 'decode-play');
    await until(() => !store.getState().decode.playing);
    expect(store.getState().decode).toMatchObject({ playing: false, step: 3 });
    expect(q(div, 'infill-export')?.getAttribute('download')).toBe('a3-trace-speculative.json');
  });

  it('diffusion: knobs (steps, block length, remasking) from the URL, runs on the MDLM model, explains the bound', async () => {
    const { store, sent } = await booted('?strategy=diffusion&steps=4&block=2&remask=random', { base: [[2048, 128]], mdlm: [[2048, 128]] });
    const div = await mount(store, <InfillCell index={2} />);
    expect((q(div, 'strategy-diffusion') as HTMLInputElement).checked).toBe(true);
    expect((q(div, 'pg-steps') as HTMLInputElement).value).toBe('4');
    expect((q(div, 'pg-block') as HTMLInputElement).value).toBe('2');
    expect((q(div, 'pg-remask') as HTMLSelectElement).value).toBe('random');
    expect(q(div, 'strategy-note')?.textContent).toMatch(/only a bound/);
    expect(q(div, 'strategy-note')?.textContent).toMatch(/recomputes the whole sequence/);
    await act(async () => typeAndCommit(q(div, 'pg-steps') as HTMLInputElement, '6'));
    expect(store.getState().playground.steps).toBe(6);
    expect(q(div, 'mdlm-status')?.getAttribute('data-status')).toBe('idle');
    await click(div, 'infill-run');
    expect(sent.filter((c) => c.type === 'load').at(-1)).toMatchObject({ kind: 'mdlm', baseUrl: '/weights/mdlm/' });
    expect(sent.filter((c) => c.type === 'decode').at(-1)).toMatchObject({ kind: 'mdlm', request: { strategy: 'diffusion', steps: 6, blockLength: 2, remasking: 'random' } });
    expect(q(div, 'decode-stats')?.textContent).toMatch(/on the MDLM \(masked diffusion\) model/);
    expect(q(div, 'diffusion-note')?.textContent).toMatch(/only a bound/);
    expect(q(div, 'decode-accepted')).toBeNull();
    expect(div.querySelector('details.masks')).toBeNull();
  });
});

describe('CompareCell (jsdom)', () => {
  it('runs every decoder side by side with NFE, time and tokens/s; MDLM says it is not shipped', async () => {
    const { store } = await booted('?s=4&k=2');
    const div = await mount(store, <CompareCell index={3} />);
    await click(div, 'compare-run');
    const rows = div.querySelectorAll('[data-testid="compare-table"] tbody tr');
    expect(rows).toHaveLength(5);
    // The AR baseline is the base model's own left-to-right decoder; A3 left to right is its own row; each row names its model.
    expect(q(div, 'compare-ar')?.getAttribute('data-status')).toBe('done');
    expect(q(div, 'compare-ar')?.getAttribute('data-nfe')).toBe('4');
    expect(q(div, 'compare-ar')?.textContent).toMatch(/AR \(base model\), left to right.*only the text before each gap/);
    expect(q(div, 'compare-a3-l2r')?.getAttribute('data-nfe')).toBe('4');
    expect(q(div, 'compare-a3-l2r')?.textContent).toMatch(/A3 group-wise, s = 1, left-to-right/);
    const models = ['ar', 'a3-l2r', 'groupwise', 'dynamic', 'mdlm'].map((k) => q(div, `compare-model-${k}`)?.textContent);
    expect(models).toEqual(['base AR', 'A3', 'A3', 'A3', 'MDLM']);
    expect(q(div, 'compare-groupwise')?.getAttribute('data-nfe')).toBe('1');
    expect(q(div, 'compare-dynamic')?.getAttribute('data-nfe')).toBe('2');
    expect(q(div, 'compare-groupwise')?.textContent).toMatch(/tokens\/s|Once upon a time there was a cat\./);
    expect(q(div, 'compare-mdlm')?.getAttribute('data-status')).toBe('unavailable');
    expect(q(div, 'compare-mdlm')?.textContent).toMatch(/No MDLM weights are shipped/);
    expect(div.textContent).toMatch(/fastest/);
    // The A3 slot holds the base model here: the cell says so instead of implying A3 results.
    expect(q(div, 'compare-a3-note')?.textContent).toMatch(/not shipped yet/);
  });
});

describe('Compare and [__?__] say things once and plainly (jsdom)', () => {
  it('one bad template fails every row alike: the message is shown once, the rows point to it', async () => {
    const { store } = await booted('?text=no%20gap%20here');
    const div = await mount(store, <CompareCell index={3} />);
    await click(div, 'compare-run');
    const text = div.textContent ?? '';
    expect(text.split('there is no open position to fill').length - 1).toBe(1);
    expect(q(div, 'errors-compare')?.textContent).toMatch(/^\d decoders failed: there is no open position to fill$/);
    expect(q(div, 'compare-ar')?.textContent).toMatch(/see the error above/);
  });

  it('a trace’s notes (what the decoder ran differently from what was asked) show with the step details', async () => {
    const { store } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    const plain = fakeDecodeResult({ strategy: 'groupwise' });
    const result = { ...plain, trace: { ...plain.trace, notes: ['64 steps asked, 4 run: one per open position'] } };
    await act(async () => store.setState((s) => ({ decode: { ...s.decode, status: 'done', result, request: { text: 'Once upon a time [__4__].', strategy: 'groupwise' }, kind: 'a3', step: 0 } })));
    expect(q(div, 'trace-notes')?.textContent).toBe('64 steps asked, 4 run: one per open position');
    await click(div, 'decode-next');
    expect(q(div, 'trace-notes')?.textContent).toMatch(/4 run/);
  });

  it('[__?__]: the length the model chose, and why, with the score of each length tried', async () => {
    const { store } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    const result = { ...fakeDecodeResult({ strategy: 'groupwise' }), trials: [2, 4, 6].map((length) => ({ span: 0, length, logProbPerToken: length === 4 ? -2.5 : -3.5 })) };
    await act(async () =>
      store.setState((s) => ({ decode: { ...s.decode, status: 'done', result, request: { text: 'Once upon a time [__?__].', strategy: 'groupwise' }, kind: 'a3', step: 0 } })),
    );
    const auto = q(div, 'auto-length')!;
    expect(auto.getAttribute('data-lengths')).toBe('4');
    expect(auto.textContent).toMatch(/chose 4 tokens/);
    expect(auto.textContent).toMatch(/2: -3\.50, 4: -2\.50, 6: -3\.50 nats per token/);
    expect([...auto.querySelectorAll('[data-testid="auto-trial"][data-chosen="true"]')].map((t) => t.getAttribute('data-length'))).toEqual(['4']);
    expect(auto.textContent).toMatch(/highest log-probability per token/);
  });
});


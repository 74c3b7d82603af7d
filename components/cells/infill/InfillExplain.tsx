/** The Infill cell's explanation for learners: gaps, group-wise and dynamic decoding, speculative sampling, diffusion. */
import { DEFAULT_GAP_LENGTH } from '@/lib/a3/decode/gaps';

export function InfillExplain() {
  return (
    <>
      <p>
        Write a text and leave <b>gaps</b>: <code>[____]</code> is a gap of {DEFAULT_GAP_LENGTH} tokens, <code>[__6__]</code> one of exactly 6, and{' '}
        <code>[__?__]</code> lets the model choose the length it finds most likely. The model fills them using the words on <em>both</em> sides — something
        a left-to-right model cannot do. Without a gap, the text is continued by {DEFAULT_GAP_LENGTH} tokens.
      </p>
      <p>
        <b>Group-wise</b> fills the gaps s tokens per step in a fixed order (s = 1, left to right is an ordinary language model); <b>dynamic</b> looks at
        every open position each step and commits the k it is surest about. Each step is one pass of the network (one <b>NFE</b>): fewer steps are faster,
        but tokens of one step cannot see each other.
      </p>
      <p>
        <b>Speculative</b> sampling gets parallelism <em>without</em> that compromise: it drafts D tokens at once, then checks them against the model in one
        more forward and keeps them only as often as the model itself would have chosen them. The result is an exact sample from the model (as if written one
        token at a time); the replay alternates <em>draft</em> steps (which commit nothing) and <em>verify</em> steps.
      </p>
      <p>
        <b>Diffusion</b> is the masked-diffusion baseline (a separate MDLM model): every step re-reads the whole sequence from scratch, with no cache, and
        unmasks a few positions. Its training objective gives only a <em>bound</em> on the likelihood, not the exact probability an any-order model computes.
      </p>
    </>
  );
}

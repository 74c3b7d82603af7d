/**
 * The worker's decode entry: turns a page request (text with gaps, strategy,
 * knobs) into a call of the decoding engine and returns its trace as JSON.
 */
import type { A3Model } from '../a3/model';
import type { Tokenizer } from '../a3/tokenizer';

export async function runDecode(_model: A3Model, _tokenizer: Tokenizer, _request: unknown): Promise<unknown> {
  throw new Error('decoding is being wired in: lib/a3/decode is not merged yet');
}

/** The worker's decode entry: a page request through the decoding engine, answered as plain JSON. */
import type { A3Model } from '../a3/model';
import type { Tokenizer } from '../a3/tokenizer';
import { runDecodeRequest, type DecodeRequest, type DecodeResult } from '../a3/decode/request';

export function runDecode(model: A3Model, tokenizer: Tokenizer, request: unknown): Promise<DecodeResult> {
  return runDecodeRequest(model, tokenizer, request as DecodeRequest);
}

/**
 * The built-in fine-tuning text: where it is served, how it is described, and one fetch per page
 * (kept after the first success; a failed fetch is tried again next time). No tfjs, no React.
 */
export const SAMPLE_URL = '/data/sample.txt';
export const SAMPLE_LABEL = 'Jane Austen, Emma — opening chapters (100 KB, public domain)';

export interface SampleText {
  /** The text, fetched on the first call; throws a user-facing Error when it cannot be fetched. */
  get(): Promise<string>;
}

export function sampleText(url = SAMPLE_URL, fetchImpl: typeof fetch = (...a) => fetch(...a)): SampleText {
  let text: string | null = null;
  return {
    async get() {
      if (text !== null) return text;
      let res: Response;
      try {
        res = await fetchImpl(url);
      } catch (e) {
        throw new Error(`cannot fetch the sample text (${url}: ${e instanceof Error ? e.message : String(e)})`, { cause: e });
      }
      if (!res.ok) throw new Error(`cannot fetch the sample text (${url}: HTTP ${res.status})`);
      text = await res.text();
      return text;
    },
  };
}

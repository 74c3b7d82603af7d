/** Worker-thread entry of `npm run eval -- --workers N` (eval-workers.ts): loads the run's models once, then scores the items it is sent. */
import { parentHost } from '@/lib/train/parallel-node';
import { serveMessages, type Reply } from '@/lib/train/worker-pool';
import { loadTokenizer } from './data';
import { loadEvalModels, scoreItem, type ScoringContext } from './eval-scoring';
import type { FromScorer, ToScorer } from './eval-workers';
import { useNodeBackend } from './node-backend';

let context: ScoringContext | null = null;

async function handle(message: ToScorer): Promise<Reply<FromScorer>> {
  if (message.type === 'init') {
    const backend = await useNodeBackend(message.backend);
    context = { models: await loadEvalModels(message.models), tokenizer: loadTokenizer() };
    return { reply: { type: 'ready', backend } };
  }
  if (!context) throw new Error('asked to score before the models were loaded');
  return { reply: { type: 'scored', result: await scoreItem(context, message.task, message.item) } };
}

serveMessages(parentHost<FromScorer, ToScorer>(), handle, (_message, error): FromScorer => ({ type: 'failed', message: error }));

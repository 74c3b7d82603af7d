/** One-line progress for long runs; plain lines when stdout is a log file. */
import type { TrainEvent } from '@/lib/train/trainer';

function duration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

export function progressPrinter(every = 10): (e: TrainEvent) => void {
  return (e) => {
    if (e.type === 'step' && (e.step % every === 0 || e.step === e.steps)) {
      const width = 24;
      const filled = Math.round((width * e.step) / e.steps);
      const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
      console.log(
        `[${bar}] ${e.stage} step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} |g| ${e.gradNorm.toFixed(2)} ` +
          `${e.tokensPerSec.toFixed(0)} tok/s elapsed ${duration(e.elapsedSec)} eta ${duration(e.etaSec)}`,
      );
    } else if (e.type === 'eval') {
      console.log(`eval @${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
    } else if (e.type === 'skip') {
      console.warn(`WARNING step ${e.step}: ${e.reason}`);
    } else if (e.type === 'checkpoint') {
      console.log(`checkpoint @${e.step}`);
    } else if (e.type === 'done') {
      console.log(`done: ${e.reason} at step ${e.step}`);
    }
  };
}

/** `--name value` / `--flag` parsing for the scripts. */
export function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      args.set(a.slice(2), next);
      i++;
    } else args.set(a.slice(2), 'true');
  }
  return args;
}

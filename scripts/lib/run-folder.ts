/**
 * A long run's folder, `runs/<name>/` (issue 13, "Long runs"): the run's
 * flags (`run.json`), its trainer checkpoints and its results, committed so
 * that another session on another machine continues it bit-for-bit with one
 * command, `npm run <script> -- --resume runs/<name>`. Each process that
 * works on the run appends a segment (machine, steps, wall time), which ends
 * up in the shipped training.json.
 */
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ROOT } from './data';

/** Flags a resumed run may change: how long this session works on it and how many threads it uses. */
const PER_SESSION = new Set(['max-minutes', 'workers', 'resume', 'run']);

export interface RunSegment {
  started: string;
  machine: string;
  workers: number;
  /** Adaptation counts steps per stage: where the segment started and stopped. */
  fromStage?: string;
  fromStep: number;
  toStage?: string;
  toStep?: number;
  trainSec?: number;
}

interface RunFile {
  script: string;
  args: Record<string, string>;
  segments: RunSegment[];
}

export interface RunFolder {
  dir: string;
  /** Records this process's segment; `end` fills in where it stopped. */
  begin(fromStep: number, workers: number, stage?: string): void;
  /** `trainSec`: training wall time of this segment (evaluation included, as the trainer counts it). */
  end(toStep: number, trainSec: number, stage?: string): void;
  segments(): RunSegment[];
}

function machine(): string {
  const list = cpus();
  return `${list.length}-core ${list[0]?.model.trim() ?? 'CPU'}, Node ${process.versions.node}`;
}

/**
 * The script's effective flags. `--run NAME` starts runs/NAME (checkpoints and
 * results inside it); `--resume runs/NAME` reloads the flags it started with
 * (only --max-minutes and --workers may differ); anything else is returned as is.
 */
export function runFlags(script: string, argv: Map<string, string>, root = ROOT): { args: Map<string, string>; folder?: RunFolder } {
  const resumeDir = argv.get('resume');
  if (resumeDir && resumeDir !== 'true') {
    const dir = resolve(root, resumeDir);
    const file = join(dir, 'run.json');
    if (!existsSync(file)) throw new Error(`${resumeDir} has no run.json: not a run folder (start one with --run NAME)`);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    if (saved.script !== script) throw new Error(`${resumeDir} is a run of "${saved.script}", not "${script}"`);
    const args = new Map(Object.entries(saved.args));
    for (const [k, v] of argv) if (PER_SESSION.has(k)) args.set(k, v);
    args.set('resume', 'true');
    return { args, folder: folderAt(dir, saved) };
  }
  const name = argv.get('run');
  if (!name) return { args: argv };
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`--run ${name}: use letters, digits, dots, dashes`);
  const dir = join(root, 'runs', name);
  if (existsSync(join(dir, 'run.json'))) throw new Error(`runs/${name} exists: continue it with --resume runs/${name}, or pick another name`);
  const args = new Map(argv);
  args.set('checkpoints', relative(root, join(dir, 'checkpoints')));
  if (!args.has('results')) args.set('results', relative(root, join(dir, 'results.json')));
  const saved: RunFile = { script, args: Object.fromEntries([...args].filter(([k]) => !PER_SESSION.has(k))), segments: [] };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify(saved, null, 2));
  return { args, folder: folderAt(dir, saved) };
}

function folderAt(dir: string, saved: RunFile): RunFolder {
  const write = () => writeFileSync(join(dir, 'run.json'), JSON.stringify(saved, null, 2));
  return {
    dir,
    begin(fromStep, workers, stage) {
      saved.segments.push({ started: new Date().toISOString(), machine: machine(), workers, ...(stage ? { fromStage: stage } : {}), fromStep });
      write();
    },
    end(toStep, trainSec, stage) {
      const last = saved.segments[saved.segments.length - 1];
      if (last) Object.assign(last, { ...(stage ? { toStage: stage } : {}), toStep, trainSec: Math.round(trainSec) });
      write();
    },
    segments: () => saved.segments,
  };
}

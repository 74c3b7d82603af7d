import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFlags } from '@/scripts/lib/run-folder';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'a3-run-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const flags = (pairs: Record<string, string>) => new Map(Object.entries(pairs));

describe('long-run folders (runs/<name>)', () => {
  it('a new run keeps its checkpoints and results inside its folder and records its flags', () => {
    const { args, folder } = runFlags('pretrain', flags({ run: 'long', steps: '2800', 'max-len': '256', 'max-minutes': '90', workers: '2' }), root);
    expect(args.get('checkpoints')).toBe(join('runs', 'long', 'checkpoints'));
    expect(args.get('results')).toBe(join('runs', 'long', 'results.json'));
    const saved = JSON.parse(readFileSync(join(root, 'runs', 'long', 'run.json'), 'utf8'));
    expect(saved.script).toBe('pretrain');
    // per-session flags are not part of the run's definition
    expect(saved.args).toEqual({ steps: '2800', 'max-len': '256', checkpoints: join('runs', 'long', 'checkpoints'), results: join('runs', 'long', 'results.json') });
    expect(folder?.dir).toBe(join(root, 'runs', 'long'));
  });

  it('--resume runs/<name> restores the flags it started with; only the session flags change', () => {
    runFlags('pretrain', flags({ run: 'long', steps: '2800', lr: '2e-3', workers: '2' }), root);
    const { args } = runFlags('pretrain', flags({ resume: 'runs/long', steps: '5', 'max-minutes': '30', workers: '1' }), root);
    expect(args.get('steps')).toBe('2800'); // the schedule's length cannot change mid-run
    expect(args.get('lr')).toBe('2e-3');
    expect(args.get('max-minutes')).toBe('30');
    expect(args.get('workers')).toBe('1');
    expect(args.get('resume')).toBe('true');
    expect(args.get('checkpoints')).toBe(join('runs', 'long', 'checkpoints'));
  });

  it('records each session as a segment with its steps and wall time', () => {
    const first = runFlags('adapt', flags({ run: 'a' }), root).folder;
    first?.begin(0, 2);
    first?.end(300, 1799.6);
    const again = runFlags('adapt', flags({ resume: 'runs/a' }), root).folder;
    again?.begin(300, 2);
    again?.end(450, 900);
    const segments = again?.segments() ?? [];
    expect(segments.map((s) => [s.fromStep, s.toStep, s.trainSec, s.workers])).toEqual([
      [0, 300, 1800, 2],
      [300, 450, 900, 2],
    ]);
    expect(segments[0].machine).toMatch(/core/);
  });

  it('refuses to restart an existing run, to resume a folder that is not a run, or a run of another script', () => {
    runFlags('pretrain', flags({ run: 'x' }), root);
    expect(() => runFlags('pretrain', flags({ run: 'x' }), root)).toThrow(/--resume runs\/x/);
    expect(() => runFlags('pretrain', flags({ resume: 'runs/none' }), root)).toThrow(/not a run folder/);
    expect(() => runFlags('adapt', flags({ resume: 'runs/x' }), root)).toThrow(/run of "pretrain"/);
    expect(() => runFlags('pretrain', flags({ run: '../escape' }), root)).toThrow(/letters/);
    expect(existsSync(join(root, 'escape'))).toBe(false);
  });

  it('leaves the flags alone without --run or a --resume folder', () => {
    const argv = flags({ resume: 'true', steps: '10' });
    expect(runFlags('pretrain', argv, root).args).toBe(argv);
  });
});

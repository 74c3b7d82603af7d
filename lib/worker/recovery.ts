/**
 * What the worker does when the accelerator fails: which faults count (a lost device, running out of
 * memory), which backend comes next, the sentence the page shows, and the recovery itself: move to the next
 * backend and rebuild every loaded model there from its bytes off the device. Under a training run the run's
 * loop (run.ts) calls `underRun`; with no run going a fault recovers here (`recoverIdle`).
 * The decisions are pure functions, testable in Node; the tfjs hooks are the last functions of the file.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, initBackend, type BackendName } from '../a3/backend';
import { memoryEvent, messageOf, type ModelLoader, type ModelSlots, type Post } from './models';
import type { FaultKind } from './protocol';

export type { FaultKind };

export interface Fault {
  kind: FaultKind;
  /** The browser's or tfjs's own words. */
  detail: string;
  /** Raised by the test-only `simulate-fault` command, not by the device. */
  simulated: boolean;
}

/** Prefix of the errors `simulate-fault` raises, so they run through the same classification as real ones. */
export const SIMULATED = 'simulated fault: ';

/** Thrown into a training run to abort it for recovery. */
export class FaultError extends Error {
  constructor(readonly fault: Fault) {
    super(`${fault.kind}: ${fault.detail}`);
    this.name = 'FaultError';
  }
}

/** Fastest first, as in the page's auto choice: a failed backend hands over to the next one still allowed. */
export const FALLBACK_ORDER: readonly BackendName[] = BACKEND_NAMES;

export function nextBackend(failed: BackendName, excluded: Iterable<BackendName> = []): BackendName | null {
  const skip = new Set([failed, ...excluded]);
  return FALLBACK_ORDER.slice(FALLBACK_ORDER.indexOf(failed) + 1).find((b) => !skip.has(b)) ?? null;
}

// What WebGPU ("Device is lost", GPUOutOfMemoryError), WebGL (CONTEXT_LOST_WEBGL, failed allocations),
// wasm ("Out of memory" after a failed grow) and JS (RangeError "Array buffer allocation failed") say.
const LOST = /device (?:is |was |has been )?lost|context (?:was |is )?lost|CONTEXT_LOST/i;
const OOM = /out of memory|OutOfMemory|\bOOM\b|allocation failed|failed to allocate|Cannot allocate|Array buffer allocation/i;

/** A fault this module can recover from, or null for any other error (which ends the command as before). */
export function classifyFault(e: unknown): Fault | null {
  if (e instanceof FaultError) return e.fault;
  const detail = messageOf(e);
  const simulated = detail.startsWith(SIMULATED);
  if (LOST.test(detail)) return { kind: 'device-lost', detail, simulated };
  if (OOM.test(detail)) return { kind: 'oom', detail, simulated };
  return null;
}

/** The fault `simulate-fault` stands for. */
export function simulatedFault(kind: FaultKind): Fault {
  return { kind, detail: `${SIMULATED}${kind === 'device-lost' ? 'device lost' : 'out of memory while allocating a buffer'}`, simulated: true };
}

const LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU' };

/** What broke, in words: "WebGPU device lost", "WebGL ran out of memory". */
export function faultTitle(fault: Fault, backend: BackendName): string {
  const what = fault.kind === 'oom' ? `${LABEL[backend]} ran out of memory` : `${LABEL[backend]} device lost`;
  return fault.simulated ? `${what} (simulated)` : what;
}

/** The page's sentence: "WebGPU device lost: switched to webgl, resumed from checkpoint stage-1 @ step 10." */
export function faultMessage(fault: Fault, from: BackendName, to: BackendName, resumedFrom: string): string {
  return `${faultTitle(fault, from)}: switched to ${to}, resumed from ${resumedFrom}.`;
}

/** What recovery needs from the training run (run.ts's TrainingRun). */
export interface RunHooks {
  readonly active: boolean;
  /** A fault for the run's loop to notice (it recovers through `underRun`). */
  signalFault(fault: Fault): void;
  /** An error the run's next step throws (a simulated out-of-memory). */
  inject(error: Error): void;
  /** Faults already noted for the backend just left are moot. */
  clearFaults(): void;
}

/** Where a run restarts after a fault (run.ts's RestartPoint seen from here). */
export interface Restart {
  label: string;
  load: ModelLoader;
  /** The stage and the step within it that the run goes on from (the page says "recovering … from step N"). */
  stageIndex: number;
  step: number;
}

export interface RecoveryOptions {
  post: Post;
  models: ModelSlots;
  run: RunHooks;
  /** Calls back when the WebGPU device is lost (tests pass their own). */
  watchDeviceLost?: (onLost: (detail: string) => void) => void;
}

export class Recovery {
  /** `init` with `faults`: accept simulate-fault. */
  faultsAllowed = false;
  private readonly failedBackends = new Set<BackendName>();
  private backendEpoch = 0;
  /** A recovery with no run going: commands that arrive meanwhile wait for it. */
  private recovering: Promise<string> | null = null;

  constructor(private readonly o: RecoveryOptions) {}

  /** Counts backend changes: an error from before the latest one needs only a retry, not another recovery. */
  get epoch(): number {
    return this.backendEpoch;
  }

  /** Resolves once no idle recovery is under way (commands then run on the backend it moved to). */
  async settled(): Promise<void> {
    if (this.recovering) await this.recovering;
  }

  /** After each backend start: a lost WebGPU device is signalled here (only while that backend is current). */
  watchDevice(): void {
    const epoch = ++this.backendEpoch;
    (this.o.watchDeviceLost ?? watchDeviceLost)((detail) => {
      if (epoch === this.backendEpoch) this.signal({ kind: 'device-lost', detail, simulated: false });
    });
  }

  /** A fault signalled by the device: a running (or paused) run is rescued by its loop, an idle worker here. */
  signal(fault: Fault): void {
    if (this.o.run.active) this.o.run.signalFault(fault);
    else void this.recoverIdle(fault);
  }

  /** `simulate-fault`: a lost device arrives as a signal (like GPUDevice.lost), out of memory as the next step's error. */
  async simulate(kind: FaultKind): Promise<void> {
    if (!this.faultsAllowed) throw new Error('fault simulation is off: open the page with ?faults=1');
    const fault = simulatedFault(kind);
    // Destroying the device stops the GPU work in flight (its reads reject), as a real loss would.
    if (kind === 'device-lost') destroyWebGpuDevice();
    if (!this.o.run.active) await this.recoverIdle(fault);
    else if (kind === 'device-lost') this.o.run.signalFault(fault);
    else this.o.run.inject(new Error(fault.detail));
  }

  /**
   * Under training run `id`: next backend, every model rebuilt there (the run's from its restart point, the
   * others from where they were loaded), then a `fault` event. Throws when no backend is left or the run's
   * model cannot be rebuilt; saved checkpoints stay.
   */
  async underRun(id: number, fault: Fault, from: Restart): Promise<void> {
    const { failed, to, reason } = await this.fallBack(fault, 'training stopped, saved checkpoints are kept', (failed, to) =>
      this.o.post({ type: 'recovering', id, from: failed, to, stageIndex: from.stageIndex, step: from.step }),
    );
    const lost = (await this.reload({ kind: 'a3', load: from.load })).get('a3');
    const message = lost ? `${faultTitle(fault, failed)}: switched to ${to}, but ${lost}.` : faultMessage(fault, failed, to, from.label);
    this.o.post({ type: 'fault', id, kind: fault.kind, from: failed, to, reason, resumedFrom: from.label, message });
    this.o.post(memoryEvent());
    if (lost) throw new Error(`${message} Training stopped, saved checkpoints are kept.`);
  }

  /**
   * A fault with no run going (GPUDevice.lost while idle, simulate-fault, a command that failed with a fault):
   * next backend, the loaded models rebuilt there, a `fault` event (no run id). Never throws: resolves with the
   * sentence the page gets (also posted as an error when no backend is left). One recovery at a time.
   */
  recoverIdle(fault: Fault): Promise<string> {
    if (this.recovering) return this.recovering;
    const recovery = (async () => {
      try {
        const { failed, to, reason } = await this.fallBack(fault, 'reload the page');
        const hadModels = this.o.models.loadedKinds().length;
        const failures = await this.reload();
        const what =
          failures.size > 0
            ? `${[...failures.keys()].join(' and ')} could not be reloaded (load again)`
            : hadModels === 0
              ? 'no model was loaded'
              : hadModels === 1
                ? 'the model was reloaded'
                : 'the models were reloaded';
        const message = `${faultTitle(fault, failed)}: switched to ${to}; ${what}.`;
        this.o.post({ type: 'fault', kind: fault.kind, from: failed, to, reason, message });
        this.o.post(memoryEvent());
        return message;
      } catch (e) {
        const message = messageOf(e);
        this.o.post({ type: 'error', message });
        return message;
      }
    })();
    this.recovering = recovery;
    void recovery.finally(() => {
      if (this.recovering === recovery) this.recovering = null;
    });
    return recovery;
  }

  /**
   * Next backend (every model freed on the failed one; `onNext` hears which one before it starts, which takes a while). Throws when no backend is left (`stopped` says what that
   * means for the page); the models are then left as they were.
   */
  private async fallBack(
    fault: Fault,
    stopped: string,
    onNext?: (failed: BackendName, next: BackendName) => void,
  ): Promise<{ failed: BackendName; to: BackendName; reason: string }> {
    const failed = tf.getBackend() as BackendName;
    this.failedBackends.add(failed);
    this.o.run.clearFaults();
    const next = nextBackend(failed, this.failedBackends);
    if (!next) throw new Error(`${faultTitle(fault, failed)} (${fault.detail}) and no backend is left to fall back to: ${stopped}`);
    onNext?.(failed, next);
    this.o.models.disposeAll();
    const choice = await initBackend(next, { exclude: [...this.failedBackends] });
    this.watchDevice();
    return { failed, to: choice.name, reason: choice.reason };
  }

  /** Every loaded slot rebuilt on the current backend; a slot that cannot be is emptied and reported `unloaded`. */
  private async reload(override?: { kind: 'a3'; load: ModelLoader }): Promise<Map<string, string>> {
    const failures = await this.o.models.reloadAll(override);
    const messages = new Map<string, string>();
    for (const [kind, error] of failures) {
      const message = `the ${kind} model could not be reloaded on ${tf.getBackend()} after the fault (${messageOf(error)}): it is not loaded, load it again`;
      messages.set(kind, message);
      this.o.post({ type: 'unloaded', kind, message });
    }
    return messages;
  }
}

/**
 * Calls `onLost` when the WebGPU device behind tfjs is lost (driver reset, GPU process crash, too much
 * memory). Not for a device we destroyed ourselves. No-op on other backends.
 */
export function watchDeviceLost(onLost: (detail: string) => void): void {
  if (tf.getBackend() !== 'webgpu') return;
  const device = (tf.backend() as { device?: GPUDevice }).device;
  void device?.lost.then((info) => {
    if (info.reason !== 'destroyed') onLost(info.message || 'the GPU device was lost');
  });
}

/**
 * For `simulate-fault`: destroys the WebGPU device behind tfjs, so the GPU work of the step in flight stops
 * (its reads reject) as it would on a real loss, instead of running on beside the next backend. No-op elsewhere.
 */
export function destroyWebGpuDevice(): void {
  if (tf.getBackend() !== 'webgpu') return;
  (tf.backend() as { device?: GPUDevice }).device?.destroy();
}

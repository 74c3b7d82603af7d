/**
 * AdamW with global-norm clipping and a non-finite guard, written with plain
 * tfjs ops so it runs on every backend (tfjs's Adam has no decoupled decay).
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this; Infinity = off. */
  clipNorm: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, clipNorm: 1.0 };

export interface StepResult {
  loss: number;
  gradNorm: number;
  /** false when the loss or a gradient was not finite and nothing was changed. */
  applied: boolean;
}

/** Serializable optimizer state, for checkpoints. */
export interface AdamWState {
  step: number;
  slots: { name: string; m: Float32Array; v: Float32Array }[];
}

/** A variable keeps the initial tensor's data alive; dispose the initial handle. */
function zeroSlot(like: tf.Variable): tf.Variable {
  const init = tf.zeros(like.shape);
  const slot = tf.variable(init, false);
  init.dispose();
  return slot;
}

export class AdamW {
  readonly options: AdamWOptions;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly variables: tf.Variable[], options: Partial<AdamWOptions> = {}) {
    this.options = { ...DEFAULT_ADAMW, ...options };
    for (const variable of variables) {
      this.m.set(variable.name, zeroSlot(variable));
      this.v.set(variable.name, zeroSlot(variable));
    }
  }

  /**
   * One step on `lossFn` (which must return a scalar built from the variables),
   * with gradients from tf.variableGrads on this thread.
   */
  async minimize(lossFn: () => tf.Scalar, lr: number): Promise<StepResult> {
    const { value, grads } = tf.variableGrads(lossFn, this.variables);
    return this.applyGradients(value, grads, lr);
  }

  /**
   * One step from gradients computed elsewhere (this thread, or data-parallel
   * workers): takes ownership of `loss` and `grads` and disposes them. Reads
   * back the loss and gradient norm (one asynchronous read per step: required
   * on WebGPU, kind to any page) so a non-finite step is skipped before it
   * touches any weight.
   */
  async applyGradients(loss: tf.Scalar, grads: tf.NamedTensorMap, lr: number): Promise<StepResult> {
    const present = Object.values(grads).filter((g): g is tf.Tensor => g != null);
    // A chain of adds, not tf.addN: AddN over ~20 inputs returns 0 on tfjs-webgpu 4.22 (seen in Chromium).
    const both = tf.tidy(() => {
      const norm = present.length ? tf.sqrt(present.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))) : tf.scalar(0);
      return tf.stack([loss, norm]);
    });
    try {
      const [lossValue, gradNorm] = await both.data();
      const applied = Number.isFinite(lossValue) && Number.isFinite(gradNorm);
      if (applied) this.apply(grads, gradNorm, lr);
      return { loss: lossValue, gradNorm, applied };
    } finally {
      tf.dispose([both, loss, ...present]);
    }
  }

  private apply(grads: tf.NamedTensorMap, gradNorm: number, lr: number): void {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.options;
    this.step += 1;
    const clip = gradNorm > clipNorm ? clipNorm / gradNorm : 1;
    const c1 = 1 - Math.pow(beta1, this.step);
    const c2 = 1 - Math.pow(beta2, this.step);
    tf.tidy(() => {
      for (const variable of this.variables) {
        // A variable the loss does not touch (w during AR pretraining) keeps its value and moments.
        if (grads[variable.name] == null) continue;
        const g = tf.mul(grads[variable.name], clip);
        const m = this.slot(this.m, variable);
        const v = this.slot(this.v, variable);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        // Decoupled decay on matrices only: norms and w are scales/offsets, not capacity.
        const decay = variable.rank >= 2 ? weightDecay : 0;
        variable.assign(tf.sub(tf.mul(variable, 1 - lr * decay), tf.mul(update, lr)));
      }
    });
  }

  async getState(): Promise<AdamWState> {
    const slots = [];
    for (const variable of this.variables) {
      slots.push({
        name: variable.name,
        m: (await this.slot(this.m, variable).data()) as Float32Array,
        v: (await this.slot(this.v, variable).data()) as Float32Array,
      });
    }
    return { step: this.step, slots };
  }

  setState(state: AdamWState): void {
    if (state.slots.length !== this.variables.length) {
      throw new Error(`optimizer state has ${state.slots.length} slots, the model has ${this.variables.length} variables`);
    }
    state.slots.forEach((slot, i) => {
      const variable = this.variables[i];
      if (slot.m.length !== variable.size || slot.v.length !== variable.size) {
        throw new Error(`optimizer state for ${slot.name} has the wrong size`);
      }
      tf.tidy(() => {
        this.slot(this.m, variable).assign(tf.tensor(slot.m, variable.shape));
        this.slot(this.v, variable).assign(tf.tensor(slot.v, variable.shape));
      });
    });
    this.step = state.step;
  }

  /** The constructor fills both slot maps for every variable; a miss means the optimizer is out of step with its variables. */
  private slot(slots: Map<string, tf.Variable>, variable: tf.Variable): tf.Variable {
    const slot = slots.get(variable.name);
    if (!slot) throw new Error(`AdamW has no moment slot for variable ${variable.name}`);
    return slot;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

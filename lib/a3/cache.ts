/**
 * KV cache of committed groups. Content rows of group k only attend to groups
 * <= k, so once a group is committed its keys/values never change: caching
 * them is exact (A3.md §4). One batch row (decoding is one sequence).
 */
import * as tf from '@tensorflow/tfjs';
import { concatKV, type LayerKV, type PastKeys } from './model';

export class KVCache {
  private layers: LayerKV[] | null = null;
  private gids: number[] = [];

  get size(): number {
    return this.gids.length;
  }

  /** The cache as the model's `past` input, or undefined while empty. */
  past(): PastKeys | undefined {
    if (!this.layers) return undefined;
    return { gids: Int32Array.from(this.gids), layers: this.layers };
  }

  /** Append one forward's content keys/values (this cache takes ownership of them). */
  append(kv: LayerKV[], gids: ArrayLike<number>): void {
    if (gids.length === 0) {
      tf.dispose(kv.flatMap((l) => [l.k, l.vT]));
      return;
    }
    if (!this.layers) {
      this.layers = kv;
    } else {
      const old = this.layers;
      this.layers = old.map((l, i) => concatKV(l, kv[i]));
      tf.dispose([...old.flatMap((l) => [l.k, l.vT]), ...kv.flatMap((l) => [l.k, l.vT])]);
    }
    this.gids.push(...Array.from(gids));
  }

  dispose(): void {
    if (this.layers) tf.dispose(this.layers.flatMap((l) => [l.k, l.vT]));
    this.layers = null;
    this.gids = [];
  }
}

/** Learning-rate schedule: linear warm-up, then cosine decay to a floor. */
export interface LrSchedule {
  peak: number;
  warmup: number;
  total: number;
  /** Final lr as a fraction of peak. */
  minRatio: number;
}

export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmup) return (s.peak * (step + 1)) / s.warmup;
  const progress = Math.min(1, (step - s.warmup) / Math.max(1, s.total - s.warmup));
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.peak * (s.minRatio + (1 - s.minRatio) * cosine);
}

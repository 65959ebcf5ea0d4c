/**
 * Order statistics for benchmark samples. The machine this runs on is shared and noisy, so
 * figures are medians of repeated windows and tails are read from pooled samples.
 */

/** The `q` quantile (0–1) by linear interpolation between order statistics; NaN for no samples. */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * The metric points of `npm run bench:runs`, the same for the training process that writes them
 * as JSON lines and for the bare-insert anchor: point i is step floor(i / 5) of metric i % 5.
 */
export const METRIC_NAMES = ['loss', 'accuracy', 'lr', 'grad_norm', 'val_loss'] as const;

/** A value with a full double's digits, as a training script prints them (a decaying curve plus noise). */
export function metricValue(step: number, nameIndex: number): number {
  const noise = ((step * 2654435761 + nameIndex * 40503) % 1_000_003) / 1_000_003;
  return (nameIndex + 1) / (1 + step / 1000) + noise / 100;
}

export function pointStep(i: number): number {
  return Math.floor(i / METRIC_NAMES.length);
}

export function pointNameIndex(i: number): number {
  return i % METRIC_NAMES.length;
}

/** Point i as the training contract's JSON line, newline included. */
export function metricLine(i: number): string {
  const step = pointStep(i);
  const k = pointNameIndex(i);
  return `{"name":"${METRIC_NAMES[k]}","value":${metricValue(step, k)},"step":${step}}\n`;
}

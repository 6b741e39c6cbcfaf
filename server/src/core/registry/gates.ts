/**
 * Validation gates (the pipeline's `validation:` list) checked against a model's metrics.
 *
 * Each gate takes its value from the first source run that reports the metric (see lineage.ts for
 * the order: the registered run, then upstream, then downstream runs), its last value. A metric no
 * source reports is `missing`, which fails: a gate nobody measured is not passed.
 */
import type { LineageRun } from './lineage';

export interface Gate {
  metric: string;
  min?: number;
  max?: number;
  type?: string;
  description?: string;
}

export type GateVerdict = 'pass' | 'fail' | 'missing';

export interface GateResult {
  metric: string;
  min?: number;
  max?: number;
  value: number | null;
  /** The run (and its stage) that gave the value; null when missing. */
  runId: string | null;
  stage: string | null;
  verdict: GateVerdict;
  description?: string;
  type?: string;
}

export type GateReport = GateResult[];

/** Bounds are inclusive: `min: 0.85` passes 0.85. */
export function evaluateGates(gates: readonly Gate[], sources: readonly LineageRun[]): GateReport {
  return gates.map((g) => {
    const source = sources.find((s) => Object.hasOwn(s.run.metrics, g.metric));
    const value = source ? source.run.metrics[g.metric].last : null;
    const inBounds = value !== null && (g.min === undefined || value >= g.min) && (g.max === undefined || value <= g.max);
    return {
      metric: g.metric,
      ...(g.min !== undefined && { min: g.min }),
      ...(g.max !== undefined && { max: g.max }),
      value,
      runId: source?.run.id ?? null,
      stage: source?.run.stage ?? null,
      verdict: value === null ? 'missing' : inBounds ? 'pass' : 'fail',
      ...(g.description !== undefined && { description: g.description }),
      ...(g.type !== undefined && { type: g.type }),
    };
  });
}

export function gatesPassed(report: GateReport): boolean {
  return report.every((g) => g.verdict === 'pass');
}

/** "accuracy 0.81 (min 0.85)", "auc missing (min 0.9)": how a gate reads in messages. */
export function describeGate(g: GateResult): string {
  const bounds = [g.min !== undefined && `min ${g.min}`, g.max !== undefined && `max ${g.max}`].filter(Boolean).join(', ');
  return `${g.metric} ${g.value === null ? 'missing' : Number(g.value.toPrecision(6))} (${bounds})`;
}

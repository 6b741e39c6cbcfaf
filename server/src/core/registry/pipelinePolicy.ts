/**
 * What the registry reads from a model's pipeline file: its gates, risk class, approval policy,
 * and (for the model card) its descriptions, monitoring plan and governance. The file is read
 * and validated at the moment of each decision (registration, a transition request), so the
 * policy applied is the one committed then, and that moment is what the audit log records.
 */
import * as path from 'path';
import { loadPipeline, PipelineDoc, RunError } from '../runs/runStage';
import { RegistryError } from './errors';
import type { Gate } from './gates';

export type RiskClass = 'minimal' | 'limited' | 'high';

type StageSpec = PipelineDoc['stages'][string];

export interface RegistryPipeline extends PipelineDoc {
  description?: string;
  risk?: RiskClass;
  data?: Record<string, { path: string; snapshot?: string; description?: string }>;
  stages: Record<string, StageSpec & { description?: string; metrics?: string[] }>;
  validation?: Gate[];
  registry?: { model?: string; approvals?: number };
  deploy?: Record<string, unknown>;
  monitor?: Record<string, unknown>;
  governance?: { humanOversight?: boolean; logRetentionDays?: number; owner?: string; contact?: string; intendedPurpose?: string };
}

/** The pipeline file (relative to the project root, POSIX separators), validated; `no-pipeline` when it is gone or invalid. */
export function readPipeline(root: string, pipelineFile: string): RegistryPipeline {
  const file = path.join(root, ...pipelineFile.split('/'));
  try {
    return loadPipeline(file, root) as RegistryPipeline;
  } catch (e) {
    const why = e instanceof RunError ? `it does not validate:\n${e.message}` : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it no longer exists' : String((e as Error).message ?? e);
    throw new RegistryError('no-pipeline', `The pipeline file ${pipelineFile} of this model cannot be used: ${why}. Restore it (git checkout) or fix it, then retry.`);
  }
}

export function riskOf(p: RegistryPipeline): RiskClass {
  return p.risk ?? 'minimal';
}

/**
 * Distinct approvers a Production transition needs: `registry.approvals`; when absent, 1 for a
 * high-risk pipeline (human oversight, AI Act Art. 14) and 0 otherwise.
 */
export function approvalsRequired(p: RegistryPipeline): number {
  return p.registry?.approvals ?? (riskOf(p) === 'high' ? 1 : 0);
}

/** The registered model a run of this pipeline becomes a version of, unless named otherwise. */
export function defaultModelName(p: RegistryPipeline): string {
  return p.registry?.model ?? p.name;
}

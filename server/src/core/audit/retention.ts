/**
 * How long the project keeps its audit log, from `governance.logRetentionDays` of its pipeline
 * files. One database holds the log of every pipeline of the project, so the longest period wins.
 *
 * Deleting audit entries cannot be undone, so whatever leaves the period unknown refuses a prune
 * rather than guessing:
 * - a `risk: high` pipeline without logRetentionDays (EU AI Act Art. 19 sets a minimum, six
 *   months, not the period: the provider decides it, and has not);
 * - no pipeline with logRetentionDays at all;
 * - a pipeline file that cannot be read, or a logRetentionDays that is not a whole number of days.
 * A high-risk pipeline counts at least 183 days even when it says less (the validator reports that
 * as an error as well).
 */
import * as path from 'path';
import * as jsyaml from 'js-yaml';
import { HIGH_RISK_MIN_RETENTION_DAYS } from '../validation/pipeline';
import { findWorkspaceFiles } from '../workspace/findFiles';
import { fileKind, readRegularFile } from '../workspace/workspaceFiles';
import { AuditError } from './auditLog';

export interface ProjectRetention {
  days: number;
  /** The pipeline file that asks for that period, relative to the project root (POSIX). */
  pipelineFile: string;
}

export async function projectRetention(root: string): Promise<ProjectRetention> {
  const pipelines = (await findWorkspaceFiles(root)).filter((f) => fileKind(f) === 'pipeline');
  let longest: ProjectRetention | undefined;
  for (const file of pipelines) {
    const shown = path.relative(root, file).split(path.sep).join('/');
    const { risk, days } = readGovernance(file, shown);
    if (days === undefined) {
      if (risk === 'high') {
        throw new AuditError('no-retention',
          `${shown} is a high-risk pipeline without governance.logRetentionDays: the EU AI Act (Art. 19) requires its logs to be kept at least six months, ` +
          `and the period must be decided before anything is deleted. Add governance.logRetentionDays (${HIGH_RISK_MIN_RETENTION_DAYS} or more) and prune again.`, file);
      }
      continue;
    }
    const effective = risk === 'high' ? Math.max(days, HIGH_RISK_MIN_RETENTION_DAYS) : days;
    if (!longest || effective > longest.days) longest = { days: effective, pipelineFile: shown };
  }
  if (!longest) {
    throw new AuditError('no-retention',
      `No pipeline of the project sets governance.logRetentionDays${pipelines.length ? '' : ' (there is no pipeline.yaml)'}: how long the audit log is kept must be decided before anything is deleted. ` +
      `Add governance.logRetentionDays to the pipeline (${HIGH_RISK_MIN_RETENTION_DAYS} days or more for a high-risk model, EU AI Act Art. 19) and prune again.`);
  }
  return longest;
}

function readGovernance(file: string, shown: string): { risk?: unknown; days?: number } {
  const text = readRegularFile(file);
  const unknown = (why: string): AuditError =>
    new AuditError('no-retention', `${shown}: ${why}, so the log retention it asks for is unknown and nothing is pruned. Fix it (mlops validate shows the problems) and prune again.`, file);
  if (text === undefined) throw unknown('the file cannot be read (or is not a regular file of at most 5 MB)');
  let doc: unknown;
  try {
    doc = jsyaml.load(text);
  } catch (e) {
    throw unknown(`the YAML does not parse (${(e as Error).message.split('\n')[0]})`);
  }
  const pipeline = (typeof doc === 'object' && doc !== null ? doc : {}) as { risk?: unknown; governance?: { logRetentionDays?: unknown } | null };
  const days = pipeline.governance?.logRetentionDays;
  if (days === undefined || days === null) return { risk: pipeline.risk };
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1) throw unknown(`governance.logRetentionDays is ${JSON.stringify(days)}, not a whole number of days`);
  return { risk: pipeline.risk, days };
}

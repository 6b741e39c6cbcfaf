/**
 * The registry as the CLI prints it with --json and the editor reads it: the records of
 * registry.ts with ISO 8601 times instead of milliseconds. Keep these keys stable: the editor
 * parses them.
 */
import { iso } from '../isoTime';
import type { ModelVersion, RegisteredModel, StageChange, TransitionOutcome, TransitionRequest } from './registry';

/** Derived from the records, so that a field added there cannot be forgotten here: only the times change type. */
export type RequestJson = Omit<TransitionRequest, 'requestedAt' | 'approvals' | 'rejection' | 'decidedAt'> & {
  requestedAt: string;
  approvals: { approver: string; at: string; reason: string | null }[];
  rejection: { by: string; at: string; reason: string | null } | null;
  decidedAt: string | null;
};

export type VersionJson = Omit<ModelVersion, 'createdAt' | 'pendingRequests'> & { createdAt: string; pendingRequests: RequestJson[] };

export type ModelJson = Pick<RegisteredModel, 'name' | 'pipelineFile' | 'risk' | 'approvalsRequired'> & { versions: VersionJson[] };

export type HistoryJson = Omit<StageChange, 'at'> & { at: string };

export type TransitionJson =
  | { applied: true; version: VersionJson; archived: VersionJson | null }
  /** `opened`: true for a request just opened, false for the same request already pending (returned instead). */
  | { applied: false; request: RequestJson; opened: boolean };

export function requestJson(r: TransitionRequest): RequestJson {
  return {
    id: r.id, model: r.model, version: r.version, toStage: r.toStage, requestedBy: r.requestedBy, requestedAt: iso(r.requestedAt), reason: r.reason,
    required: r.required, approvals: r.approvals.map((a) => ({ approver: a.approver, at: iso(a.at), reason: a.reason })),
    rejection: r.rejection && { by: r.rejection.by, at: iso(r.rejection.at), reason: r.rejection.reason },
    status: r.status, decidedAt: r.decidedAt === null ? null : iso(r.decidedAt),
  };
}

export function versionJson(v: ModelVersion): VersionJson {
  return {
    model: v.model, version: v.version, runId: v.runId, stage: v.stage, aliases: v.aliases, tags: v.tags, createdAt: iso(v.createdAt), createdBy: v.createdBy,
    artifact: v.artifact, gatesPassed: v.gatesPassed, gates: v.gates, pendingRequests: v.pendingRequests.map(requestJson),
  };
}

export function modelJson(m: RegisteredModel): ModelJson {
  return { name: m.name, pipelineFile: m.pipelineFile, risk: m.risk, approvalsRequired: m.approvalsRequired, versions: m.versions.map(versionJson) };
}

export function transitionJson(t: TransitionOutcome): TransitionJson {
  return t.applied
    ? { applied: true, version: versionJson(t.version), archived: t.archived && versionJson(t.archived) }
    : { applied: false, request: requestJson(t.request), opened: t.opened };
}

export function historyJson(h: StageChange): HistoryJson {
  return { ...h, at: iso(h.at) };
}

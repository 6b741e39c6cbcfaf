/**
 * The typed contract between the extension (client/) and the language server: every custom
 * method name and payload. Imported by both sides; nothing else may name a method string.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { ModelStage } from './core/registry/registry';
import type { ModelJson, RequestJson, TransitionJson, VersionJson } from './core/registry/registryJson';

export type ServerState = 'starting' | 'ready' | 'validating' | 'error';

export interface ServerStatusParams {
  state: ServerState;
  /** Shown in the status bar tooltip. */
  detail: string;
  /** Problems currently published, for the status bar text. */
  errors: number;
  warnings: number;
}

/** Server -> client: the server's state changed (drives the status-bar item). */
export const ServerStatusNotification = new NotificationType<ServerStatusParams>('mlops/serverStatus');

export interface ValidateWorkspaceResult {
  files: number;
  errors: number;
  warnings: number;
}

/** Client -> server: validate every pipeline/params/clusters file in the workspace, open or not. */
export const ValidateWorkspaceRequest = new RequestType<Record<string, never>, ValidateWorkspaceResult, void>('mlops/validateWorkspace');

/**
 * Node flags the client starts the server with. The server works in short synchronous bursts on
 * small heaps: a 1 MiB young generation and no V8 helper threads keep it near 50 MiB idle and
 * about half of yaml-language-server's memory with a 1,000-stage pipeline open (npm run bench:lsp).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'];

/** Settings the client forwards at start (initializationOptions). */
export interface InitializationOptions {
  /** The `mlops.validation.enable` setting. */
  validationEnabled: boolean;
}

/** Attached to each diagnostic (LSP `data`): the quick fixes computed with it, ready to apply. */
export interface DiagnosticFixData {
  fixes: { title: string; preferred?: boolean; edits: { range: LspRange; newText: string }[] }[];
}
interface LspRange { start: { line: number; character: number }; end: { line: number; character: number } }

// ---- Snapshots (server/src/lsp/snapshots.ts). Paths are absolute file system paths. ----

/** A pointer file and the state of the data beside it (`mlops status`). */
export interface SnapshotSummary {
  /** The project root (the folder holding .mlops/ or .git/). */
  root: string;
  /** PATH.snapshot. */
  pointer: string;
  /** PATH: the data it stands for. */
  dataPath: string;
  id?: string;
  size?: number;
  files?: number;
  type?: 'directory' | 'file';
  message?: string;
  createdAt?: string;
  /** The snapshot's object is in the local cache. */
  cached?: boolean;
  /** unchanged, modified (stale: the data changed since), data-missing, error. */
  state: 'unchanged' | 'modified' | 'data-missing' | 'error';
  /** The id the data has now, when modified. */
  currentId?: string;
  error?: string;
}

export interface ListSnapshotsResult {
  snapshots: SnapshotSummary[];
  /** Why some project could not be checked (the rest are listed). */
  problems: string[];
}

/** Client -> server: every pointer file of the workspace folders, with its data's state. */
export const ListSnapshotsRequest = new RequestType<Record<string, never>, ListSnapshotsResult, void>('mlops/snapshots/list');

export interface SnapshotEntry {
  name: string;
  type: 'file' | 'directory';
  size: number;
  files: number;
}

/** Client -> server: the top-level entries of the snapshot a pointer file names (read from the cache). */
export const SnapshotEntriesRequest = new RequestType<{ pointer: string }, { entries: SnapshotEntry[] }, void>('mlops/snapshots/entries');

/**
 * Sent with the long operations below: the server reports their advance as `OperationProgress`
 * notifications carrying the same token. Cancelling the request stops the operation; what it
 * already stored stays valid (snapshots and the cache are crash-safe).
 */
export interface ProgressParams {
  progressToken?: string;
}

export const OperationProgressNotification = new NotificationType<{ token: string; done: number; total: number }>('mlops/operationProgress');

/**
 * Who acts, for requests that change something (recorded in the audit log): the client's
 * `mlops.user` setting; absent, the CLI's default (MLOPS_USER, then git user.email).
 */
export interface ActorParams {
  by?: string;
}

export interface CreateSnapshotParams extends ProgressParams, ActorParams {
  /** The file or folder to snapshot. */
  path: string;
  message?: string;
}

export interface CreateSnapshotResult {
  id: string;
  files: number;
  size: number;
  /** Objects that were new to the cache. */
  stored: number;
  pointer: string;
}

export const CreateSnapshotRequest = new RequestType<CreateSnapshotParams, CreateSnapshotResult, void>('mlops/snapshots/create');

export interface CheckoutSnapshotParams extends ProgressParams, ActorParams {
  /** The data path or its pointer file. */
  path: string;
  /** Discard local changes that are in no snapshot. */
  force?: boolean;
}

export interface CheckoutSnapshotResult {
  id: string;
  files: number;
  written: number;
  removed: number;
  unchanged: number;
}

export const CheckoutSnapshotRequest = new RequestType<CheckoutSnapshotParams, CheckoutSnapshotResult, void>('mlops/snapshots/checkout');

export interface SnapshotComparison {
  /** How each side was found, e.g. "data/raw.snapshot at 3f2a1b0 (HEAD~1)" and "data/raw.snapshot (working tree)". */
  a: { label: string; id: string; files: number; size: number };
  b: { label: string; id: string; files: number; size: number };
  added: { path: string; size: number }[];
  removed: { path: string; size: number }[];
  modified: { path: string; oldSize: number; newSize: number }[];
  unchanged: number;
}

/** Client -> server: the snapshot a pointer names against its previous version in git. */
export const CompareWithPreviousRequest = new RequestType<{ pointer: string }, SnapshotComparison, void>('mlops/snapshots/compareWithPrevious');

export interface VerifyCacheResult {
  root: string;
  objects: number;
  bytes: number;
  corrupt: { sha256: string; object: string; reason: string; detail?: string }[];
  missing: { sha256: string; referencedBy: string[] }[];
  ok: boolean;
}

/** Client -> server: re-hash every object of each project's cache (`mlops verify`). */
export const VerifyCacheRequest = new RequestType<ProgressParams, { projects: VerifyCacheResult[] }, void>('mlops/cache/verify');

/**
 * The `data` of a failed snapshot request (LSP ResponseError): the stable code of the core's
 * SnapshotError (e.g. `local-changes`, `missing-object`, `disk-full`) and the path concerned.
 */
export interface SnapshotErrorData {
  code: string;
  path?: string;
}

// ---- Runs (server/src/lsp/runs.ts). ----

export interface RunItem {
  id: string;
  pipeline: string;
  /** Absolute path of the pipeline file. */
  pipelineFile: string;
  stage: string;
  sweepId: string | null;
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
  metrics: Record<string, { last: number; min: number; max: number; steps: number }>;
  /** The metric the view shows for this stage's runs: the search metric if the stage reports it, else its first declared one. */
  keyMetric: string | null;
  /** The run's folder (log.txt, params.json, output/). */
  dir: string;
}

/** Client -> server: the runs of every project of the workspace, newest first. */
export const ListRunsRequest = new RequestType<Record<string, never>, { runs: RunItem[]; problems: string[] }, void>('mlops/runs/list');

/**
 * Server -> client: a project's `.mlops/mlops.db` changed (a run started, logged metrics or ended; a
 * model version was registered, requested, approved; from the editor or a terminal). The Runs and
 * Model Registry views list again.
 */
export const StoreChangedNotification = new NotificationType<Record<string, never>>('mlops/store/changed');

export interface StartRunParams extends ActorParams {
  pipelineFile: string;
  /** One stage; none: the whole pipeline in `needs` order. */
  stage?: string;
  /** `KEY=VALUE` overrides of params.yaml. */
  overrides?: string[];
}

/** Client -> server: start a run (it goes on in the background; StoreChanged follows its progress). */
export const StartRunRequest = new RequestType<StartRunParams, { started: true }, void>('mlops/runs/start');

export interface StartSweepParams extends ActorParams {
  pipelineFile: string;
  /** The stage to sweep; none: the one that reports the search metric. */
  stage?: string;
  /** Trials at once (default 1). */
  parallel?: number;
}

/** Client -> server: run the search space of the pipeline's params file (`mlops sweep`) in the background. */
export const StartSweepRequest = new RequestType<StartSweepParams, { started: true }, void>('mlops/runs/sweep');

/**
 * Client -> server: rerun a run with its recorded data and params (`mlops reproduce`) in the
 * background; the rerun's log ends with whether each artifact came out bit-identical.
 */
export const ReproduceRunRequest = new RequestType<ActorParams & { pipelineFile: string; id: string }, { started: true }, void>('mlops/runs/reproduce');

/** Server -> client: a sweep or reproduce started from the editor ended; summary is its verdict (best run, bit-identical or not). */
export const BackgroundCommandEndedNotification = new NotificationType<{ command: 'sweep' | 'reproduce'; ok: boolean; summary: string }>('mlops/runs/commandEnded');

/** Client -> server: `git show --stat --patch` of a run's commit, as text for a read-only document. */
export const ShowCommitRequest = new RequestType<{ pipelineFile: string; commit: string }, { text: string }, void>('mlops/git/showCommit');

/** Client -> server: a snapshot's facts and file list, as text for a read-only document. */
export const DescribeSnapshotRequest = new RequestType<{ pipelineFile: string; id: string }, { text: string }, void>('mlops/snapshots/describe');

/** Client -> server: cancel a running run (its whole process tree). */
export const CancelRunRequest = new RequestType<ActorParams & { pipelineFile: string; id: string }, { cancelled: boolean }, void>('mlops/runs/cancel');

/** Client -> server: delete an ended run (its artifacts stay in the cache until gc). */
export const DeleteRunRequest = new RequestType<ActorParams & { pipelineFile: string; id: string }, { deleted: boolean }, void>('mlops/runs/delete');

/** Everything the run page shows: the four ingredients, params, metric series, artifacts, the log's end. */
export interface RunDetails extends Omit<RunItem, 'keyMetric'> {
  gitCommit: string | null;
  gitDirty: boolean | null;
  paramsHash: string;
  params: Record<string, unknown>;
  /** Dataset name -> snapshot id. */
  data: Record<string, string>;
  environment: Record<string, string>;
  artifacts: { path: string; sha256: string; size: number }[];
  /** Per metric, [step, value] pairs (thinned to at most 2,000 points). */
  series: Record<string, [number, number][]>;
  /** The last lines of the run's log. */
  logTail: string;
}

/** Client -> server: one run in full, for its page (asked again on StoreChanged while the run goes). */
export const RunDetailsRequest = new RequestType<{ pipelineFile: string; id: string }, RunDetails, void>('mlops/runs/details');

// ---- Model registry and audit log (server/src/lsp/registry.ts, `mlops registry|audit ... --json`). ----

// The shapes are the CLI's (core/registry/registryJson.ts), shared so that they cannot drift apart.
export type { GateResult } from './core/registry/gates';
export type { ModelStage } from './core/registry/registry';
export type TransitionRequestItem = RequestJson;
export type ModelVersionItem = VersionJson;

export interface ModelItem extends ModelJson {
  /** The project (folder holding .mlops/) whose registry holds the model. */
  root: string;
}

/** Client -> server: the registered models of every project of the workspace. */
export const ListModelsRequest = new RequestType<Record<string, never>, { models: ModelItem[]; problems: string[] }, void>('mlops/registry/list');

/** Client -> server: register a run's artifact as a new version (`mlops registry register`). */
export const RegisterModelVersionRequest = new RequestType<ActorParams & { pipelineFile: string; runId: string; name?: string; artifact?: string }, ModelVersionItem, void>('mlops/registry/register');

export type TransitionResult = TransitionJson;

/** Client -> server: move a version to a stage; Production may open an approval request instead. */
export const TransitionModelVersionRequest = new RequestType<ActorParams & { root: string; model: string; version: number; stage: ModelStage; reason?: string }, TransitionResult, void>('mlops/registry/transition');

export interface ApproveResult {
  request: TransitionRequestItem;
  applied: boolean;
  version: ModelVersionItem | null;
  archived: ModelVersionItem | null;
  /** False when this approver had already approved (it counts once). */
  counted: boolean;
}

/** Client -> server: approve a pending request (never the requester's own). */
export const ApproveTransitionRequest = new RequestType<ActorParams & { root: string; requestId: string; reason?: string }, ApproveResult, void>('mlops/registry/approve');

/** Client -> server: reject a pending request, with a reason. */
export const RejectTransitionRequest = new RequestType<ActorParams & { root: string; requestId: string; reason: string }, { request: TransitionRequestItem }, void>('mlops/registry/reject');

/** Client -> server: put the previous Production version back (`mlops registry rollback`). */
export const RollbackModelRequest = new RequestType<ActorParams & { root: string; model: string; reason?: string }, { restored: ModelVersionItem; archived: ModelVersionItem }, void>('mlops/registry/rollback');

/** Client -> server: the model card (technical documentation, EU AI Act Annex IV) as Markdown. */
export const ModelCardRequest = new RequestType<{ root: string; model: string; version: number }, { text: string }, void>('mlops/registry/card');

export interface AuditEntryItem {
  seq: number;
  time: string;
  actor: string;
  action: string;
  entity: string;
  details: Record<string, unknown>;
}

/** Client -> server: the audit entries of an entity (`model:NAME` also gives its versions'), newest first, and whether the chain verifies. */
export const AuditTrailRequest = new RequestType<{ root: string; entity: string }, { entries: AuditEntryItem[]; chain: { ok: boolean; message: string } }, void>('mlops/audit/trail');

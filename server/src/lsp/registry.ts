/**
 * The Model Registry requests of the editor (protocol.ts). Each is one `mlops registry|audit ...
 * --json` process (cliProcess.ts): the registry's rules (gates, four-eyes approval, atomic
 * promotion, the audit entry of every change) live in the core, once, for the editor and for CI.
 * The acting user comes from the client (`mlops.user`) as --by.
 */
import * as path from 'path';
import { Connection } from 'vscode-languageserver/node';
import { findProjectRoot } from '../core/workspace/projectRoot';
import {
  ApproveResult, ApproveTransitionRequest, AuditEntryItem, AuditTrailRequest, ListModelsRequest, ModelCardRequest, ModelItem, ModelVersionItem,
  RegisterModelVersionRequest, RejectTransitionRequest, RollbackModelRequest, TransitionModelVersionRequest, TransitionRequestItem, TransitionResult,
} from '../protocol';
import { actorArgs, runCliJson } from './cliProcess';
import type { StoreWatcher } from './runs';
import { ServerWorkspace } from './serverWorkspace';

/** `store` is the Runs requests' watcher of `.mlops/mlops.db`: a registry change notifies the same way. */
export function registerRegistryRequests(connection: Connection, workspace: ServerWorkspace, store: StoreWatcher): void {
  const reason = (text: string | undefined): string[] => (text?.trim() ? ['--reason', text.trim()] : []);

  connection.onRequest(ListModelsRequest, async (_params, token) => {
    const models: ModelItem[] = [];
    const problems: string[] = [];
    for (const root of new Set(workspace.roots.map((r) => findProjectRoot(r)))) {
      store.watch(root);
      try {
        const r = await runCliJson<{ models: Omit<ModelItem, 'root'>[] }>(['registry', 'list'], { cwd: root, token });
        for (const m of r.models) models.push({ ...m, root, pipelineFile: path.resolve(root, m.pipelineFile) });
      } catch (err) {
        problems.push(`${root}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { models, problems };
  });

  connection.onRequest(RegisterModelVersionRequest, (p) => runCliJson<ModelVersionItem>(
    ['registry', 'register', '--run', p.runId, ...(p.name ? ['--name', p.name] : []), ...(p.artifact ? ['--artifact', p.artifact] : []), ...actorArgs(p.by)],
    { cwd: findProjectRoot(path.dirname(p.pipelineFile)) },
  ));

  connection.onRequest(TransitionModelVersionRequest, (p) => runCliJson<TransitionResult>(
    ['registry', 'transition', p.model, String(p.version), p.stage, ...reason(p.reason), ...actorArgs(p.by)], { cwd: p.root },
  ));

  connection.onRequest(ApproveTransitionRequest, (p) => runCliJson<ApproveResult>(['registry', 'approve', p.requestId, ...reason(p.reason), ...actorArgs(p.by)], { cwd: p.root }));

  connection.onRequest(RejectTransitionRequest, (p) => runCliJson<{ request: TransitionRequestItem }>(['registry', 'reject', p.requestId, ...reason(p.reason), ...actorArgs(p.by)], { cwd: p.root }));

  connection.onRequest(RollbackModelRequest, (p) => runCliJson<{ restored: ModelVersionItem; archived: ModelVersionItem }>(['registry', 'rollback', p.model, ...reason(p.reason), ...actorArgs(p.by)], { cwd: p.root }));

  connection.onRequest(ModelCardRequest, async (p) => {
    const r = await runCliJson<{ format: string; text: string }>(['registry', 'card', p.model, String(p.version), '--format', 'md'], { cwd: p.root });
    return { text: r.text };
  });

  connection.onRequest(AuditTrailRequest, async (p) => {
    const [log, chain] = await Promise.all([
      runCliJson<{ entries: AuditEntryItem[] }>(['audit', 'log', '--entity', p.entity, '--all'], { cwd: p.root }),
      runCliJson<{ ok: boolean; entries: number; headHash: string; broken?: { seq: number; reason: string } }>(['audit', 'verify'], { cwd: p.root }),
    ]);
    const message = chain.ok
      ? `chain intact: ${chain.entries} entries, head ${chain.headHash.slice(0, 16)}…`
      : `CHAIN BROKEN at seq ${chain.broken?.seq}: ${chain.broken?.reason}`;
    return { entries: log.entries, chain: { ok: chain.ok, message } };
  });
}

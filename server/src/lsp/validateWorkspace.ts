/** "MLOps: Validate Workspace": every pipeline/params/clusters file, open or not, into the Problems panel. */
import { findWorkspaceFiles } from '../core/workspace/findFiles';
import type { ValidateWorkspaceResult } from '../protocol';
import { DiagnosticsPublisher } from './diagnostics';
import { ServerWorkspace } from './serverWorkspace';

export async function validateWorkspace(workspace: ServerWorkspace, diagnostics: DiagnosticsPublisher): Promise<ValidateWorkspaceResult> {
  diagnostics.sendStatus('validating', 'Validating workspace...');
  const result: ValidateWorkspaceResult = { files: 0, errors: 0, warnings: 0 };
  for (const root of workspace.roots) {
    for (const file of await findWorkspaceFiles(root)) {
      diagnostics.track(file);
      const count = diagnostics.validateNow(file);
      result.files++;
      result.errors += count.errors;
      result.warnings += count.warnings;
    }
  }
  diagnostics.sendStatus();
  return result;
}

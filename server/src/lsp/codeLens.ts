/**
 * Code lenses in a pipeline file: "Run Pipeline" above `stages:`, and "Run" / "Run with
 * Overrides..." above each stage. They name client commands (package.json) with the pipeline's
 * path and the stage as arguments; running is then a StartRunRequest.
 */
import { CodeLens, Range } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileKind } from '../core/workspace/workspaceFiles';
import { deref, getPair } from '../core/yaml/yamlAst';
import { ServerWorkspace } from './serverWorkspace';

/** Client commands the lenses invoke (registered in client/src/runs/runCommands.ts). */
export const RUN_STAGE_COMMAND = 'mlops.runStage';
export const RUN_STAGE_WITH_OVERRIDES_COMMAND = 'mlops.runStageWithOverrides';
export const RUN_PIPELINE_COMMAND = 'mlops.runPipeline';

export function codeLenses(doc: TextDocument, filePath: string, workspace: ServerWorkspace): CodeLens[] {
  if (fileKind(filePath) !== 'pipeline') return [];
  const parsed = workspace.cache.parse(filePath, doc.getText());
  const stages = getPair(parsed.root, 'stages');
  const map = deref(stages?.value);
  if (!stages || map?.kind !== 'map') return [];
  const at = (offset: number): Range => {
    const p = doc.positionAt(offset);
    return Range.create(p, p);
  };
  const lenses: CodeLens[] = [
    { range: at(stages.key.start), command: { title: '$(run-all) Run Pipeline', command: RUN_PIPELINE_COMMAND, arguments: [filePath] } },
  ];
  for (const stage of map.pairs) {
    lenses.push(
      { range: at(stage.key.start), command: { title: '$(play) Run', command: RUN_STAGE_COMMAND, arguments: [filePath, stage.keyText] } },
      { range: at(stage.key.start), command: { title: 'Run with Overrides...', command: RUN_STAGE_WITH_OVERRIDES_COMMAND, arguments: [filePath, stage.keyText] } },
    );
  }
  return lenses;
}

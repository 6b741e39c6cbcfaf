/**
 * Code lenses. In a pipeline file: "Run Pipeline" (and "Run Sweep" when its params file has a
 * `search:` block) above `stages:`, and "Run" / "Run with Overrides..." above each stage. In a
 * params file: "Run Sweep" above `search:`. They name client commands (package.json) with the
 * pipeline's path (and the stage) as arguments; running is then a StartRunRequest or
 * StartSweepRequest.
 */
import * as path from 'path';
import { CodeLens, Range } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileKind, paramsPathFor, readParsed } from '../core/workspace/workspaceFiles';
import { deref, getPair, getValue, ParsedYaml, stringValue } from '../core/yaml/yamlAst';
import { ServerWorkspace } from './serverWorkspace';

/** Client commands the lenses invoke (registered in client/src/runs/runCommands.ts). */
export const RUN_STAGE_COMMAND = 'mlops.runStage';
export const RUN_STAGE_WITH_OVERRIDES_COMMAND = 'mlops.runStageWithOverrides';
export const RUN_PIPELINE_COMMAND = 'mlops.runPipeline';
export const START_SWEEP_COMMAND = 'mlops.startSweep';

const SWEEP_TITLE = '$(beaker) Run Sweep...';

export function codeLenses(doc: TextDocument, filePath: string, workspace: ServerWorkspace): CodeLens[] {
  const at = (offset: number): Range => {
    const p = doc.positionAt(offset);
    return Range.create(p, p);
  };
  const kind = fileKind(filePath);
  if (kind === 'params') {
    const search = getPair(workspace.cache.parse(filePath, doc.getText()).root, 'search');
    const pipelineFile = search && pipelineOfParams(filePath, workspace);
    return search && pipelineFile ? [{ range: at(search.key.start), command: { title: SWEEP_TITLE, command: START_SWEEP_COMMAND, arguments: [pipelineFile] } }] : [];
  }
  if (kind !== 'pipeline') return [];
  const parsed = workspace.cache.parse(filePath, doc.getText());
  const stages = getPair(parsed.root, 'stages');
  const map = deref(stages?.value);
  if (!stages || map?.kind !== 'map') return [];
  const lenses: CodeLens[] = [
    { range: at(stages.key.start), command: { title: '$(run-all) Run Pipeline', command: RUN_PIPELINE_COMMAND, arguments: [filePath] } },
  ];
  const paramsFile = paramsPathFor(filePath, declaredParams(parsed), workspace.context);
  const params = readParsed(workspace.context, paramsFile);
  if (params && getPair(params.root, 'search')) {
    lenses.push({ range: at(stages.key.start), command: { title: SWEEP_TITLE, command: START_SWEEP_COMMAND, arguments: [filePath] } });
  }
  for (const stage of map.pairs) {
    lenses.push(
      { range: at(stage.key.start), command: { title: '$(play) Run', command: RUN_STAGE_COMMAND, arguments: [filePath, stage.keyText] } },
      { range: at(stage.key.start), command: { title: 'Run with Overrides...', command: RUN_STAGE_WITH_OVERRIDES_COMMAND, arguments: [filePath, stage.keyText] } },
    );
  }
  return lenses;
}

function declaredParams(pipeline: ParsedYaml): string | undefined {
  return stringValue(getValue(pipeline.root, 'params'));
}

/** The pipeline beside a params file that uses it: x.pipeline.yaml for x.params.yaml, pipeline.yaml for params.yaml. */
function pipelineOfParams(paramsFile: string, workspace: ServerWorkspace): string | undefined {
  const base = path.basename(paramsFile);
  const candidate = path.join(path.dirname(paramsFile), base === 'params.yaml' ? 'pipeline.yaml' : base.replace(/\.params\.yaml$/, '.pipeline.yaml'));
  const pipeline = readParsed(workspace.context, candidate);
  return pipeline && paramsPathFor(candidate, declaredParams(pipeline), workspace.context) === paramsFile ? candidate : undefined;
}

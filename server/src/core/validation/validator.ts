/**
 * One entry point for every face (language server, CLI): parse a file, check it against its
 * JSON Schema and the semantic rules of its kind, and return located problems.
 */
import * as path from 'path';
import { ParsedYaml } from '../yaml/yamlAst';
import { fileKind, FileKind, workspaceRootOf, WorkspaceContext } from '../workspace/workspaceFiles';
import { checkParams } from './params';
import { checkPipeline } from './pipeline';
import { Problem } from './problem';
import { schemaModels } from './schemas';

export interface ValidationResult {
  kind: FileKind;
  parsed: ParsedYaml;
  problems: Problem[];
  /** Other files the result depends on (params and clusters files, found or not). */
  uses: string[];
}

export function validateFile(filePath: string, text: string, ctx: WorkspaceContext): ValidationResult | undefined {
  const kind = fileKind(filePath);
  if (!kind) return undefined;
  const parsed = ctx.cache.parse(filePath, text);
  const problems: Problem[] = parsed.problems.map((p) => ({ ...p, severity: 'error' as const }));
  const root = parsed.root;
  if (root === undefined || (root.kind === 'scalar' && root.value === null)) {
    if (parsed.problems.length === 0) {
      problems.push({ start: 0, end: 0, severity: 'error', code: 'empty-file', message: emptyMessage(kind) });
    }
    return { kind, parsed, problems, uses: [] };
  }
  schemaModels[kind].validateDocument(root, text, problems, parsed.blankedLineStarts);
  const uses: string[] = [];
  if (kind === 'pipeline') {
    const links = checkPipeline(parsed, filePath, ctx, problems);
    const clusterCandidates = [path.join(path.dirname(filePath), 'clusters.yaml'), path.join(workspaceRootOf(filePath, ctx), 'clusters.yaml')];
    if (links) uses.push(links.paramsPath, ...clusterCandidates);
  } else if (kind === 'params') checkParams(parsed, problems);
  return { kind, parsed, problems: problems.sort((a, b) => a.start - b.start || a.end - b.end), uses };
}

function emptyMessage(kind: FileKind): string {
  switch (kind) {
    case 'pipeline': return 'This pipeline file is empty. Start with apiVersion: mlops/v1, kind: Pipeline, name and stages.';
    case 'params': return 'This params file is empty. Add hyperparameters, e.g. train: { lr: 0.001 }.';
    case 'clusters': return "This clusters file is empty. Add 'clusters:' with one profile (host, user, account).";
  }
}

/**
 * How the validator sees the workspace: file kinds, the files a pipeline refers to (params,
 * clusters), and a parse cache so that a keystroke in one file does not re-parse the others.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MAX_YAML_BYTES, parseYaml, ParsedYaml, reparse } from '../yaml/yamlAst';
import { findProjectRoot } from './projectRoot';

export type FileKind = 'pipeline' | 'params' | 'clusters';

/** Recognised by name alone, whatever language id an editor sends. */
export function fileKind(filePath: string): FileKind | undefined {
  const base = path.basename(filePath);
  if (base === 'pipeline.yaml' || (base.endsWith('.pipeline.yaml') && base.length > 14)) return 'pipeline';
  if (base === 'params.yaml' || (base.endsWith('.params.yaml') && base.length > 12)) return 'params';
  if (base === 'clusters.yaml') return 'clusters';
  return undefined;
}

/** Where file contents come from: the editor's open buffers first, then the disk. */
export interface FileSource {
  read(filePath: string): string | undefined;
  exists(filePath: string): boolean;
}

/**
 * Reads a regular file of at most MAX_YAML_BYTES. A path from a manifest may name a FIFO or a
 * device (`params: /dev/zero`): reading those would block or exhaust memory.
 */
export function readRegularFile(filePath: string): string | undefined {
  try {
    const stat = fs.statSync(filePath);
    if (!stat.isFile() || stat.size > MAX_YAML_BYTES) return undefined;
    return fs.readFileSync(filePath, 'utf8');
  } catch {
    return undefined;
  }
}

export const diskSource: FileSource = {
  read: readRegularFile,
  exists(filePath) {
    return fs.existsSync(filePath);
  },
};

export class ParseCache {
  private readonly entries = new Map<string, ParsedYaml>();

  /** Parses `text`, reusing the last result for this path: whole when unchanged, in part after an edit. */
  parse(filePath: string, text: string): ParsedYaml {
    const hit = this.entries.get(filePath);
    if (hit && hit.text === text) return hit;
    const parsed = hit ? reparse(hit, text) : parseYaml(text);
    this.entries.set(filePath, parsed);
    return parsed;
  }

  forget(filePath: string): void {
    this.entries.delete(filePath);
  }
}

export interface WorkspaceContext {
  source: FileSource;
  cache: ParseCache;
  /** Workspace folders (absolute); clusters.yaml is also looked up at their roots. */
  roots: string[];
}

export function readParsed(ctx: WorkspaceContext, filePath: string): ParsedYaml | undefined {
  const text = ctx.source.read(filePath);
  return text === undefined ? undefined : ctx.cache.parse(filePath, text);
}

/** The params file of a pipeline: its `params:` value, else x.params.yaml beside x.pipeline.yaml, else params.yaml. */
export function paramsPathFor(pipelinePath: string, declared: string | undefined, ctx: WorkspaceContext): string {
  const dir = path.dirname(pipelinePath);
  if (declared) return path.resolve(dir, declared);
  const base = path.basename(pipelinePath);
  if (base.endsWith('.pipeline.yaml')) {
    const sibling = path.join(dir, `${base.slice(0, -'.pipeline.yaml'.length)}.params.yaml`);
    if (ctx.source.exists(sibling)) return sibling;
  }
  return path.join(dir, 'params.yaml');
}

/** clusters.yaml beside the pipeline, then at the root of the workspace folder holding it. */
export function clustersPathFor(pipelinePath: string, ctx: WorkspaceContext): string | undefined {
  const beside = path.join(path.dirname(pipelinePath), 'clusters.yaml');
  if (ctx.source.exists(beside)) return beside;
  const root = workspaceRootOf(pipelinePath, ctx);
  const atRoot = path.join(root, 'clusters.yaml');
  return ctx.source.exists(atRoot) ? atRoot : undefined;
}

/** The workspace folder holding a file (the deepest one), else the file's own directory. */
export function workspaceRootOf(filePath: string, ctx: WorkspaceContext): string {
  const holders = ctx.roots.filter((r) => isInside(r, filePath)).sort((a, b) => b.length - a.length);
  return holders[0] ?? path.dirname(filePath);
}

/** The project root holding the `.mlops/` cache that a pipeline's snapshot ids refer to (see projectRoot.ts). */
export function projectRootOf(filePath: string, ctx: WorkspaceContext): string {
  return findProjectRoot(path.dirname(filePath), (dir) => ctx.source.exists(path.join(dir, '.mlops')) || ctx.source.exists(path.join(dir, '.git')));
}

export function isInside(root: string, filePath: string): boolean {
  const rel = path.relative(root, filePath);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

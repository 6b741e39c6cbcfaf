/** `mlops validate [PATHS...] [--format text|json|sarif]`: the editor's validator from a terminal or CI. */
import * as fs from 'fs';
import * as path from 'path';
import { validateFile } from '../core/validation/validator';
import { LineIndex } from '../core/yaml/lineIndex';
import { findWorkspaceFiles } from '../core/workspace/findFiles';
import { diskSource, isInside, ParseCache, WorkspaceContext } from '../core/workspace/workspaceFiles';
import { parseArgs, UsageError } from './args';
import { formatJson, formatSarif, formatText, ReportedProblem } from './reportFormats';

export const VALIDATE_USAGE = 'mlops validate [PATHS...] [--format text|json|sarif]';

export async function validateCommand(argv: string[], out: NodeJS.WritableStream, version: string): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['format']));
  const format = String(options.get('format') ?? (options.has('json') ? 'json' : 'text'));
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown --format '${format}': use text, json or sarif`);
  const targets = positionals.length ? positionals : ['.'];
  const files: string[] = [];
  for (const t of targets) {
    if (!fs.existsSync(t)) throw new UsageError(`${t}: no such file or directory`);
    files.push(...(await findWorkspaceFiles(t)));
  }
  // The workspace is the current directory (clusters.yaml at its root serves every pipeline under
  // it), plus the folder of any target outside it.
  const outside = targets.map((t) => path.resolve(fs.statSync(t).isDirectory() ? t : path.dirname(t))).filter((r) => !isInside(process.cwd(), r));
  const ctx: WorkspaceContext = { source: diskSource, cache: new ParseCache(), roots: [process.cwd(), ...outside] };
  const reported: ReportedProblem[] = [];
  let checked = 0;
  for (const file of files) {
    const text = diskSource.read(file);
    if (text === undefined) {
      reported.push({ file: display(file), line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', code: 'unreadable-file', message: `Cannot read ${file}. Check its permissions.` });
      continue;
    }
    const result = validateFile(file, text, ctx);
    if (!result) continue; // a YAML file that is not one of ours, named explicitly
    checked++;
    const lines = new LineIndex(text);
    for (const p of result.problems) {
      const s = lines.positionAt(p.start);
      const e = lines.positionAt(p.end);
      reported.push({ file: display(file), line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1, severity: p.severity, code: p.code, message: p.message });
    }
  }
  if (format === 'json') out.write(formatJson(reported));
  else if (format === 'sarif') out.write(formatSarif(reported, process.cwd(), version));
  else out.write(formatText(reported, checked));
  return reported.some((p) => p.severity === 'error') ? 1 : 0;
}

function display(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

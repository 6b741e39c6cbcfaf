/** Output formats of `mlops validate`: text for people, JSON for scripts, SARIF 2.1.0 for code scanning. */
import * as path from 'path';
import type { Severity } from '../core/validation/problem';

/** One problem as the CLI prints it; line and column are 1-based. */
export interface ReportedProblem {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
}

export function formatText(problems: ReportedProblem[], filesChecked: number): string {
  const lines = problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.severity} ${p.message} [${p.code}]`);
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.filter((p) => p.severity === 'warning').length;
  lines.push(`${filesChecked} file(s) checked: ${errors} error(s), ${warnings} warning(s).`);
  return lines.join('\n') + '\n';
}

export function formatJson(problems: ReportedProblem[]): string {
  return JSON.stringify(problems.map(({ file, line, column, severity, code, message }) => ({ file, line, column, severity, code, message })), null, 2) + '\n';
}

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'note' };

export function formatSarif(problems: ReportedProblem[], baseDir: string, toolVersion: string): string {
  const codes = [...new Set(problems.map((p) => p.code))].sort();
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'mlops-workbench',
          informationUri: 'https://github.com/mlops-workbench/mlops-workbench',
          version: toolVersion,
          rules: codes.map((id) => ({ id, name: id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()), shortDescription: { text: `MLOps Workbench rule ${id}` } })),
        },
      },
      originalUriBaseIds: { SRCROOT: { uri: pathToUri(baseDir) + '/' } },
      results: problems.map((p) => ({
        ruleId: p.code,
        ruleIndex: codes.indexOf(p.code),
        level: SARIF_LEVEL[p.severity],
        message: { text: p.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: relativeUri(baseDir, p.file), uriBaseId: 'SRCROOT' },
            region: { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: Math.max(p.endColumn, p.line === p.endLine ? p.column + 1 : 1) },
          },
        }],
      })),
    }],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

function relativeUri(baseDir: string, file: string): string {
  const rel = path.relative(baseDir, file);
  const usable = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
  return usable.split(path.sep).map(encodeURIComponent).join('/');
}

function pathToUri(p: string): string {
  return 'file://' + p.split(path.sep).map(encodeURIComponent).join('/');
}

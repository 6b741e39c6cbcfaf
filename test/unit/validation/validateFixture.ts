/**
 * Validates in-memory workspaces with a fake FileSource, and reports problems with 1-based line
 * numbers so that tests read like `assert.deepEqual(codesAt(r.problems, 'unknown-stage'), [37])`.
 *
 * A workspace is a map of workspace-relative path -> text (files that can be read) plus a list of
 * paths that merely exist (data, scripts, cache objects). Every parent directory of a listed path
 * exists too. The workspace root is /ws unless a test says otherwise.
 */
import assert from 'node:assert/strict';
import * as path from 'path';
import { validateFile, ValidationResult } from '../../../server/src/core/validation/validator';
import { Fix, Problem, Severity } from '../../../server/src/core/validation/problem';
import { FileSource, ParseCache, WorkspaceContext } from '../../../server/src/core/workspace/workspaceFiles';
import { BASE_CLUSTERS, BASE_EXISTING, BASE_PARAMS, BASE_PIPELINE } from './baseWorkspace';

export const ROOT = '/ws';

export interface Workspace {
  /** Readable files, by path relative to the root (or absolute). */
  files: Record<string, string>;
  /** Paths that exist but are not read (data, scripts, cache objects). */
  existing?: string[];
  /** Workspace folders (absolute); default [ROOT]. */
  roots?: string[];
}

export interface LocatedProblem extends Problem {
  /** 1-based line of `start`. */
  line: number;
  /** 1-based line of `end`. */
  endLine: number;
  /** 1-based column of `start`. */
  column: number;
  /** The text the problem covers. */
  covered: string;
}

export interface Checked {
  file: string;
  text: string;
  problems: LocatedProblem[];
  result: ValidationResult;
  ctx: WorkspaceContext;
}

export class MemorySource implements FileSource {
  readonly files = new Map<string, string>();
  readonly paths = new Set<string>();

  constructor(ws: Workspace) {
    for (const [p, text] of Object.entries(ws.files)) {
      const abs = abs_(p);
      this.files.set(abs, text);
      this.addWithParents(abs);
    }
    for (const p of ws.existing ?? []) this.addWithParents(abs_(p));
  }

  read(filePath: string): string | undefined {
    return this.files.get(path.resolve(filePath));
  }

  exists(filePath: string): boolean {
    return this.paths.has(path.resolve(filePath));
  }

  private addWithParents(abs: string): void {
    for (let p = abs; !this.paths.has(p); p = path.dirname(p)) {
      this.paths.add(p);
      if (path.dirname(p) === p) break;
    }
  }
}

function abs_(p: string): string {
  return path.isAbsolute(p) ? path.resolve(p) : path.resolve(ROOT, p);
}

/** 1-based line of an offset (a CR before the LF belongs to the line it ends). */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Validates `file` (relative to the root) in the workspace `ws`. */
export function validateIn(ws: Workspace, file: string): Checked {
  const source = new MemorySource(ws);
  const ctx: WorkspaceContext = { source, cache: new ParseCache(), roots: ws.roots ?? [ROOT] };
  const absFile = abs_(file);
  const text = source.read(absFile);
  assert.ok(text !== undefined, `fixture has no file ${file}`);
  const result = validateFile(absFile, text, ctx);
  assert.ok(result, `${file} is not recognised as a pipeline, params or clusters file`);
  return { file: absFile, text, problems: locate(text, result.problems), result, ctx };
}

export function locate(text: string, problems: Problem[]): LocatedProblem[] {
  return problems.map((p) => ({
    ...p,
    line: lineAt(text, p.start),
    endLine: lineAt(text, p.end),
    column: p.start - (text.lastIndexOf('\n', p.start - 1) + 1) + 1,
    covered: text.slice(p.start, p.end),
  }));
}

/** The base workspace (sample pipeline, params and clusters, every referenced path present) with overrides. */
export function baseWorkspace(over: Partial<Record<'pipeline.yaml' | 'params.yaml' | 'clusters.yaml', string | null>> & { extraFiles?: Record<string, string>; extraExisting?: string[] } = {}): Workspace {
  const files: Record<string, string> = {};
  const pick = (name: 'pipeline.yaml' | 'params.yaml' | 'clusters.yaml', base: string): void => {
    const v = over[name];
    if (v === null) return; // removed
    files[name] = v ?? base;
  };
  pick('pipeline.yaml', BASE_PIPELINE);
  pick('params.yaml', BASE_PARAMS);
  pick('clusters.yaml', BASE_CLUSTERS);
  Object.assign(files, over.extraFiles ?? {});
  return { files, existing: [...BASE_EXISTING, ...(over.extraExisting ?? [])] };
}

export function validatePipeline(text: string, over: Parameters<typeof baseWorkspace>[0] = {}): Checked {
  return validateIn(baseWorkspace({ ...over, 'pipeline.yaml': text }), 'pipeline.yaml');
}

export function validateParams(text: string, over: Parameters<typeof baseWorkspace>[0] = {}): Checked {
  return validateIn(baseWorkspace({ ...over, 'params.yaml': text }), 'params.yaml');
}

export function validateClusters(text: string, over: Parameters<typeof baseWorkspace>[0] = {}): Checked {
  return validateIn(baseWorkspace({ ...over, 'clusters.yaml': text }), 'clusters.yaml');
}

// ---------------------------------------------------------------- queries and assertions

/** Sorted 1-based start lines of the problems with this code. */
export function codesAt(problems: LocatedProblem[], code: string): number[] {
  return problems.filter((p) => p.code === code).map((p) => p.line).sort((a, b) => a - b);
}

export function withCode(problems: LocatedProblem[], code: string): LocatedProblem[] {
  return problems.filter((p) => p.code === code);
}

/** A compact, readable listing for assertion messages: "37 error unknown-stage: message". */
export function listing(problems: LocatedProblem[]): string {
  if (problems.length === 0) return '(no problems)';
  return problems.map((p) => `  ${p.line}:${p.column} ${p.severity} ${p.code}: ${p.message}`).join('\n');
}

/** `line severity code` triples, sorted, for exact comparisons. */
export function summary(problems: LocatedProblem[]): string[] {
  return problems.map((p) => `${p.line} ${p.severity} ${p.code}`).sort(byLine);
}

function byLine(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);
}

export function assertNoProblems(r: Checked, what = 'document'): void {
  assert.equal(r.problems.length, 0, `expected no problems in ${what}, got:\n${listing(r.problems)}`);
}

export interface Expected { line: number; code: string; severity: Severity }

/** Exactly these problems (line, code, severity), nothing else. */
export function assertOnly(r: Checked, expected: Expected[]): void {
  assert.deepEqual(summary(r.problems), expected.map((e) => `${e.line} ${e.severity} ${e.code}`).sort(byLine),
    `problems were:\n${listing(r.problems)}`);
}

/** At least one problem with this code at this line and with this severity; returns it. */
export function assertHas(r: Checked, e: Expected): LocatedProblem {
  const hit = r.problems.find((p) => p.code === e.code && p.line === e.line);
  assert.ok(hit, `expected ${e.severity} ${e.code} at line ${e.line}; problems were:\n${listing(r.problems)}`);
  assert.equal(hit.severity, e.severity, `severity of ${e.code} at line ${e.line}: ${hit.message}`);
  return hit;
}

/** No problem with this code anywhere. */
export function assertNone(r: Checked, code: string): void {
  const hits = withCode(r.problems, code);
  assert.equal(hits.length, 0, `expected no ${code}; problems were:\n${listing(r.problems)}`);
}

// ---------------------------------------------------------------- editing helpers

/** The 1-based line of the only occurrence of `needle` (fails when absent or ambiguous). */
export function lineOf(text: string, needle: string, occurrence?: number): number {
  const at: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) at.push(i);
  assert.ok(at.length > 0, `'${needle}' not found in the fixture`);
  if (occurrence === undefined) assert.equal(at.length, 1, `'${needle}' occurs ${at.length} times in the fixture`);
  return lineAt(text, at[(occurrence ?? 1) - 1]);
}

/** Replaces the only occurrence of `from` with `to` (fails when absent or ambiguous). */
export function edit(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  assert.ok(first >= 0, `'${from}' not found in the fixture`);
  assert.equal(text.indexOf(from, first + 1), -1, `'${from}' occurs more than once in the fixture`);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

/** Removes the lines [from, to] (1-based, inclusive). */
export function removeLines(text: string, from: number, to = from): string {
  const lines = text.split('\n');
  lines.splice(from - 1, to - from + 1);
  return lines.join('\n');
}

/** Removes a top-level block: the line `key:` and every following indented, blank or comment line. */
export function removeTopLevel(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${key}:`));
  assert.ok(start >= 0, `no top-level '${key}:'`);
  let end = start + 1;
  while (end < lines.length && (lines[end].startsWith(' ') || lines[end].trim() === '')) end++;
  lines.splice(start, end - start);
  return lines.join('\n');
}

/** Applies the edits of a fix to the text (edits are non-overlapping offsets in the original text). */
export function applyFix(text: string, fix: Fix): string {
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** A did-you-mean: the message names `suggestion` and a fix replaces exactly `wrong` with it. */
export function assertSuggests(r: Checked, p: LocatedProblem, wrong: string, suggestion: string): void {
  assert.match(p.message, new RegExp(`\\b${escapeRe(suggestion)}\\b`), `message should suggest '${suggestion}': ${p.message}`);
  const fix = (p.fixes ?? []).find((f) => f.edits.some((e) => e.newText === suggestion));
  assert.ok(fix, `no fix replacing '${wrong}' with '${suggestion}' (fixes: ${JSON.stringify(p.fixes ?? [])})`);
  assert.equal(fix.edits.length, 1);
  assert.equal(r.text.slice(fix.edits[0].start, fix.edits[0].end), wrong, 'the fix replaces the misspelt text');
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

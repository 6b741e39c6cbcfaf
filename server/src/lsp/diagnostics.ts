/**
 * Validation and publishing of diagnostics. Changes are coalesced per file (the newest text
 * wins) and validated on the next turn of the event loop, so there is no artificial delay.
 */
import { Connection, Diagnostic, DiagnosticSeverity } from 'vscode-languageserver/node';
import { URI } from 'vscode-uri';
import { Problem, Severity } from '../core/validation/problem';
import { validateFile } from '../core/validation/validator';
import { LineIndex } from '../core/yaml/lineIndex';
import { fileKind } from '../core/workspace/workspaceFiles';
import type { DiagnosticFixData } from '../protocol';
import { ServerStatusNotification } from '../protocol';
import { ServerWorkspace } from './serverWorkspace';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information,
};
export const DIAGNOSTIC_SOURCE = 'mlops';

export class DiagnosticsPublisher {
  private readonly pending = new Set<string>();
  private scheduled = false;
  /** Files whose diagnostics are shown although they are not open (after "Validate Workspace"). */
  private readonly tracked = new Set<string>();
  private readonly counts = new Map<string, { errors: number; warnings: number }>();
  enabled = true;

  constructor(private readonly connection: Connection, private readonly workspace: ServerWorkspace) {}

  /** Validate `filePath` soon, and every pipeline that depends on it. */
  schedule(filePath: string): void {
    if (!fileKind(filePath)) return;
    this.pending.add(filePath);
    for (const dependent of this.workspace.dependentsOf(filePath)) {
      if (this.workspace.documentAt(dependent) || this.tracked.has(dependent)) this.pending.add(dependent);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Keep showing a file's diagnostics when it is closed (workspace validation) or clear them. */
  closed(filePath: string): void {
    if (this.tracked.has(filePath)) this.schedule(filePath);
    else this.clear(filePath);
  }

  track(filePath: string): void {
    this.tracked.add(filePath);
  }

  isTracked(filePath: string): boolean {
    return this.tracked.has(filePath);
  }

  clear(filePath: string): void {
    this.counts.delete(filePath);
    this.workspace.forgetLinks(filePath);
    void this.connection.sendDiagnostics({ uri: URI.file(filePath).toString(), diagnostics: [] });
  }

  private flush(): void {
    this.scheduled = false;
    const files = [...this.pending];
    this.pending.clear();
    for (const file of files) this.validateNow(file);
    this.sendStatus();
  }

  /** Validates and publishes one file; returns its problem counts. */
  validateNow(filePath: string): { errors: number; warnings: number } {
    const doc = this.workspace.documentAt(filePath);
    const text = doc ? doc.getText() : this.workspace.read(filePath);
    if (text === undefined || (!doc && !this.tracked.has(filePath))) {
      this.clear(filePath);
      return { errors: 0, warnings: 0 };
    }
    let diagnostics: Diagnostic[];
    try {
      diagnostics = this.enabled ? this.diagnose(filePath, text) : [];
    } catch (err) {
      this.connection.console.error(`validation of ${filePath} failed: ${err instanceof Error ? err.stack : String(err)}`);
      diagnostics = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error,
        source: DIAGNOSTIC_SOURCE, code: 'internal-error', message: 'MLOps could not check this file (internal error; see the MLOps output channel).' }];
    }
    const count = {
      errors: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length,
      warnings: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning).length,
    };
    this.counts.set(filePath, count);
    void this.connection.sendDiagnostics({ uri: URI.file(filePath).toString(), version: doc?.version, diagnostics });
    return count;
  }

  private diagnose(filePath: string, text: string): Diagnostic[] {
    const ctx = this.workspace.context;
    const result = validateFile(filePath, text, ctx);
    if (!result) return [];
    if (result.kind === 'pipeline') this.workspace.recordLinks(filePath, result.uses);
    const lines = new LineIndex(text);
    return result.problems.map((p) => toDiagnostic(p, lines));
  }

  sendStatus(state: 'ready' | 'validating' = 'ready', detail?: string): void {
    let errors = 0;
    let warnings = 0;
    for (const c of this.counts.values()) {
      errors += c.errors;
      warnings += c.warnings;
    }
    void this.connection.sendNotification(ServerStatusNotification, {
      state, errors, warnings, detail: detail ?? `${this.counts.size} file(s) checked: ${errors} error(s), ${warnings} warning(s)`,
    });
  }
}

export function toDiagnostic(p: Problem, lines: LineIndex): Diagnostic {
  const data: DiagnosticFixData = {
    fixes: (p.fixes ?? []).map((f) => ({ title: f.title, preferred: f.preferred, edits: f.edits.map((e) => ({ range: lines.range(e.start, e.end), newText: e.newText })) })),
  };
  return { range: lines.range(p.start, p.end), severity: SEVERITY[p.severity], code: p.code, source: DIAGNOSTIC_SOURCE, message: p.message, data };
}

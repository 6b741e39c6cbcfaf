/** Quick fixes: the fixes the validator attached to each diagnostic (did-you-mean, insert a key or block). */
import { CodeAction, CodeActionKind, CodeActionParams } from 'vscode-languageserver/node';
import type { DiagnosticFixData } from '../protocol';
import { DIAGNOSTIC_SOURCE } from './diagnostics';

export function codeActions(params: CodeActionParams): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
    const data = diagnostic.data as DiagnosticFixData | undefined;
    for (const fix of data?.fixes ?? []) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.preferred,
        edit: { changes: { [params.textDocument.uri]: fix.edits } },
      });
    }
  }
  return actions;
}

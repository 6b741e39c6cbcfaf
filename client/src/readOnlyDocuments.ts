/**
 * Read-only documents made of text the server sends: a snapshot comparison, a commit, a snapshot's
 * file list. Unlike untitled documents they never ask to be saved, and they stay read-only.
 */
import * as vscode from 'vscode';

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  static readonly scheme = 'mlops-view';
  private readonly texts = new Map<string, string>();
  private readonly registration: vscode.Disposable;
  private next = 0;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(ReadOnlyDocuments.scheme, this);
  }

  /** Opens the text as a read-only document named `title`, in the given language (e.g. `diff`). */
  async show(title: string, text: string, language?: string): Promise<vscode.TextEditor> {
    // The query keeps two documents of the same title apart (e.g. two comparisons of one folder).
    const uri = vscode.Uri.from({ scheme: ReadOnlyDocuments.scheme, path: `/${title}`, query: String(++this.next) });
    this.texts.set(uri.toString(), text);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc, { preview: true });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This document is no longer available: run the command again.';
  }

  dispose(): void {
    this.registration.dispose();
    this.texts.clear();
  }
}

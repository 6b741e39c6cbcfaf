/**
 * The server's view of the workspace: open documents win over the disk, workspace folders, the
 * parse cache, and which pipelines depend on which params/clusters files (for cross-file checks).
 */
import * as fs from 'fs';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TextDocuments } from 'vscode-languageserver/node';
import { URI } from 'vscode-uri';
import { FileSource, ParseCache, readRegularFile, WorkspaceContext } from '../core/workspace/workspaceFiles';

/** Existence checks are cached this long: a 1,000-stage pipeline has thousands of deps to stat per keystroke. */
const EXISTS_TTL_MS = 1000;

export class ServerWorkspace implements FileSource {
  readonly cache = new ParseCache();
  roots: string[] = [];
  private readonly existsCache = new Map<string, { at: number; exists: boolean }>();
  /** pipeline path -> the params/clusters paths it used at its last validation. */
  private readonly links = new Map<string, Set<string>>();

  /** fs path -> URI of the open documents (a path-to-URI conversion per dependency check is too slow). */
  private readonly openUris = new Map<string, string>();

  constructor(readonly documents: TextDocuments<TextDocument>) {
    documents.onDidOpen((e) => {
      const p = uriToPath(e.document.uri);
      if (p) this.openUris.set(p, e.document.uri);
    });
    documents.onDidClose((e) => {
      const p = uriToPath(e.document.uri);
      if (p) this.openUris.delete(p);
    });
  }

  get context(): WorkspaceContext {
    return { source: this, cache: this.cache, roots: this.roots };
  }

  documentAt(filePath: string): TextDocument | undefined {
    const uri = this.openUris.get(filePath);
    return uri === undefined ? undefined : this.documents.get(uri);
  }

  read(filePath: string): string | undefined {
    const doc = this.documentAt(filePath);
    return doc ? doc.getText() : readRegularFile(filePath);
  }

  exists(filePath: string): boolean {
    if (this.documentAt(filePath)) return true;
    const now = Date.now();
    const hit = this.existsCache.get(filePath);
    if (hit && now - hit.at < EXISTS_TTL_MS) return hit.exists;
    const exists = fs.existsSync(filePath);
    this.existsCache.set(filePath, { at: now, exists });
    return exists;
  }

  /** A file was created, changed or deleted on disk. (Edits in the editor need nothing: the parse cache compares texts.) */
  changedOnDisk(filePath: string, deleted: boolean): void {
    this.existsCache.delete(filePath);
    if (deleted) this.cache.forget(filePath);
  }

  /** Files appeared or vanished outside the watched kinds (e.g. cache objects): check again. */
  forgetExistence(): void {
    this.existsCache.clear();
  }

  recordLinks(pipelinePath: string, used: string[]): void {
    this.links.set(pipelinePath, new Set(used));
  }

  /** Pipelines whose last validation read `filePath`. */
  dependentsOf(filePath: string): string[] {
    return [...this.links].filter(([, used]) => used.has(filePath)).map(([p]) => p);
  }

  forgetLinks(pipelinePath: string): void {
    this.links.delete(pipelinePath);
  }
}

export function uriToPath(uri: string): string | undefined {
  const u = URI.parse(uri);
  return u.scheme === 'file' ? u.fsPath : undefined;
}

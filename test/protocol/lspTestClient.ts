/**
 * An LSP client for protocol tests: spawns the real server (`node server/out/server.js --stdio`,
 * built by `npm run build`) and talks JSON-RPC to it over stdio, as an editor does.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CancellationToken, CompletionItem, CompletionList, createProtocolConnection, Diagnostic, DocumentSymbol, Hover, Location, MessageType, NotificationType, Position,
  ProtocolConnection, PublishDiagnosticsParams, RequestType, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { URI } from 'vscode-uri';

/** The repository root (this file runs from out/test/protocol/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVER_JS = path.join(REPO_ROOT, 'server', 'out', 'server.js');
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A fresh copy of sample/ in a temporary directory, which a test may edit freely. Its .mlops/ keeps
 * config.yaml only: a cache or store left by someone trying the sample is not copied.
 */
export function copySample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-protocol-'));
  const sample = path.join(REPO_ROOT, 'sample');
  const local = [path.join(sample, '.mlops', 'cache'), path.join(sample, '.mlops', 'mlops.db')];
  fs.cpSync(sample, dir, { recursive: true, filter: (src) => !local.some((l) => src === l || src.startsWith(`${l}-`)) });
  return dir;
}

/** A server on a fresh copy of sample/ with pipeline.yaml open: what most protocol tests start from. */
export interface SampleSession {
  dir: string;
  client: LspTestClient;
  pipelinePath: string;
  pipeline: string;
}

export async function openSample(): Promise<SampleSession> {
  const dir = copySample();
  const client = await LspTestClient.start(dir);
  const pipelinePath = path.join(dir, 'pipeline.yaml');
  const pipeline = fs.readFileSync(pipelinePath, 'utf8');
  await client.open(pipelinePath, pipeline);
  return { dir, client, pipelinePath, pipeline };
}

export async function closeSample(session: { dir: string; client: LspTestClient }): Promise<void> {
  await session.client.close();
  fs.rmSync(session.dir, { recursive: true, force: true });
}

/**
 * Text with a cursor marked by `@@`: the text without the marker and the marker's position.
 * Lets a test show where the user's cursor is, e.g. `executor: @@`.
 */
export function withCursor(marked: string): { text: string; position: Position } {
  const at = marked.indexOf('@@');
  if (at < 0) throw new Error('no @@ cursor marker in the text');
  const text = marked.slice(0, at) + marked.slice(at + 2);
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { text, position: { line, character: at - (before.lastIndexOf('\n') + 1) } };
}

/** Replaces exactly one occurrence of `find` (a test that edits the wrong place should fail loudly). */
export function replaceOnce(text: string, find: string, replacement: string): string {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0) throw new Error(`expected exactly one '${find}' in the text`);
  return text.slice(0, at) + replacement + text.slice(at + find.length);
}

export class LspTestClient {
  /** Errors and warnings the server logged, e.g. "hover failed: ..." when a feature threw. */
  readonly serverErrors: string[] = [];
  private readonly diagnostics = new Map<string, { version?: number; diagnostics: Diagnostic[] }>();
  private readonly diagnosticListeners = new Set<() => void>();
  private readonly versions = new Map<string, number>();

  private constructor(private readonly process: ChildProcess, private readonly connection: ProtocolConnection) {
    connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      this.diagnostics.set(params.uri, { version: params.version, diagnostics: params.diagnostics });
      for (const listener of [...this.diagnosticListeners]) listener();
    });
    connection.onNotification('window/logMessage', (params: { type: MessageType; message: string }) => {
      if (params.type === MessageType.Error) this.serverErrors.push(params.message);
    });
    // What the server may ask of an editor: accepted, with no settings of our own.
    for (const method of ['client/registerCapability', 'client/unregisterCapability', 'window/workDoneProgress/create', 'window/showMessageRequest']) {
      connection.onRequest(method, () => null);
    }
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => null));
  }

  /** Starts the server with `workspaceDir` as the only workspace folder and completes the handshake. */
  static async start(workspaceDir: string): Promise<LspTestClient> {
    const child = spawn(process.execPath, [SERVER_JS, '--stdio'], { cwd: workspaceDir, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr?.on('data', () => undefined); // drained so that a chatty server never blocks
    if (!child.stdout || !child.stdin) throw new Error('server stdio is not piped');
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspTestClient(child, connection);
    connection.listen();
    const rootUri = URI.file(workspaceDir).toString();
    await withTimeout(connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: path.basename(workspaceDir) }],
      capabilities: {
        textDocument: {
          completion: { completionItem: { documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          publishDiagnostics: {},
        },
        workspace: { workspaceFolders: true, configuration: true },
      },
      initializationOptions: { validationEnabled: true },
    }), 'initialize');
    await connection.sendNotification('initialized', {});
    return client;
  }

  uri(filePath: string): string {
    return URI.file(filePath).toString();
  }

  /** didOpen, with the file's text on disk unless `text` is given. */
  async open(filePath: string, text: string = fs.readFileSync(filePath, 'utf8')): Promise<void> {
    this.versions.set(filePath, 1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: this.uri(filePath), languageId: 'yaml', version: 1, text } });
  }

  /** didChange replacing the whole text, as after the user's edits. */
  async change(filePath: string, text: string): Promise<void> {
    const version = (this.versions.get(filePath) ?? 1) + 1;
    this.versions.set(filePath, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri: this.uri(filePath), version }, contentChanges: [{ text }] });
  }

  async closeDocument(filePath: string): Promise<void> {
    this.versions.delete(filePath);
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri: this.uri(filePath) } });
  }

  /**
   * The next diagnostics published for the file that satisfy `predicate` (or the current ones if
   * they do), computed for the latest text this client sent: older versions' diagnostics are ignored.
   */
  waitForDiagnostics(filePath: string, predicate: (d: Diagnostic[]) => boolean = () => true, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Diagnostic[]> {
    const uri = this.uri(filePath);
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const current = this.diagnostics.get(uri);
        const sent = this.versions.get(filePath);
        if (current === undefined || (sent !== undefined && current.version !== undefined && current.version < sent)) return false;
        if (!predicate(current.diagnostics)) return false;
        this.diagnosticListeners.delete(listener);
        clearTimeout(timer);
        resolve(current.diagnostics);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.diagnosticListeners.delete(listener);
        reject(new Error(`no matching diagnostics for ${path.basename(filePath)} within ${timeoutMs} ms; last: ${JSON.stringify(this.diagnostics.get(uri))}`));
      }, timeoutMs);
      this.diagnosticListeners.add(listener);
      check();
    });
  }

  /** The diagnostics last published for the file, or undefined if none ever were. */
  publishedFor(filePath: string): Diagnostic[] | undefined {
    return this.diagnostics.get(this.uri(filePath))?.diagnostics;
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.connection.sendNotification(method, params);
  }

  request<R>(method: string, params: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<R> {
    return withTimeout(this.connection.sendRequest<R>(method, params), method, timeoutMs);
  }

  /** A request of protocol.ts, typed by its RequestType. */
  send<P, R>(type: RequestType<P, R, unknown>, params: P, token?: CancellationToken, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<R> {
    return withTimeout(this.connection.sendRequest(type, params, token), type.method, timeoutMs);
  }

  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.connection.onNotification(type, handler);
  }

  async completion(filePath: string, position: Position): Promise<CompletionItem[]> {
    const result = await this.request<CompletionItem[] | CompletionList | null>('textDocument/completion', { textDocument: { uri: this.uri(filePath) }, position });
    return Array.isArray(result) ? result : result?.items ?? [];
  }

  hover(filePath: string, position: Position): Promise<Hover | null> {
    return this.request('textDocument/hover', { textDocument: { uri: this.uri(filePath) }, position });
  }

  definition(filePath: string, position: Position): Promise<Location[] | null> {
    return this.request('textDocument/definition', { textDocument: { uri: this.uri(filePath) }, position });
  }

  documentSymbols(filePath: string): Promise<DocumentSymbol[]> {
    return this.request('textDocument/documentSymbol', { textDocument: { uri: this.uri(filePath) } });
  }

  /** shutdown + exit, then makes sure the process is gone. */
  /** The server killed with SIGKILL, as by the OOM killer or a crash of the editor: no shutdown. */
  async kill(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGKILL');
    await exited;
    this.connection.dispose();
  }

  async close(): Promise<void> {
    try {
      await withTimeout(this.connection.sendRequest('shutdown'), 'shutdown', 3000);
      await this.connection.sendNotification('exit');
    } catch {
      // a dead or hung server is killed below
    }
    const exited = this.process.exitCode !== null || this.process.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    const killer = setTimeout(() => this.process.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killer);
    this.connection.dispose();
  }
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = DEFAULT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

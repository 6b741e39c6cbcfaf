/**
 * A minimal LSP client over stdio for benchmarks and the fuzz test: spawns a server process,
 * frames JSON-RPC messages (Content-Length), answers the server's requests, and lets callers
 * wait for notifications (publishDiagnostics in particular) with the time each one arrived.
 *
 * No dependency beyond Node: it must time servers other than ours (yaml-language-server) the
 * same way, and its own overhead must stay negligible next to what it measures.
 */
import { ChildProcess, spawn, SpawnOptions } from 'child_process';
import * as fs from 'fs';
import { performance } from 'perf_hooks';

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
export interface Diagnostic { range: Range; severity?: number; code?: string | number; source?: string; message: string; data?: unknown }
export interface PublishDiagnosticsParams { uri: string; version?: number; diagnostics: Diagnostic[] }

/** A notification as received, with the client's clock (performance.now()) at arrival. */
export interface Received<T = unknown> { method: string; params: T; at: number }

interface Waiter { method: string; match: (params: any) => boolean; resolve: (r: Received<any>) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }
interface Pending { method: string; resolve: (v: any) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }

export interface LspClientOptions {
  /** Answers `workspace/configuration` items (default: null for each). */
  configuration?: (item: { section?: string; scopeUri?: string }) => unknown;
  /** Timeout of requests and waits, in ms (default 30 s). */
  timeoutMs?: number;
  /** Keep at most this many characters of the server's stderr (default 64 KiB). */
  stderrLimit?: number;
  spawnOptions?: SpawnOptions;
}

export class LspStdioClient {
  readonly proc: ChildProcess;
  private buffer: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: Waiter[] = [];
  /** Every notification received, in order (callers may trim it). */
  readonly notifications: Received[] = [];
  /** Called for every notification, as it arrives. */
  readonly listeners: ((n: Received) => void)[] = [];
  /** Requests the server sent to us (method names), for tests to inspect. */
  readonly serverRequests: string[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;
  readonly exited: Promise<void>;
  private readonly timeoutMs: number;

  constructor(command: string, args: string[], private readonly options: LspClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options.spawnOptions });
    this.proc.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    const limit = options.stderrLimit ?? 65536;
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      if (this.stderr.length > limit) this.stderr = this.stderr.slice(-limit);
    });
    this.proc.stdin!.on('error', () => undefined); // EPIPE after a crash is reported through `exited`
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        const err = new Error(`server exited (code ${code}, signal ${signal}); stderr tail:\n${this.stderr.slice(-4000)}`);
        for (const p of this.pending.values()) {
          if (p.timer) clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        for (const w of this.waiters.splice(0)) {
          if (w.timer) clearTimeout(w.timer);
          w.reject(err);
        }
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Resident set size of the server process in KiB (Linux /proc), or undefined. */
  rssKiB(field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  // ---- sending ----

  private write(message: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.proc.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  notify(method: string, params?: unknown): void {
    this.write({ method, params });
  }

  request<T = any>(method: string, params?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`server is not running (request ${method})`));
        return;
      }
      const p: Pending = { method, resolve, reject };
      p.timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, p);
      this.write({ id, method, params });
    });
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    const at = performance.now();
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) throw new Error(`bad LSP header from server: ${header}`);
      const length = Number(m[1]);
      const start = headerEnd + 4;
      if (this.buffer.length < start + length) return;
      const body = this.buffer.subarray(start, start + length).toString('utf8');
      this.buffer = this.buffer.subarray(start + length);
      this.dispatch(JSON.parse(body), at);
    }
  }

  private dispatch(msg: any, at: number): void {
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (msg.error) p.reject(Object.assign(new Error(`${p.method} failed: ${msg.error.message}`), { code: msg.error.code }));
      else p.resolve(msg.result);
      return;
    }
    if (msg.id !== undefined) {
      this.serverRequests.push(msg.method);
      let result: unknown = null;
      if (msg.method === 'workspace/configuration') {
        const items: { section?: string; scopeUri?: string }[] = msg.params?.items ?? [];
        result = items.map((item) => (this.options.configuration ? this.options.configuration(item) : null));
      }
      this.write({ id: msg.id, result });
      return;
    }
    const received: Received = { method: msg.method, params: msg.params, at };
    this.notifications.push(received);
    if (this.notifications.length > 10_000) this.notifications.splice(0, 5_000);
    for (const l of this.listeners) l(received);
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      if (w.method === msg.method && w.match(msg.params)) {
        this.waiters.splice(i--, 1);
        if (w.timer) clearTimeout(w.timer);
        w.resolve(received);
      }
    }
  }

  /** Resolves with the next notification `method` (from now on) whose params match. */
  waitFor<T = any>(method: string, match: (params: T) => boolean = () => true, timeoutMs = this.timeoutMs): Promise<Received<T>> {
    return new Promise((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`server is not running (waiting for ${method})`));
        return;
      }
      const w: Waiter = { method, match, resolve, reject };
      w.timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The next publishDiagnostics for `uri` (and `version`, when given). */
  waitForDiagnostics(uri: string, version?: number, timeoutMs = this.timeoutMs): Promise<Received<PublishDiagnosticsParams>> {
    return this.waitFor<PublishDiagnosticsParams>('textDocument/publishDiagnostics',
      (p) => p.uri === uri && (version === undefined || p.version === version), timeoutMs);
  }

  // ---- LSP conveniences ----

  async initialize(rootUri: string, initializationOptions?: unknown, extraCapabilities: Record<string, unknown> = {}): Promise<any> {
    const result = await this.request('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'workspace' }],
      initializationOptions,
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          synchronization: { dynamicRegistration: false, didSave: true },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          completion: { completionItem: { snippetSupport: true } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
        },
        ...extraCapabilities,
      },
    });
    this.notify('initialized', {});
    return result;
  }

  didOpen(uri: string, text: string, version = 1, languageId = 'yaml'): void {
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  didChangeFull(uri: string, version: number, text: string): void {
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  didChangeRange(uri: string, version: number, range: Range, text: string): void {
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text }] });
  }

  didClose(uri: string): void {
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  /** shutdown + exit, then waits for the process (kills it after `graceMs`). */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    try {
      await this.request('shutdown', null, graceMs);
      this.notify('exit');
    } catch {
      // fall through to the kill below
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

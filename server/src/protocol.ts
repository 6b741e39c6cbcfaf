/**
 * The typed contract between the extension (client/) and the language server: every custom
 * method name and payload. Imported by both sides; nothing else may name a method string.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

export type ServerState = 'starting' | 'ready' | 'validating' | 'error';

export interface ServerStatusParams {
  state: ServerState;
  /** Shown in the status bar tooltip. */
  detail: string;
  /** Problems currently published, for the status bar text. */
  errors: number;
  warnings: number;
}

/** Server -> client: the server's state changed (drives the status-bar item). */
export const ServerStatusNotification = new NotificationType<ServerStatusParams>('mlops/serverStatus');

export interface ValidateWorkspaceResult {
  files: number;
  errors: number;
  warnings: number;
}

/** Client -> server: validate every pipeline/params/clusters file in the workspace, open or not. */
export const ValidateWorkspaceRequest = new RequestType<Record<string, never>, ValidateWorkspaceResult, void>('mlops/validateWorkspace');

/**
 * Node flags the client starts the server with. The server works in short synchronous bursts on
 * small heaps: a 1 MiB young generation and no V8 helper threads keep it near 50 MiB idle and
 * about half of yaml-language-server's memory with a 1,000-stage pipeline open (npm run bench:lsp).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'];

/** Settings the client forwards at start (initializationOptions). */
export interface InitializationOptions {
  /** The `mlops.validation.enable` setting. */
  validationEnabled: boolean;
}

/** Attached to each diagnostic (LSP `data`): the quick fixes computed with it, ready to apply. */
export interface DiagnosticFixData {
  fixes: { title: string; preferred?: boolean; edits: { range: LspRange; newText: string }[] }[];
}
interface LspRange { start: { line: number; character: number }; end: { line: number; character: number } }

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

// PLACEHOLDER: being written by a helper.
import { CompletionItem, Position } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ServerWorkspace } from './serverWorkspace';
export const COMPLETION_TRIGGERS = ['.', ':', ' ', '{', '['];
export function completions(_doc: TextDocument, _filePath: string, _position: Position, _workspace: ServerWorkspace): CompletionItem[] { return []; }

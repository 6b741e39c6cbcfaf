// PLACEHOLDER: being written by a helper.
import { Hover, Position } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ServerWorkspace } from './serverWorkspace';
export function hover(_doc: TextDocument, _filePath: string, _position: Position, _workspace: ServerWorkspace): Hover | null { return null; }

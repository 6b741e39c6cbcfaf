// PLACEHOLDER: being written by a helper.
import { Location, Position } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ServerWorkspace } from './serverWorkspace';
export function definition(_doc: TextDocument, _filePath: string, _position: Position, _workspace: ServerWorkspace): Location[] | null { return null; }

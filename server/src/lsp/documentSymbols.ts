// PLACEHOLDER: being written by a helper.
import { DocumentSymbol } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ServerWorkspace } from './serverWorkspace';
export function documentSymbols(_doc: TextDocument, _filePath: string, _workspace: ServerWorkspace): DocumentSymbol[] { return []; }

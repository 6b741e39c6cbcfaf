/**
 * Go to definition: from a name to where it is defined. `${params.train.lr}` and a stage's
 * `params` entry lead to the key in the params file, a `needs` entry to the stage, `cluster` to
 * clusters.yaml, `data.NAME` and the drift reference to the dataset, `image.dockerfile` to the
 * Dockerfile; in params.yaml a search space key leads to its parameter.
 */
import { Location, Position, Range } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { LineIndex } from '../core/yaml/lineIndex';
import { cursorContext, referenceAt } from './cursorContext';
import { ServerWorkspace } from './serverWorkspace';

export function definition(doc: TextDocument, filePath: string, position: Position, workspace: ServerWorkspace): Location[] | null {
  const c = cursorContext(doc.getText(), filePath, doc.offsetAt(position), workspace.context);
  if (!c || c.token.start === c.token.end) return null;
  const target = referenceAt(c, filePath, workspace.context)?.target;
  if (!target) return null;
  const { parsed, pair } = target;
  // A whole file (a Dockerfile) opens at its start.
  const range = parsed && pair ? new LineIndex(parsed.text).range(pair.key.start, pair.key.end) : Range.create(0, 0, 0, 0);
  return [Location.create(URI.file(target.filePath).toString(), range)];
}

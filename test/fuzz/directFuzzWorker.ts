/**
 * The in-process fuzz, run in a worker thread so that an input that makes the parser loop forever
 * is caught by the test's watchdog (which then terminates the worker) instead of hanging the test.
 * Before each edit it posts the input to the main thread; at the end, its results.
 * Nothing happens when this file is loaded outside such a worker.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMainThread, parentPort, workerData } from 'worker_threads';
import { generateWorkspace } from '../../bench/pipelineGenerator';
import { validateFile } from '../../server/src/core/validation/validator';
import { parseYaml, reparse } from '../../server/src/core/yaml/yamlAst';
import { mutate, randomDocument, Rng } from './fuzzInputs';
import { FullParseCache, memoSource, treeKey } from './fuzzSupport';

export interface DirectFuzzOptions { kind: 'direct-fuzz'; seed: number; edits: number; repo: string; loneCr: boolean; maxFindings: number }
export type DirectFuzzMessage =
  | { type: 'input'; file: string; before: string; next: string; ops: string }
  | { type: 'done'; done: number; incrementalHits: number; findings: { message: string; file: string; before: string; next: string }[] };

const FILES = ['pipeline.yaml', 'params.yaml', 'clusters.yaml'];

function run(o: DirectFuzzOptions, post: (m: DirectFuzzMessage) => void): void {
  const rng = new Rng(o.seed ^ 0x5bd1e995);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-fuzz-direct-'));
  fs.cpSync(path.join(o.repo, 'sample'), dir, { recursive: true });
  const originals = FILES.map((f) => ({ name: f, path: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
  const generated = generateWorkspace(40).pipeline; // realistic stages, for the incremental path
  const source = memoSource();
  const cache = new FullParseCache();
  const findings: { message: string; file: string; before: string; next: string }[] = [];
  let done = 0;
  let incrementalHits = 0;
  try {
    while (done < o.edits && findings.length < o.maxFindings) {
      // A chain of edits on one file, as the server sees them: each re-parse starts from the last
      // tree. An edit that breaks the syntax is checked, then undone (a broken tree is never
      // re-parsed incrementally, so the chain goes on from the last valid one).
      const file = rng.pick(originals);
      const r = rng.next();
      let prev = parseYaml(r < 0.08 ? randomDocument(rng).text : r < 0.3 ? generated : file.text);
      for (let k = 0; k < 25 && done < o.edits; k++, done++) {
        const m = mutate(rng, prev.text, rng.chance(0.8), o.loneCr);
        const next = m.text;
        const before = prev.text;
        const ops = m.ops.join('; ');
        post({ type: 'input', file: file.name, before, next, ops });
        const prevRoot = prev.root;
        const inc = reparse(prev, next);
        const full = parseYaml(next);
        if (prevRoot && inc.root === prevRoot) incrementalHits++; // the previous tree was reused
        if (treeKey(inc) !== treeKey(full)) {
          findings.push({ message: `the incremental re-parse differs from a full parse on ${file.name} after ${ops}`, file: file.name, before, next });
          prev = parseYaml(before);
          continue;
        }
        try {
          cache.put(file.path, full);
          const result = validateFile(file.path, next, { source, cache, roots: [dir] });
          for (const p of result?.problems ?? []) {
            if (!(p.start >= 0 && p.start <= p.end && p.end <= next.length)) {
              findings.push({ message: `problem ${p.code} at ${p.start}-${p.end} is outside the text (length ${next.length}) of ${file.name} after ${ops}`, file: file.name, before, next });
            }
          }
        } catch (err) {
          findings.push({ message: `validateFile throws on ${file.name} after ${ops}: ${(err as Error).stack}`, file: file.name, before, next });
        }
        prev = full.problems.length === 0 || prevRoot === undefined ? inc : parseYaml(before);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  post({ type: 'done', done, incrementalHits, findings });
}

if (!isMainThread && (workerData as DirectFuzzOptions | undefined)?.kind === 'direct-fuzz' && parentPort) {
  const port = parentPort;
  run(workerData as DirectFuzzOptions, (m) => port.postMessage(m));
}

/**
 * The helper thread of a big walk (walk.ts): it claims chunks of files from the last one back until
 * it meets the walking thread, and writes each file's stamp into shared memory; mode -1 when the
 * lstat failed (the walking thread then stats that file again itself, for the error message).
 * Bundled on its own as server/out/statWorker.js (scripts/build.mjs); under `tsc` it sits beside
 * walk.js. Either way walk.ts finds it in its own directory.
 */
import * as fs from 'fs';
import { parentPort } from 'worker_threads';

export interface StatRequest {
  /** The folders' paths. */
  dirs: string[];
  /** The files' names, joined by NUL (one string crosses threads at the cost of a copy)... */
  names: string;
  /** ...and the index in `dirs` of each file's folder. */
  dirOf: Int32Array;
  claims: SharedArrayBuffer;
  /** Four 64-bit integers per file: mode, size, mtime (ns), inode. */
  results: SharedArrayBuffer;
  chunk: number;
  /** The states of a chunk in `claims`. */
  free: number;
  claimed: number;
  done: number;
}

parentPort?.once('message', (req: StatRequest) => {
  const names = req.names.split('\0');
  const { dirs, dirOf } = req;
  const claims = new Int32Array(req.claims);
  const out = new BigInt64Array(req.results);
  for (let c = claims.length - 1; c >= 0 && Atomics.compareExchange(claims, c, req.free, req.claimed) === req.free; c--) {
    for (let i = c * req.chunk, end = Math.min(names.length, i + req.chunk); i < end; i++) {
      let st: fs.BigIntStats | undefined;
      try {
        st = fs.lstatSync(`${dirs[dirOf[i]]}/${names[i]}`, { bigint: true, throwIfNoEntry: false });
      } catch {
        st = undefined;
      }
      if (st) {
        out[4 * i] = st.mode;
        out[4 * i + 1] = st.size;
        out[4 * i + 2] = st.mtimeNs;
        out[4 * i + 3] = st.ino;
      } else out[4 * i] = -1n;
    }
    Atomics.store(claims, c, req.done);
  }
});

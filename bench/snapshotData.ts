/**
 * Data sets for the snapshot benchmark: seeded, so that two runs (or two builds) measure the same
 * trees.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** mulberry32: a small seeded PRNG, for sizes and layout (content comes from crypto). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` files of random bytes totalling exactly `totalBytes`, sizes spread log-uniformly over
 * three orders of magnitude (a few KiB to a few tens of MiB for 1 GiB in 1,000 files), in folders
 * nested up to three deep. Returns the relative paths of the files.
 */
export function writeLargeTree(dir: string, totalBytes: number, count: number, seed = 1): string[] {
  const random = seededRandom(seed);
  const weights = Array.from({ length: count }, () => Math.exp(random() * Math.log(1000)));
  const sum = weights.reduce((s, w) => s + w, 0);
  const sizes = weights.map((w) => Math.floor((totalBytes * w) / sum));
  sizes[count - 1] += totalBytes - sizes.reduce((s, n) => s + n, 0);
  const files: string[] = [];
  const chunk = Buffer.allocUnsafe(4 << 20);
  for (let i = 0; i < count; i++) {
    // shard-N/ holds 100 files: a third at its top, the rest in part-M/ and part-M/deep/.
    const shard = `shard-${String(Math.floor(i / 100)).padStart(2, '0')}`;
    const k = i % 100;
    const folder = k < 33 ? shard : k < 66 ? `${shard}/part-${k % 3}` : `${shard}/part-${k % 3}/deep`;
    const rel = `${folder}/file-${String(i).padStart(5, '0')}.bin`;
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const fd = fs.openSync(p, 'w');
    try {
      for (let left = sizes[i]; left > 0; ) {
        const n = Math.min(left, chunk.length);
        crypto.randomFillSync(chunk, 0, n);
        fs.writeSync(fd, chunk, 0, n);
        left -= n;
      }
    } finally {
      fs.closeSync(fd);
    }
    files.push(rel);
  }
  return files;
}

/**
 * `count` small files (a few bytes to 2 KiB, random), 100 per folder, ten folders per parent:
 * `g-NN/h-N/f-NNNNNN.bin`.
 */
export function writeManySmallFiles(dir: string, count: number, seed = 2): void {
  const random = seededRandom(seed);
  const pool = crypto.randomBytes(1 << 20);
  for (let i = 0; i < count; i++) {
    const folder = `g-${String(Math.floor(i / 1000)).padStart(3, '0')}/h-${Math.floor(i / 100) % 10}`;
    if (i % 100 === 0) fs.mkdirSync(path.join(dir, folder), { recursive: true });
    const size = Math.floor(random() * 2049);
    const at = Math.floor(random() * (pool.length - size));
    // The index in the first bytes keeps every file distinct (no accidental deduplication).
    const content = Buffer.concat([Buffer.from(`${i}\n`), pool.subarray(at, at + size)]);
    fs.writeFileSync(path.join(dir, folder, `f-${String(i).padStart(6, '0')}.bin`), content);
  }
}

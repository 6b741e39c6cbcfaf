/** The hashing threads: same answers as sha256sum, store jobs, failures as results. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { HashPool } from '../../../server/src/core/snapshots/hashPool';
import { project, sha256sum } from './snapshotFixture';

const pool = new HashPool();
after(() => pool.close());

describe('HashPool', () => {
  test('hashes many files on worker threads, in order, as sha256sum does', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) files[`f${i}`] = 'x'.repeat(i * 37);
    const root = project(files);
    assert.equal(pool.inline, false);
    const before = pool.jobsRun;
    const results = await pool.run(Object.keys(files).map((f) => ({ op: 'hash' as const, file: path.join(root, f), size: files[f].length })));
    assert.equal(pool.jobsRun - before, 600);
    for (const [i, f] of Object.keys(files).entries()) {
      const r = results[i]!;
      assert.ok(r.ok);
      if (i % 97 === 0) assert.equal(r.sha256, sha256sum(path.join(root, f)));
      assert.equal(r.size, files[f].length);
    }
  });

  test('a store job writes a read-only copy while hashing', async () => {
    const root = project({ a: 'content' });
    const tmp = path.join(root, 'a.tmp');
    const [r] = await pool.run([{ op: 'store', file: path.join(root, 'a'), size: 7, tmp }]);
    assert.ok(r && r.ok);
    assert.equal(r.sha256, sha256sum(path.join(root, 'a')));
    assert.equal(fs.readFileSync(tmp, 'utf8'), 'content');
    assert.equal(fs.statSync(tmp).mode & 0o777, 0o444);
  });

  test('a missing file is a failed result naming it; later jobs are not started', async () => {
    const root = project({ ok: 'x' });
    const results = await pool.run([{ op: 'hash', file: path.join(root, 'missing'), size: 1 }]);
    assert.ok(results[0] && !results[0].ok);
    assert.equal(results[0].errno, 'ENOENT');
    assert.equal(results[0].file, path.join(root, 'missing'));
  });

  test('two runs at once are served one after the other, each with its own results', async () => {
    const root = project({ a: 'abc', b: 'xyz' });
    const [ra, rb] = await Promise.all([
      pool.run([{ op: 'hash', file: path.join(root, 'a'), size: 3 }]),
      pool.run([{ op: 'hash', file: path.join(root, 'b'), size: 3 }]),
    ]);
    assert.ok(ra[0]?.ok && rb[0]?.ok);
    assert.equal(ra[0].sha256, sha256sum(path.join(root, 'a')));
    assert.equal(rb[0].sha256, sha256sum(path.join(root, 'b')));
  });

  test('a thread that dies mid-batch is replaced and its batch run again; an idle one that died is not reused', async () => {
    const chunk = Buffer.alloc(4 << 20);
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 20; i++) files[`f${i}`] = Buffer.concat([chunk, Buffer.from(String(i))]);
    const root = project(files);
    const own = new HashPool(2);
    const threads = own as unknown as { workers: Worker[] };
    const jobs = Object.keys(files).map((f) => ({ op: 'hash' as const, file: path.join(root, f), size: files[f].length }));
    try {
      const running = own.run(jobs);
      while (threads.workers.length === 0) await new Promise((r) => setImmediate(r));
      await threads.workers[0].terminate();
      const results = await running;
      assert.equal(own.threadsReplaced, 1);
      results.forEach((r, i) => assert.ok(r?.ok && r.sha256 === sha256sum(jobs[i].file), `job ${i}`));

      await Promise.all(threads.workers.map((w) => w.terminate())); // both die while idle
      assert.equal(threads.workers.length, 0);
      const again = await own.run(jobs.slice(0, 3));
      assert.ok(again.every((r) => r?.ok));
    } finally {
      await own.close();
    }
  });

  test('inline mode gives the same hashes', async () => {
    const root = project({ a: 'abc' });
    const inline = new HashPool(0);
    assert.equal(inline.inline, true);
    const [r] = await inline.run([{ op: 'hash', file: path.join(root, 'a'), size: 3 }]);
    assert.ok(r && r.ok);
    assert.equal(r.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    await inline.close();
  });
});

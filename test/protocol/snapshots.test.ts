/**
 * The Snapshots requests as the editor sends them, against the real server (which runs the real
 * CLI for status, snapshot, checkout and verify) on a copy of sample/ that is a git repository.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, FileChangeType, Hover, LSPErrorCodes, MarkupContent, ResponseError } from 'vscode-languageserver-protocol/node';
import {
  CheckoutSnapshotRequest, CompareWithPreviousRequest, CreateSnapshotRequest, ListSnapshotsRequest, OperationProgressNotification, SnapshotEntriesRequest,
  SnapshotErrorData, VerifyCacheRequest,
} from '../../server/src/protocol';
import { closeSample, LspTestClient, openSample, replaceOnce, withCursor } from './lspTestClient';

const SLOW_MS = 60_000;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], { cwd, encoding: 'utf8' });
}

async function rejection(p: Promise<unknown>): Promise<ResponseError<SnapshotErrorData>> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
    return err as ResponseError<SnapshotErrorData>;
  }
  assert.fail('the request succeeded');
}

describe('snapshots in the editor (protocol)', () => {
  let dir: string, client: LspTestClient, pipelinePath: string, pipeline: string;
  let raw: string;
  /** The pipeline with data/raw pinned to the id its snapshot will have. */
  let pinned: string;
  const progress: { token: string; done: number; total: number }[] = [];

  before(async () => {
    ({ dir, client, pipelinePath, pipeline } = await openSample());
    raw = path.join(dir, 'data', 'raw');
    // More than one file, nested, so that entries aggregate folders.
    fs.mkdirSync(path.join(raw, 'extra', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(raw, 'extra', 'a.csv'), 'id,x\n1,2\n');
    fs.writeFileSync(path.join(raw, 'extra', 'deeper', 'b.csv'), 'id,y\n3,4\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'sample');
    client.onNotification(OperationProgressNotification, (p) => progress.push(p));
  });
  after(() => closeSample({ dir, client }));

  it('lists nothing before the first snapshot', async () => {
    const r = await client.send(ListSnapshotsRequest, {}, undefined, SLOW_MS);
    assert.deepEqual(r, { snapshots: [], problems: [] });
  });

  it('a pinned id that is in no cache gets the warning; snapshotting the data settles it', async () => {
    // The id data/raw will have, computed here as PRODUCT.md defines it: SHA-256 of the compact JSON manifest.
    const files = ['applications.csv', 'extra/a.csv', 'extra/deeper/b.csv'].map((f) => {
      const bytes = fs.readFileSync(path.join(raw, f));
      return { path: f, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    });
    const expectedId = `sha256:${crypto.createHash('sha256').update(JSON.stringify({ files })).digest('hex')}`;
    pinned = replaceOnce(pipeline, '    path: data/raw\n', `    path: data/raw\n    snapshot: "${expectedId}"\n`);
    await client.change(pipelinePath, pinned);
    const before = await client.waitForDiagnostics(pipelinePath, (d) => d.some((x) => x.code === 'snapshot-not-cached'));
    assert.match(before.find((x) => x.code === 'snapshot-not-cached')!.message, /not in the local cache/);

    const result = await client.send(CreateSnapshotRequest, { path: raw, message: 'from the editor', progressToken: 'snap-1' }, undefined, SLOW_MS);
    assert.equal(result.id, expectedId, 'the id PRODUCT.md defines');
    assert.equal(result.files, 3);
    assert.equal(result.pointer, `${raw}.snapshot`);
    assert.ok(fs.existsSync(result.pointer));
    const mine = progress.filter((p) => p.token === 'snap-1');
    assert.ok(mine.length > 0, 'progress notifications for the snapshot');
    assert.deepEqual(mine[mine.length - 1], { token: 'snap-1', done: 3, total: 3 });

    // The editor's watcher reports the new pointer file; the warning goes.
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(result.pointer), type: FileChangeType.Created }] });
    await client.waitForDiagnostics(pipelinePath, (d) => !d.some((x) => x.code === 'snapshot-not-cached'));
  });

  it('hover on the pinned id shows files, size, date and the pointer file', async () => {
    const { text, position } = withCursor(replaceOnce(pinned, '    snapshot: "sha256:', '    snapshot: "sha2@@56:'));
    assert.equal(text, pinned);
    const hover: Hover | null = await client.hover(pipelinePath, position);
    const md = (hover?.contents as MarkupContent | undefined)?.value ?? '';
    assert.match(md, /\*\*Snapshot\*\* `sha256:[0-9a-f]{12}…`: 3 files · \d+(\.\d+)? (B|KiB|MiB)/);
    assert.match(md, /taken 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.match(md, /“from the editor”/);
    assert.match(md, /Named by \[data\/raw\.snapshot\]/);
  });

  it('lists the snapshot as unchanged, then as modified once a file changes', async () => {
    let r = await client.send(ListSnapshotsRequest, {}, undefined, SLOW_MS);
    assert.equal(r.snapshots.length, 1);
    const s = r.snapshots[0];
    assert.equal(s.pointer, `${raw}.snapshot`);
    assert.equal(s.dataPath, raw);
    assert.equal(s.root, dir);
    assert.equal(s.state, 'unchanged');
    assert.equal(s.cached, true);
    assert.equal(s.files, 3);
    assert.equal(s.message, 'from the editor');

    fs.appendFileSync(path.join(raw, 'extra', 'a.csv'), '5,6\n');
    r = await client.send(ListSnapshotsRequest, {}, undefined, SLOW_MS);
    assert.equal(r.snapshots[0].state, 'modified');
    assert.match(r.snapshots[0].currentId ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(r.snapshots[0].currentId, s.id);
  });

  it('expands a snapshot into its top-level entries, folders aggregated', async () => {
    const { entries } = await client.send(SnapshotEntriesRequest, { pointer: `${raw}.snapshot` });
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.files]), [['extra', 'directory', 2], ['applications.csv', 'file', 1]]);
    assert.equal(entries[1].size, fs.statSync(path.join(raw, 'applications.csv')).size);
  });

  it('checkout refuses to discard a change that is in no snapshot, and restores with force', async () => {
    const err = await rejection(client.send(CheckoutSnapshotRequest, { path: raw }, undefined, SLOW_MS));
    assert.equal(err.data?.code, 'local-changes');
    assert.match(err.message, /a\.csv/);
    assert.equal(fs.readFileSync(path.join(raw, 'extra', 'a.csv'), 'utf8'), 'id,x\n1,2\n5,6\n', 'nothing was touched');

    const r = await client.send(CheckoutSnapshotRequest, { path: raw, force: true }, undefined, SLOW_MS);
    assert.equal(r.written, 1);
    assert.equal(fs.readFileSync(path.join(raw, 'extra', 'a.csv'), 'utf8'), 'id,x\n1,2\n');
    const list = await client.send(ListSnapshotsRequest, {}, undefined, SLOW_MS);
    assert.equal(list.snapshots[0].state, 'unchanged');
  });

  it('compares with the previous snapshot: HEAD before a commit, the previous commit after it', async () => {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'first snapshot');
    let err = await rejection(client.send(CompareWithPreviousRequest, { pointer: `${raw}.snapshot` }));
    assert.equal(err.data?.code, 'not-found');
    assert.match(err.message, /single version in git/);

    fs.rmSync(path.join(raw, 'extra', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(raw, 'extra', 'c.csv'), 'new\n');
    fs.appendFileSync(path.join(raw, 'applications.csv'), '\n');
    await client.send(CreateSnapshotRequest, { path: raw }, undefined, SLOW_MS);
    const uncommitted = await client.send(CompareWithPreviousRequest, { pointer: `${raw}.snapshot` });
    assert.match(uncommitted.a.label, /at HEAD$/);
    assert.deepEqual(uncommitted.added.map((x) => x.path), ['extra/c.csv']);
    assert.deepEqual(uncommitted.removed.map((x) => x.path), ['extra/deeper/b.csv']);
    assert.deepEqual(uncommitted.modified.map((x) => x.path), ['applications.csv']);
    assert.equal(uncommitted.unchanged, 1);

    git(dir, 'commit', '-q', '-am', 'second snapshot');
    const committed = await client.send(CompareWithPreviousRequest, { pointer: `${raw}.snapshot` });
    assert.match(committed.a.label, /at [0-9a-f]{7}$/);
    assert.deepEqual(committed.added, uncommitted.added);
    assert.equal(committed.b.id, uncommitted.b.id);

    err = await rejection(client.send(CompareWithPreviousRequest, { pointer: path.join(dir, 'data', 'nothing.snapshot') }));
    assert.ok(err.data?.code, `a located error: ${err.message}`);
  });

  it('verifies the cache: intact, then a corrupted object named', async () => {
    let r = await client.send(VerifyCacheRequest, { progressToken: 'verify-1' }, undefined, SLOW_MS);
    assert.equal(r.projects.length, 1);
    assert.equal(r.projects[0].ok, true);
    assert.ok(r.projects[0].objects >= 6);
    const last = progress.filter((p) => p.token === 'verify-1').pop();
    assert.deepEqual(last, { token: 'verify-1', done: r.projects[0].objects, total: r.projects[0].objects });

    const bytes = fs.readFileSync(path.join(raw, 'extra', 'a.csv'));
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    const object = path.join(dir, '.mlops', 'cache', 'sha256', sha.slice(0, 2), sha.slice(2));
    fs.chmodSync(object, 0o644);
    fs.writeFileSync(object, 'tampered');
    r = await client.send(VerifyCacheRequest, {}, undefined, SLOW_MS);
    assert.equal(r.projects[0].ok, false);
    assert.deepEqual(r.projects[0].corrupt.map((c) => [c.sha256, c.reason]), [[sha, 'hash-mismatch']]);
  });

  it('a verify cancelled before it starts answers RequestCancelled', async () => {
    // The cancellation is sent at once: the server sees it before the request starts.
    const source = new CancellationTokenSource();
    const pending = client.send(VerifyCacheRequest, {}, source.token, SLOW_MS);
    source.cancel();
    const err = await rejection(pending);
    assert.equal(err.code, LSPErrorCodes.RequestCancelled);
  });

  it('a snapshot cancelled while it runs stops; running it again completes with every file', async () => {
    // Four 48 MiB files, each a batch of its own: after the first progress report, work remains.
    const data = path.join(dir, 'data', 'large');
    fs.mkdirSync(data);
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(data, `part-${i}.bin`), crypto.randomBytes(48 << 20));
    const source = new CancellationTokenSource();
    const reports: number[] = [];
    client.onNotification(OperationProgressNotification, (p) => {
      if (p.token !== 'large') return;
      reports.push(p.done);
      source.cancel();
    });
    const err = await rejection(client.send(CreateSnapshotRequest, { path: data, progressToken: 'large' }, source.token, SLOW_MS));
    assert.equal(err.code, LSPErrorCodes.RequestCancelled);
    assert.ok(reports.length > 0 && reports[0] < 4, `cancelled after a progress report (${reports.join(', ')})`);
    assert.equal(fs.existsSync(`${data}.snapshot`), false, 'no pointer file for a cancelled snapshot');

    const r = await client.send(CreateSnapshotRequest, { path: data }, undefined, SLOW_MS);
    assert.equal(r.files, 4);
    assert.ok(fs.existsSync(`${data}.snapshot`));
    const verify = await client.send(VerifyCacheRequest, {}, undefined, SLOW_MS);
    assert.deepEqual(verify.projects[0].missing, []);
  });

  it('errors are located: a missing path names it, with its code', async () => {
    const missing = path.join(dir, 'data', 'nope');
    const err = await rejection(client.send(CreateSnapshotRequest, { path: missing }, undefined, SLOW_MS));
    assert.equal(err.data?.code, 'missing-path');
    assert.match(err.message, /nope: no such file or folder/);
    assert.deepEqual(client.serverErrors, []);
  });
});

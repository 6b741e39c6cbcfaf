/** gc: referenced objects stay (pointer files, manifests' files), unreferenced ones and old temporary files go; --dry-run removes nothing. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { gc, RootProvider } from '../../../server/src/core/snapshots/gc';
import { HashPool } from '../../../server/src/core/snapshots/hashPool';
import { snapshot } from '../../../server/src/core/snapshots/snapshot';
import { verifyCache } from '../../../server/src/core/snapshots/verify';
import { objectFile, objectsIn, project, rejectsWith, sha256sum } from './snapshotFixture';

const pool = new HashPool();
after(() => pool.close());

describe('gc', () => {
  test('keeps every referenced object and removes an unreferenced one; --dry-run removes nothing', async () => {
    const root = project({ 'data/raw/a': 'aaa', 'data/raw/sub/b': 'bbb', 'model.bin': 'weights' });
    const dir = await snapshot({ root, target: 'data/raw', cwd: root, pool });
    await snapshot({ root, target: 'model.bin', cwd: root, pool });
    // A file changed and snapshotted again: its old version is no longer referenced.
    const oldA = sha256sum(path.join(root, 'data/raw/a'));
    const oldManifest = dir.id.slice(7);
    fs.writeFileSync(path.join(root, 'data/raw/a'), 'aaa v2');
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    const before = objectsIn(root);
    assert.equal(before.length, 6); // a, a v2, b, model, 2 manifests

    const dry = gc({ root, dryRun: true });
    assert.deepEqual(dry.objects, [oldA, oldManifest].sort());
    assert.equal(dry.removed, 2);
    assert.equal(dry.kept, 4);
    assert.equal(dry.bytes, 3 + fs.statSync(objectFile(root, oldManifest)).size);
    assert.deepEqual(objectsIn(root), before, 'dry run removes nothing');

    const r = gc({ root });
    assert.deepEqual({ ...r, dryRun: true }, dry);
    assert.deepEqual(objectsIn(root), before.filter((o) => o !== oldA && o !== oldManifest));
    assert.equal(fs.existsSync(objectFile(root, oldA)), false);
    const v = await verifyCache({ root, pool });
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(gc({ root }).removed, 0, 'a second run finds nothing');
  });

  test('temporary files older than an hour go, recent ones stay', async () => {
    const root = project({ 'f.txt': 'x' });
    await snapshot({ root, target: 'f.txt', cwd: root, pool });
    const tmp = path.join(root, '.mlops/cache/tmp');
    fs.writeFileSync(path.join(tmp, 'old.tmp'), 'partial');
    fs.writeFileSync(path.join(tmp, 'new.tmp'), 'writing');
    const past = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(path.join(tmp, 'old.tmp'), past, past);
    const dry = gc({ root, dryRun: true });
    assert.deepEqual([dry.temporaryFiles, dry.temporaryBytes], [1, 7]);
    assert.deepEqual(fs.readdirSync(tmp).sort(), ['new.tmp', 'old.tmp']);
    const r = gc({ root });
    assert.deepEqual([r.temporaryFiles, r.removed, r.kept], [1, 0, 1]);
    assert.deepEqual(fs.readdirSync(tmp), ['new.tmp']);
  });

  test('more root providers keep what they name (the hook for runs and registry versions)', async () => {
    const root = project({ 'data/raw/a': 'a1' });
    const v1 = await snapshot({ root, target: 'data/raw', cwd: root, pool });
    fs.writeFileSync(path.join(root, 'data/raw/a'), 'a2');
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    const { pointerFileRoots } = await import('../../../server/src/core/snapshots/gc');
    const run: RootProvider = { name: 'runs', roots: () => [{ sha256: v1.id.slice(7), source: 'run 1' }] };
    assert.equal(gc({ root, providers: [pointerFileRoots, run] }).removed, 0);
    assert.equal(gc({ root }).removed, 2);
  });

  test('refuses (removes nothing) when a reference cannot be known: bad pointer file, missing manifest', async () => {
    const root = project({ 'data/raw/a': 'a', 'junk': 'j' });
    const s = await snapshot({ root, target: 'data/raw', cwd: root, pool });
    await snapshot({ root, target: 'junk', cwd: root, pool });
    fs.rmSync(path.join(root, 'junk.snapshot'));
    fs.writeFileSync(path.join(root, 'broken.snapshot'), 'sha256: nope\n');
    const before = objectsIn(root);
    await rejectsWith(Promise.resolve().then(() => gc({ root })), 'bad-pointer', /broken\.snapshot/);
    fs.rmSync(path.join(root, 'broken.snapshot'));
    fs.rmSync(objectFile(root, s.id.slice(7)));
    await rejectsWith(Promise.resolve().then(() => gc({ root })), 'missing-object', /data\/raw\.snapshot names snapshot/);
    assert.deepEqual(objectsIn(root), before.filter((o) => o !== s.id.slice(7)));
  });
});

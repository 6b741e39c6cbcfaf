/** The pointer file format and the .gitignore entry. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { addToGitignore, formatPointer, gitignoreEntry, parsePointer } from '../../../server/src/core/snapshots/pointerFile';
import { project } from './snapshotFixture';

describe('pointer file', () => {
  test('a hash of digits and one e stays a string (failsafe schema) and round-trips', () => {
    const sha256 = '1e' + '0'.repeat(62);
    const text = formatPointer({ sha256, size: 5, files: 1, type: 'file', message: 'yes: a "message"\nwith lines', createdAt: '2025-01-01T00:00:00.000Z' }, 'x');
    assert.deepEqual(parsePointer(text, 'p'), { sha256, size: 5, files: 1, type: 'file', message: 'yes: a "message"\nwith lines', createdAt: '2025-01-01T00:00:00.000Z' });
  });

  test('the three required keys; unknown keys are ignored; errors name the file', () => {
    const h = 'c'.repeat(64);
    assert.deepEqual(parsePointer(`sha256: ${h}\nsize: 1\nfiles: 1\nfuture: key\n`, 'p'), { sha256: h, size: 1, files: 1 });
    assert.throws(() => parsePointer(`sha256: ${h}\nsize: 1\n`, 'data/x.snapshot'), /data\/x\.snapshot: 'files' must be a whole number/);
    assert.throws(() => parsePointer('size: 1\nfiles: 1\n', 'p'), /'sha256' must be 64/);
    assert.throws(() => parsePointer('[1, 2]', 'p'), /not a snapshot pointer file/);
  });
});

describe('.gitignore', () => {
  test('anchored entries with glob characters escaped', () => {
    assert.equal(gitignoreEntry('raw'), '/raw');
    assert.equal(gitignoreEntry('a*b?[c]'), '/a\\*b\\?\\[c\\]');
    assert.equal(gitignoreEntry('#x'), '/\\#x');
    assert.equal(gitignoreEntry('t '), '/t\\ ');
  });

  test('added once, after existing lines', () => {
    const root = project({ 'data/.gitignore': '*.tmp' });
    assert.equal(addToGitignore(path.join(root, 'data/raw')), true);
    assert.equal(addToGitignore(path.join(root, 'data/raw')), false);
    assert.equal(addToGitignore(path.join(root, 'data/other')), true);
    assert.equal(fs.readFileSync(path.join(root, 'data/.gitignore'), 'utf8'), '*.tmp\n/raw\n/other\n');
  });
});

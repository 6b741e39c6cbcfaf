/**
 * `mlops audit ...` with the built CLI on a real git project: snapshots, runs and deletions in the
 * log with their actor (--by, MLOPS_USER, git user.email), verify before and after tampering with
 * the sqlite3 tool, export as JSON lines and CSV, prune against the pipeline's retention period,
 * and the provenance of a registered model kept from `runs delete`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { appendAudit } from '../../server/src/core/audit/auditLog';
import { Store } from '../../server/src/core/store/store';
import { parseCsv, tamper } from '../unit/audit/auditTestUtil';
import { CliResult, json, mlops, mlopsWithEnv, tempDir } from './cliTestUtil';

const TRAIN = `
const fs = require('fs');
const path = require('path');
fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'loss', value: 0.5, step: 0 }) + '\\n' + JSON.stringify({ name: 'loss', value: 0.25, step: 1 }) + '\\n');
fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model.json'), '{"w":1}');
`;

const GIT_EMAIL = 'auditor@example.org';

/** A git project with data/raw and a one-stage pipeline (`governance` as given), committed. */
function project(governance = 'governance: { logRetentionDays: 30 }'): string {
  const root = tempDir('mlops-auditcli-');
  for (const [rel, text] of Object.entries({ 'data/raw/rows.csv': 'a,b\n1,2\n', 'src/train.js': TRAIN, 'params.yaml': 'train:\n  lr: 0.05\n' })) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  writePipeline(root, governance);
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['config', 'user.email', GIT_EMAIL], { cwd: root });
  execFileSync('git', ['config', 'user.name', 'Auditor'], { cwd: root });
  execFileSync('git', ['add', '-A'], { cwd: root });
  execFileSync('git', ['commit', '-q', '-m', 'project'], { cwd: root });
  return root;
}

function writePipeline(root: string, governance: string): void {
  fs.writeFileSync(path.join(root, 'pipeline.yaml'), [
    'apiVersion: mlops/v1', 'kind: Pipeline', 'name: demo', 'params: params.yaml',
    'data:', '  raw: { path: data/raw }',
    'stages:', '  train:', '    cmd: node src/train.js', '    deps: [data.raw]', '    metrics: [loss]',
    governance, '',
  ].join('\n'));
}

/** The CLI without MLOPS_USER, so that the actor comes from --by or git. */
function cli(root: string, ...args: string[]): CliResult {
  return mlopsWithEnv({ MLOPS_USER: undefined }, root, ...args);
}

function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function runTrain(root: string, ...args: string[]): string {
  return json(ok(cli(root, 'run', 'train', ...args, '--json'))).runs[0].id;
}

interface LogEntry { seq: number; time: string; actor: string; action: string; entity: string; details: Record<string, unknown>; prevHash: string; hash: string }

function log(root: string, ...args: string[]): LogEntry[] {
  return json(ok(cli(root, 'audit', 'log', ...args, '--json'))).entries;
}

describe('mlops audit', () => {
  test('snapshot, run and runs delete are logged with their actor; verify passes, and names the seq a sqlite3 edit broke', () => {
    const root = project();
    ok(mlopsWithEnv({ MLOPS_USER: 'steward@example.eu' }, root, 'snapshot', 'data/raw', '--message', 'first rows', '--json'));
    const runId = runTrain(root, '--by', 'lead@example.eu');
    ok(cli(root, 'runs', 'delete', runId, '--json'));

    const entries = log(root);
    assert.deepEqual(entries.map((e) => [e.seq, e.action, e.entity, e.actor]), [
      [4, 'run.delete', `run:${runId}`, GIT_EMAIL],
      [3, 'run.end', `run:${runId}`, 'lead@example.eu'],
      [2, 'run.create', `run:${runId}`, 'lead@example.eu'],
      [1, 'snapshot.create', 'snapshot:data/raw', 'steward@example.eu'],
    ], 'newest first; the run found its data unchanged and wrote no snapshot of its own');
    const snapshotId = fs.readFileSync(path.join(root, 'data', 'raw.snapshot'), 'utf8').match(/^sha256: ([0-9a-f]{64})$/m)![1];
    assert.deepEqual(entries[3].details, { id: `sha256:${snapshotId}`, files: 1, size: 8, message: 'first rows', pointer: 'data/raw.snapshot' });
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    assert.deepEqual(entries[2].details, {
      pipeline: 'demo', pipelineFile: 'pipeline.yaml', stage: 'train', sweepId: null, paramsHash: entries[2].details.paramsHash, data: { raw: `sha256:${snapshotId}` },
      gitCommit: commit, gitDirty: true, executor: 'local', command: 'node src/train.js',
    });
    assert.match(String(entries[2].details.paramsHash), /^[0-9a-f]{64}$/);
    assert.deepEqual(entries[1].details, { status: 'completed', exitCode: 0, points: 2, artifacts: 1 });
    assert.equal(entries[0].details.status, 'completed');
    assert.ok(entries.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.time)));

    // --entity: one run's trail; a kind as a prefix; --limit.
    assert.deepEqual(log(root, '--entity', `run:${runId}`).map((e) => e.action), ['run.delete', 'run.end', 'run.create']);
    assert.deepEqual(log(root, '--entity', 'snapshot:').map((e) => e.seq), [1]);
    assert.deepEqual(log(root, '--limit', '2').map((e) => e.seq), [4, 3]);
    const text = ok(cli(root, 'audit', 'log')).stdout.trim().split('\n');
    assert.equal(text.length, 4);
    assert.match(text[1], new RegExp(`^#3  \\S+Z  lead@example\\.eu  run\\.end run:${runId}  artifacts=1 exitCode=0 points=2 status=completed$`), 'details in key order, as hashed');

    const verified = ok(cli(root, 'audit', 'verify'));
    const head = entries[0].hash;
    assert.equal(verified.stdout, `4 entries, chain intact, head ${head}\n`);
    assert.deepEqual(json(ok(cli(root, 'audit', 'verify', '--json'))), { ok: true, entries: 4, firstSeq: 1, lastSeq: 4, headHash: head, checkpoint: null, broken: null });

    tamper(path.join(root, '.mlops', 'mlops.db'), "UPDATE audit_log SET details = json_set(details, '$.exitCode', 1) WHERE seq = 3");
    const broken = cli(root, 'audit', 'verify');
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^audit log broken at seq 3: entry 3 was changed after it was written: its content \(time, actor, action, entity or details\) no longer matches its hash\.\n/);
    const brokenJson = cli(root, 'audit', 'verify', '--json');
    assert.equal(brokenJson.code, 1);
    assert.deepEqual([json(brokenJson).ok, json(brokenJson).broken.seq], [false, 3]);
  });

  test('checkout, gc and push are logged when they change something', () => {
    const root = project();
    ok(cli(root, 'snapshot', 'data/raw', '--json'));
    fs.writeFileSync(path.join(root, 'data', 'raw', 'rows.csv'), 'a,b\n9,9\n');
    ok(cli(root, 'snapshot', 'data/raw', '--json', '--by', 'steward@example.eu'));
    ok(cli(root, 'snapshot', 'data/raw', '--json'));
    fs.writeFileSync(path.join(root, 'data', 'raw', 'rows.csv'), 'a,b\n1,2\n');
    ok(cli(root, 'checkout', 'data/raw', '--force', '--json'));
    ok(cli(root, 'checkout', 'data/raw', '--json'));
    ok(cli(root, 'gc', '--dry-run', '--json'));
    assert.equal(json(ok(cli(root, 'gc', '--json', '--by', 'ops@example.eu'))).removed, 2, 'the first snapshot\'s manifest and file object');
    const remote = tempDir('mlops-auditcli-remote-');
    fs.writeFileSync(path.join(root, '.mlops', 'config.yaml'), `remotes:\n  share: { path: ${JSON.stringify(remote)} }\ndefault: share\n`);
    ok(cli(root, 'push', '--json'));
    ok(cli(root, 'push', '--json'));
    const entries = log(root).reverse();
    assert.deepEqual(entries.map((e) => [e.action, e.entity, e.actor]), [
      ['snapshot.create', 'snapshot:data/raw', GIT_EMAIL],
      ['snapshot.create', 'snapshot:data/raw', 'steward@example.eu'],
      ['snapshot.checkout', 'snapshot:data/raw', GIT_EMAIL],
      ['cache.gc', 'cache:local', 'ops@example.eu'],
      ['cache.push', 'remote:share', GIT_EMAIL],
    ], 'an unchanged snapshot, a checkout with nothing to restore, a dry run and a push with nothing to send are not changes');
    assert.deepEqual(entries[2].details, { id: entries[1].details.id, written: 1, removed: 0, unchanged: 0, modesChanged: 0 });
    assert.deepEqual(entries[3].details, { objects: 2, bytes: entries[3].details.bytes, temporaryFiles: 0, temporaryBytes: 0 });
    assert.ok(Number(entries[3].details.bytes) > 8);
    assert.deepEqual(entries[4].details, { objects: 2, bytes: entries[4].details.bytes, skipped: 0 });
  });

  test('export: JSON lines and CSV parse back to the log; --since, --until, --entity, --out', () => {
    const root = project();
    ok(mlopsWithEnv({ MLOPS_USER: 'Doe, "Jane"' }, root, 'snapshot', 'data/raw', '--message', 'rows, "quoted"', '--json'));
    runTrain(root);
    const entries = log(root).reverse();
    const jsonl = ok(cli(root, 'audit', 'export')).stdout;
    assert.deepEqual(jsonl.trimEnd().split('\n').map((l) => JSON.parse(l)), entries);
    const csv = parseCsv(ok(cli(root, 'audit', 'export', '--format', 'csv')).stdout);
    assert.deepEqual(csv[0], ['seq', 'time', 'actor', 'action', 'entity', 'details', 'prev_hash', 'hash']);
    assert.deepEqual(csv.slice(1).map((r) => ({ seq: Number(r[0]), time: r[1], actor: r[2], action: r[3], entity: r[4], details: JSON.parse(r[5]), prevHash: r[6], hash: r[7] })), entries);
    assert.equal(csv[1][2], 'Doe, "Jane"');

    const file = path.join(root, 'audit.csv');
    assert.equal(ok(cli(root, 'audit', 'export', '--format', 'csv', '--entity', 'run:', '--out', file)).stdout, `Exported 2 entries to ${file} (csv).\n`);
    assert.deepEqual(parseCsv(fs.readFileSync(file, 'utf8')).slice(1).map((r) => r[3]), ['run.create', 'run.end']);
    assert.equal(fs.existsSync(`${file}.partial`), false);

    const firstTime = entries[0].time;
    assert.equal(ok(cli(root, 'audit', 'export', '--until', firstTime)).stdout, '', 'until is exclusive');
    assert.deepEqual(ok(cli(root, 'audit', 'export', '--since', firstTime, '--until', entries[1].time)).stdout.trimEnd().split('\n').map((l) => JSON.parse(l).seq), [1]);
    assert.equal(ok(cli(root, 'audit', 'export', '--since', '2999-01-01')).stdout, '');
    const bad = cli(root, 'audit', 'export', '--since', '2025-02-30');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since 2025-02-30: expected a date YYYY-MM-DD/);
    assert.equal(cli(root, 'audit', 'export', '--format', 'xml').code, 2);
  });

  test('prune: refused inside the retention period and without one; past it, the checkpoint keeps the chain verifiable', () => {
    const root = project();
    // Three entries from 2024, long past the pipeline's 30 days, then today's snapshot.
    const store = Store.open(root);
    for (const day of [1, 2, 3]) store.transaction((db) => appendAudit(db, { actor: 'old@example.eu', action: 'test.old', entity: 'test:old', details: { day }, time: Date.UTC(2024, 0, day) }));
    store.close();
    ok(cli(root, 'snapshot', 'data/raw', '--json'));

    const today = new Date().toISOString().slice(0, 10);
    const refused = cli(root, 'audit', 'prune', '--before', today, '--json');
    assert.equal(refused.code, 1);
    const error = json(refused).error;
    assert.equal(error.code, 'within-retention');
    assert.match(error.message, /keeps its logs 30 days \(governance\.logRetentionDays of pipeline\.yaml\), so every entry since \S+ must stay \(EU AI Act Art\. 19/);
    assert.match(error.message, /The latest --before allowed now is \d{4}-\d\d-\d\dT/);
    assert.match(refused.stderr, /^mlops: Cannot prune the audit log before/);

    const pruned = json(ok(cli(root, 'audit', 'prune', '--before', '2024-06-01', '--by', 'officer@example.eu', '--json')));
    const checkpointHash = pruned.checkpoint.hash;
    assert.deepEqual(pruned, {
      removed: 3, fromSeq: 1, toSeq: 3, before: '2024-06-01T00:00:00.000Z', retentionDays: 30, retentionPipeline: 'pipeline.yaml',
      checkpoint: { seq: 3, hash: checkpointHash, prunedBefore: '2024-06-01T00:00:00.000Z', at: pruned.checkpoint.at }, entry: 5,
    });
    const verified = ok(cli(root, 'audit', 'verify'));
    assert.match(verified.stdout, /^2 entries, chain intact, head [0-9a-f]{64}; entries before 2024-06-01T00:00:00\.000Z were pruned, the chain starts after entry 3\n$/);
    const exported = ok(cli(root, 'audit', 'export')).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(exported.map((e) => [e.seq, e.action]), [[4, 'snapshot.create'], [5, 'audit.prune']]);
    assert.equal(exported[0].prevHash, checkpointHash, 'the export starts at the checkpoint');
    assert.deepEqual([exported[1].actor, exported[1].details.removed], ['officer@example.eu', 3]);
    assert.equal(ok(cli(root, 'audit', 'prune', '--before', '2024-06-01')).stdout, 'No entry is older than 2024-06-01T00:00:00.000Z: nothing was pruned.\n');

    writePipeline(root, 'risk: high');
    const noRetention = cli(root, 'audit', 'prune', '--before', '2024-06-01', '--json');
    assert.equal(noRetention.code, 1);
    assert.deepEqual([json(noRetention).error.code, json(noRetention).error.path], ['no-retention', path.join(root, 'pipeline.yaml')]);
    assert.match(json(noRetention).error.message, /^pipeline\.yaml is a high-risk pipeline without governance\.logRetentionDays/);
    assert.equal(cli(root, 'audit', 'prune').code, 2, '--before is required');
  });

  test('runs delete refuses a run that a registered model version was made from (run-registered)', () => {
    const root = project();
    const runId = runTrain(root);
    tamper(path.join(root, '.mlops', 'mlops.db'), `INSERT INTO models VALUES ('demo', 'pipeline.yaml', 1, 'x'); ` +
      `INSERT INTO model_versions (model, version, run_id, artifact_path, artifact_sha256, artifact_size, created_at, created_by, gates, gates_passed) VALUES ('demo', 1, '${runId}', 'model.json', '${'e'.repeat(64)}', 7, 1, 'x', '[]', 1)`);
    const r = cli(root, 'runs', 'delete', runId, '--json');
    assert.equal(r.code, 1);
    assert.equal(json(r).error.code, 'run-registered');
    assert.match(json(r).error.message, new RegExp(`^Run ${runId} cannot be deleted: the registered model version demo/1 was made from it`));
    assert.equal(json(ok(cli(root, 'runs', 'show', runId, '--json'))).id, runId);
    assert.ok(fs.existsSync(path.join(root, '.mlops', 'runs', runId)));
    assert.deepEqual(log(root).map((e) => [e.action, e.entity]), [['run.end', `run:${runId}`], ['run.create', `run:${runId}`], ['snapshot.create', 'snapshot:data/raw']],
      'the run snapshotted its data first (no pointer file yet), in its actor\'s name; no run.delete');
  });

  test('log --all lists every matching entry (the default is the latest 50); --all with --limit is a usage error', () => {
    const root = project();
    const store = Store.open(root);
    for (let i = 1; i <= 60; i++) store.transaction((db) => appendAudit(db, { actor: 'a', action: 'test.x', entity: `test:${i % 2 ? 'odd' : 'even'}`, details: { i } }));
    store.close();
    assert.equal(log(root).length, 50);
    assert.deepEqual(log(root, '--all').map((e) => e.seq), Array.from({ length: 60 }, (_, i) => 60 - i));
    assert.equal(log(root, '--entity', 'test:odd', '--all').length, 30);
    assert.equal(ok(cli(root, 'audit', 'log', '--all')).stdout.trimEnd().split('\n').length, 60);
    assert.equal(cli(root, 'audit', 'log', '--all', '--limit', '5').code, 2);
  });

  test('log as text: a control character in an entry is shown escaped, never as a line of its own', () => {
    const root = project();
    const store = Store.open(root);
    // Written past resolveActor (which refuses such names), as an older version or another tool could have.
    store.transaction((db) => appendAudit(db, { actor: 'ana\n#9  2025-01-01T00:00:00.000Z  boss', action: 'registry.tag', entity: 'model:m/1', details: { set: { note: 'ok\r#8 forged\u2028x' }, why: 'a\tb\u0085c' } }));
    store.close();
    const lines = ok(cli(root, 'audit', 'log')).stdout.split('\n');
    assert.deepEqual(lines, ['#1  ' + lines[0].slice(4, 28) + '  ana\\n#9  2025-01-01T00:00:00.000Z  boss  registry.tag model:m/1  set={"note":"ok\\r#8 forged\\u2028x"} why=a\\tb\\u0085c', '']);
  });

  test('an actor with a control character, or posing as the system (mlops), is refused before the change', () => {
    const root = project();
    for (const [env, args] of [[{}, ['--by', 'ana\n#2 forged']], [{ MLOPS_USER: 'MLOPS' }, []], [{}, ['--by', 'mlops']]] as [Record<string, string>, string[]][]) {
      const r = mlopsWithEnv({ MLOPS_USER: undefined, ...env }, root, 'snapshot', 'data/raw', ...args, '--json');
      assert.equal(r.code, 1, r.stderr);
      assert.equal(json(r).error.code, 'invalid-actor');
      assert.equal(fs.existsSync(path.join(root, 'data', 'raw.snapshot')), false, 'no snapshot taken');
    }
    assert.deepEqual(log(root), []);
  });

  test('export --out to a folder, or into one that does not exist: a located error, and no file left behind', () => {
    const root = project();
    ok(cli(root, 'snapshot', 'data/raw', '--json'));
    const folder = path.join(root, 'exports');
    fs.mkdirSync(folder);
    for (const [out, why] of [[folder, /is a folder/], [`${folder}/`, /is a folder/], [path.join(root, 'missing', 'audit.jsonl'), /folder .*missing does not exist/]] as [string, RegExp][]) {
      const r = cli(root, 'audit', 'export', '--out', out);
      assert.equal(r.code, 1, `${out}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /^mlops: Cannot write the export to /, out);
      assert.match(r.stderr, why, out);
      assert.doesNotMatch(r.stderr, /internal error|\n {4}at /, 'no stack trace');
      assert.deepEqual(fs.readdirSync(folder), [], 'nothing written into the folder');
    }
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes('partial') || f.startsWith('exports.')), []);
  });

  test('gc --dry-run in a project without a database creates nothing', () => {
    const root = project();
    const r = json(ok(cli(root, 'gc', '--dry-run', '--json')));
    assert.deepEqual([r.dryRun, r.removed], [true, 0]);
    assert.equal(fs.existsSync(path.join(root, '.mlops')), false);
  });

  test('without a database the log is empty and nothing is created; usage errors exit 2', () => {
    const root = tempDir('mlops-auditcli-empty-');
    fs.mkdirSync(path.join(root, '.git'));
    assert.equal(ok(mlops(root, 'audit', 'verify')).stdout, `0 entries, chain intact, head ${'0'.repeat(64)}\n`);
    assert.deepEqual(json(ok(mlops(root, 'audit', 'log', '--json'))), { entries: [] });
    assert.equal(ok(mlops(root, 'audit', 'log')).stdout, 'No audit entries yet.\n');
    assert.equal(ok(mlops(root, 'audit', 'export', '--format', 'csv')).stdout, 'seq,time,actor,action,entity,details,prev_hash,hash\r\n');
    assert.equal(fs.existsSync(path.join(root, '.mlops')), false);
    for (const args of [['audit'], ['audit', 'nope'], ['audit', 'verify', 'x'], ['audit', 'log', '--limit', 'many'], ['audit', 'verify', '--since', '2025-01-01']]) {
      assert.equal(mlops(root, ...args).code, 2, args.join(' '));
    }
  });
});

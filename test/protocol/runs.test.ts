/**
 * Runs as the editor drives them, against the real server (which starts real `mlops run`
 * processes) on a copy of sample/: code lenses, starting the sample's prepare stage, the
 * StoreChanged notifications that follow it, and the listing.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeLens, ResponseError } from 'vscode-languageserver-protocol/node';
import { isProcessRunning } from '../../server/src/core/runs/processState';
import {
  AuditTrailRequest, BackgroundCommandEndedNotification, DescribeSnapshotRequest, ListRunsRequest, ReproduceRunRequest, RunDetailsRequest, RunItem, StoreChangedNotification, ShowCommitRequest,
  StartRunRequest, StartSweepRequest,
} from '../../server/src/protocol';
import { closeSample, copySample, LspTestClient, openSample, replaceOnce } from './lspTestClient';

const SLOW_MS = 60_000;

describe('runs in the editor (protocol)', () => {
  let dir: string, client: LspTestClient, pipelinePath: string, pipeline: string;
  let notifications = 0;
  const notified: (() => void)[] = [];
  const ended: { command: string; ok: boolean; summary: string }[] = [];
  before(async () => {
    ({ dir, client, pipelinePath, pipeline } = await openSample());
    // A git project, so that runs record a commit the run page can show.
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-q', '-m', 'grant-fraud sample']]) execFileSync('git', args, { cwd: dir });
    client.onNotification(BackgroundCommandEndedNotification, (e) => ended.push(e));
    client.onNotification(StoreChangedNotification, () => {
      notifications++;
      for (const resolve of notified.splice(0)) resolve();
    });
  });
  after(() => closeSample({ dir, client }));

  /** Lists until `done` holds for the runs, waiting for a StoreChanged notification between listings. */
  async function listUntil(done: (runs: RunItem[]) => boolean): Promise<RunItem[]> {
    for (;;) {
      const next = new Promise<void>((resolve) => notified.push(resolve));
      const { runs, problems } = await client.send(ListRunsRequest, {}, undefined, SLOW_MS);
      assert.deepEqual(problems, []);
      if (done(runs)) return runs;
      await next;
    }
  }

  it('offers Run Pipeline and Run Sweep... above stages:, Run / Run with Overrides... above each stage, and Run Sweep... above search: in params.yaml', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: client.uri(pipelinePath) } });
    const lines = pipeline.split('\n');
    const stagesLine = lines.findIndex((l) => /^stages:/.test(l));
    // (data: has a `train:` entry too: look below `stages:`.)
    const at = (re: RegExp): number => lines.findIndex((l, i) => i >= stagesLine && re.test(l));
    const titles = (line: number): string[] => lenses.filter((l) => l.range.start.line === line).map((l) => l.command!.title);
    assert.deepEqual(titles(at(/^stages:/)), ['$(run-all) Run Pipeline', '$(beaker) Run Sweep...']);
    for (const stage of ['prepare', 'train', 'evaluate']) {
      const line = at(new RegExp(`^  ${stage}:`));
      assert.deepEqual(titles(line), ['$(play) Run', 'Run with Overrides...']);
      const run = lenses.find((l) => l.range.start.line === line && l.command!.command === 'mlops.runStage')!;
      assert.deepEqual(run.command!.arguments, [pipelinePath, stage]);
    }
    const paramsPath = path.join(dir, 'params.yaml');
    const params = fs.readFileSync(paramsPath, 'utf8');
    await client.open(paramsPath, params);
    const paramsLenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: client.uri(paramsPath) } });
    const searchLine = params.split('\n').findIndex((l) => /^search:/.test(l));
    assert.deepEqual(paramsLenses.map((l) => [l.range.start.line, l.command!.title, l.command!.arguments]), [[searchLine, '$(beaker) Run Sweep...', [pipelinePath]]]);
    // Without a search block there is nothing to sweep: no lens in either file.
    const withoutSearch = params.slice(0, params.indexOf('\n# Hyperparameter search'));
    await client.change(paramsPath, withoutSearch);
    assert.deepEqual(await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: client.uri(paramsPath) } }), []);
    const pipelineLenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: client.uri(pipelinePath) } });
    assert.ok(!pipelineLenses.some((l) => l.command!.command === 'mlops.startSweep'), 'no sweep lens once params.yaml has no search block');
    await client.change(paramsPath, params);
  });

  it('starts the prepare stage; StoreChanged notifications follow it until it is listed completed with its metrics', async () => {
    assert.deepEqual(await client.send(ListRunsRequest, {}, undefined, SLOW_MS), { runs: [], problems: [] }, 'nothing ran yet, and listing created nothing');
    const changed = new Promise<void>((resolve) => notified.push(resolve));
    assert.deepEqual(await client.send(StartRunRequest, { pipelineFile: pipelinePath, stage: 'prepare' }, undefined, SLOW_MS), { started: true });
    await changed; // the server says runs changed (the run was created in the store)
    const runs = await listUntil((rs) => rs.some((r) => r.stage === 'prepare' && r.status !== 'running'));
    assert.ok(notifications > 0);
    const run = runs.find((r) => r.stage === 'prepare')!;
    assert.equal(run.status, 'completed', `the prepare run: ${JSON.stringify(run)}`);
    assert.equal(run.pipeline, 'grant-fraud');
    assert.equal(run.pipelineFile, pipelinePath);
    assert.equal(run.dir, path.join(dir, '.mlops', 'runs', run.id));
    assert.deepEqual(Object.keys(run.metrics).sort(), ['fraud_rate', 'missing_rate', 'rows']);
  });

  /** The BackgroundCommandEnded notification of a command, once it comes. */
  async function endOf(command: string): Promise<{ ok: boolean; summary: string }> {
    for (;;) {
      const at = ended.findIndex((e) => e.command === command);
      if (at >= 0) return ended.splice(at, 1)[0];
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('runs a sweep of 3 trials, 2 at once: one sweep id, val_loss as key metric, and its end is announced with the best run', async () => {
    const paramsPath = path.join(dir, 'params.yaml');
    fs.writeFileSync(paramsPath, replaceOnce(fs.readFileSync(paramsPath, 'utf8'), '  trials: 12', '  trials: 3'));
    assert.deepEqual(await client.send(StartSweepRequest, { pipelineFile: pipelinePath, parallel: 2, by: 'dana@example.eu' }, undefined, SLOW_MS), { started: true });
    const end = await endOf('sweep');
    assert.ok(end.ok, end.summary);
    assert.match(end.summary, /^Best \(minimize val_loss\): run [0-9a-f]{12}, val_loss [0-9.]+, train\.lr=/);
    const runs = await listUntil((rs) => rs.filter((r) => r.sweepId).length === 3 && rs.every((r) => r.status !== 'running'));
    const trials = runs.filter((r) => r.sweepId);
    assert.equal(new Set(trials.map((r) => r.sweepId)).size, 1);
    assert.deepEqual(trials.map((r) => [r.stage, r.status, r.keyMetric]), Array(3).fill(['train', 'completed', 'val_loss']));
    assert.ok(trials.every((r) => r.metrics.val_loss.steps > 0));
    const best = end.summary.match(/run ([0-9a-f]{12})/)![1];
    const bestLoss = Math.min(...trials.map((r) => r.metrics.val_loss.last));
    assert.equal(trials.find((r) => r.id === best)?.metrics.val_loss.last, bestLoss, 'the best run has the lowest val_loss');
    assert.equal(runs.find((r) => r.stage === 'prepare')?.keyMetric, 'rows', 'a stage without the search metric: its first declared metric');
    // Who started it (the client's mlops.user, sent as `by`) is in the audit log.
    const trail = await client.send(AuditTrailRequest, { root: dir, entity: `run:${best}` }, undefined, SLOW_MS);
    assert.deepEqual(trail.entries.map((e) => [e.action, e.actor]).reverse(), [['run.create', 'dana@example.eu'], ['run.end', 'dana@example.eu']]);
    assert.ok(trail.chain.ok, trail.chain.message);
  });

  it('reproduces the best trial from the editor: a new run, bit-identical model, announced when done', async () => {
    const { runs } = await client.send(ListRunsRequest, {}, undefined, SLOW_MS);
    const trial = runs.find((r) => r.sweepId)!;
    assert.deepEqual(await client.send(ReproduceRunRequest, { pipelineFile: pipelinePath, id: trial.id }, undefined, SLOW_MS), { started: true });
    const end = await endOf('reproduce');
    assert.equal(end.summary, 'Reproduced: all 1 artifact(s) are bit-identical.');
    assert.ok(end.ok);
    const after = await listUntil((rs) => rs.length === runs.length + 1 && rs.every((r) => r.status !== 'running'));
    assert.equal(after[0].stage, 'train');
    assert.equal(after[0].status, 'completed');
  });

  it('shows a run\'s commit (git show) and the snapshot of its data (facts and files) as text', async () => {
    const { runs } = await client.send(ListRunsRequest, {}, undefined, SLOW_MS);
    const trial = runs.find((r) => r.sweepId)!;
    const details = await client.send(RunDetailsRequest, { pipelineFile: pipelinePath, id: trial.id }, undefined, SLOW_MS);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    assert.equal(details.gitCommit, head);
    const commit = await client.send(ShowCommitRequest, { pipelineFile: pipelinePath, commit: head });
    assert.match(commit.text, new RegExp(`^commit ${head}`));
    assert.match(commit.text, /grant-fraud sample/);
    await assert.rejects(client.send(ShowCommitRequest, { pipelineFile: pipelinePath, commit: 'HEAD; rm -rf /' }), /is not a commit id/);
    const snapshot = await client.send(DescribeSnapshotRequest, { pipelineFile: pipelinePath, id: details.data.train });
    const lines = snapshot.text.split('\n');
    assert.equal(lines[0], `Snapshot ${details.data.train}`);
    assert.match(snapshot.text, /^1 file\(s\), [0-9.]+ KiB, taken /m);
    assert.match(snapshot.text, /^train\.csv  [0-9.]+ KiB  sha256:[0-9a-f]{12}$/m);
  });

  it('listing runs does not itself cause a StoreChanged notification (opening the store is not a change)', async () => {
    // Let the notifications of the run above settle, then list a few times.
    await new Promise((r) => setTimeout(r, 1000));
    const before = notifications;
    for (let i = 0; i < 3; i++) {
      await client.send(ListRunsRequest, {}, undefined, SLOW_MS);
      await new Promise((r) => setTimeout(r, 600)); // beyond the server's 250 ms debounce
    }
    assert.equal(notifications, before, 'no notification loop: list -> store opened -> "changed" -> list...');
  });

  it('a stage whose executor cannot run yet, or a bad override, is an error of the start request', async () => {
    const docker = pipeline.replace('executor: local ', 'executor: docker ');
    await client.change(pipelinePath, docker);
    fs.writeFileSync(pipelinePath, docker);
    await assert.rejects(client.send(StartRunRequest, { pipelineFile: pipelinePath, stage: 'train' }, undefined, SLOW_MS), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.match(e.message, /executor: docker, which this version cannot run yet/);
      return true;
    });
    await assert.rejects(client.send(StartRunRequest, { pipelineFile: pipelinePath, stage: 'prepare', overrides: ['prepare.nope=1'] }, undefined, SLOW_MS), /no parameter 'prepare\.nope'/);
    assert.deepEqual(client.serverErrors, []);
  });
});

describe('a language server killed mid-run (protocol)', () => {
  it('stops the job it started, and the restarted server lists the run interrupted, not running forever', async () => {
    const dir = copySample();
    fs.writeFileSync(path.join(dir, 'src', 'slow.js'), [
      "const fs = require('fs');",
      "fs.writeFileSync(process.env.MLOPS_OUTPUT_DIR + '/../job.pid', String(process.pid));",
      'setInterval(() => {}, 1000);',
    ].join('\n'));
    const slowPipeline = path.join(dir, 'slow.pipeline.yaml');
    fs.writeFileSync(slowPipeline, 'apiVersion: mlops/v1\nkind: Pipeline\nname: slow\nstages:\n  slow:\n    cmd: node src/slow.js\n');
    const first = await LspTestClient.start(dir);
    let second: LspTestClient | undefined;
    try {
      await first.send(StartRunRequest, { pipelineFile: slowPipeline, stage: 'slow' }, undefined, SLOW_MS);
      const runsDir = path.join(dir, '.mlops', 'runs');
      let pidFile: string | undefined;
      while (!pidFile) {
        pidFile = fs.readdirSync(runsDir).map((id) => path.join(runsDir, id, 'job.pid')).find((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8'));
        if (!pidFile) await new Promise((r) => setTimeout(r, 20));
      }
      const jobPid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(isProcessRunning(jobPid));
      await first.kill();

      for (let i = 0; i < 1000 && isProcessRunning(jobPid); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(isProcessRunning(jobPid), false, 'the job did not outlive the server that started it');
      second = await LspTestClient.start(dir);
      let run: RunItem | undefined;
      for (let i = 0; i < 500 && run?.status !== 'interrupted'; i++) {
        run = (await second.send(ListRunsRequest, {}, undefined, SLOW_MS)).runs.find((r) => r.stage === 'slow');
        if (run?.status !== 'interrupted') await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(run?.status, 'interrupted', JSON.stringify(run));
      assert.ok(run?.endedAt);
      assert.match(fs.readFileSync(path.join(run!.dir, 'log.txt'), 'utf8'), /\[mlops\] interrupted: the process that started this run went away/);
    } finally {
      await second?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

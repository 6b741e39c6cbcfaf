/**
 * Runs as the editor drives them, against the real server (which starts real `mlops run`
 * processes) on a copy of sample/: code lenses, starting the sample's prepare stage, the
 * RunsChanged notifications that follow it, and the listing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeLens, ResponseError } from 'vscode-languageserver-protocol/node';
import { isProcessRunning } from '../../server/src/core/runs/processState';
import { ListRunsRequest, RunItem, RunsChangedNotification, StartRunRequest } from '../../server/src/protocol';
import { closeSample, copySample, LspTestClient, openSample } from './lspTestClient';

const SLOW_MS = 60_000;

describe('runs in the editor (protocol)', () => {
  let dir: string, client: LspTestClient, pipelinePath: string, pipeline: string;
  let notifications = 0;
  const notified: (() => void)[] = [];
  before(async () => {
    ({ dir, client, pipelinePath, pipeline } = await openSample());
    client.onNotification(RunsChangedNotification, () => {
      notifications++;
      for (const resolve of notified.splice(0)) resolve();
    });
  });
  after(() => closeSample({ dir, client }));

  /** Lists until `done` holds for the runs, waiting for a RunsChanged notification between listings. */
  async function listUntil(done: (runs: RunItem[]) => boolean): Promise<RunItem[]> {
    for (;;) {
      const next = new Promise<void>((resolve) => notified.push(resolve));
      const { runs, problems } = await client.send(ListRunsRequest, {}, undefined, SLOW_MS);
      assert.deepEqual(problems, []);
      if (done(runs)) return runs;
      await next;
    }
  }

  it('offers Run Pipeline above stages: and Run / Run with Overrides... above each stage', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: client.uri(pipelinePath) } });
    const lines = pipeline.split('\n');
    const stagesLine = lines.findIndex((l) => /^stages:/.test(l));
    // (data: has a `train:` entry too: look below `stages:`.)
    const at = (re: RegExp): number => lines.findIndex((l, i) => i >= stagesLine && re.test(l));
    const titles = (line: number): string[] => lenses.filter((l) => l.range.start.line === line).map((l) => l.command!.title);
    assert.deepEqual(titles(at(/^stages:/)), ['$(run-all) Run Pipeline']);
    for (const stage of ['prepare', 'train', 'evaluate']) {
      const line = at(new RegExp(`^  ${stage}:`));
      assert.deepEqual(titles(line), ['$(play) Run', 'Run with Overrides...']);
      const run = lenses.find((l) => l.range.start.line === line && l.command!.command === 'mlops.runStage')!;
      assert.deepEqual(run.command!.arguments, [pipelinePath, stage]);
    }
  });

  it('starts the prepare stage; RunsChanged notifications follow it until it is listed completed with its metrics', async () => {
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

  it('listing runs does not itself cause a RunsChanged notification (opening the store is not a change)', async () => {
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

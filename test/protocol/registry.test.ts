/**
 * The Model Registry as the editor drives it, against the real server (which runs real `mlops
 * registry|audit` processes) on a copy of sample/ whose pipeline ran once: register the train run,
 * request Production, four-eyes approvals, the card, the audit trail.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import {
  ApproveTransitionRequest, AuditTrailRequest, ListModelsRequest, ListRunsRequest, ModelCardRequest, RegisterModelVersionRequest, TransitionModelVersionRequest,
} from '../../server/src/protocol';
import { closeSample, LspTestClient, openSample, REPO_ROOT } from './lspTestClient';

const SLOW_MS = 60_000;

describe('the model registry in the editor (protocol)', () => {
  let dir: string, client: LspTestClient, pipelinePath: string;
  before(async () => {
    ({ dir, client, pipelinePath } = await openSample());
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-q', '-m', 'sample']]) execFileSync('git', args, { cwd: dir });
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'server', 'out', 'cli.js'), 'run'], { cwd: dir, stdio: 'ignore' });
  });
  after(() => closeSample({ dir, client }));

  const errorCode = (e: unknown): string | undefined => (e instanceof ResponseError ? (e.data as { code?: string } | undefined)?.code : undefined);

  it('registers the train run as grant-fraud v1 with its gate report (values from prepare and evaluate); Production needs two others than the requester', async () => {
    assert.deepEqual(await client.send(ListModelsRequest, {}, undefined, SLOW_MS), { models: [], problems: [] });
    const { runs } = await client.send(ListRunsRequest, {}, undefined, SLOW_MS);
    const train = runs.find((r) => r.stage === 'train')!;
    const v = await client.send(RegisterModelVersionRequest, { pipelineFile: pipelinePath, runId: train.id, by: 'alice@example.eu' }, undefined, SLOW_MS);
    assert.deepEqual([v.model, v.version, v.stage, v.runId, v.artifact.path, v.createdBy, v.gatesPassed], ['grant-fraud', 1, 'None', train.id, 'model.json', 'alice@example.eu', true]);
    assert.deepEqual(v.gates.map((g) => [g.metric, g.stage, g.verdict]), [
      ['missing_rate', 'prepare', 'pass'], ['accuracy', 'evaluate', 'pass'], ['recall', 'evaluate', 'pass'], ['auc', 'evaluate', 'pass'], ['demographic_parity_difference', 'evaluate', 'pass'],
    ]);

    const requested = await client.send(TransitionModelVersionRequest, { root: dir, model: 'grant-fraud', version: 1, stage: 'Production', reason: 'passed review', by: 'alice@example.eu' }, undefined, SLOW_MS);
    assert.equal(requested.applied, false);
    const request = requested.applied ? assert.fail('Production must wait for approvals') : requested.request;
    assert.deepEqual([request.toStage, request.required, request.requestedBy, request.status], ['Production', 2, 'alice@example.eu', 'pending']);

    await assert.rejects(client.send(ApproveTransitionRequest, { root: dir, requestId: request.id, by: 'alice@example.eu' }, undefined, SLOW_MS), (e: unknown) => errorCode(e) === 'self-approval');
    const first = await client.send(ApproveTransitionRequest, { root: dir, requestId: request.id, by: 'bob@example.eu' }, undefined, SLOW_MS);
    assert.deepEqual([first.applied, first.counted, first.request.approvals.length], [false, true, 1]);
    const again = await client.send(ApproveTransitionRequest, { root: dir, requestId: request.id, by: 'bob@example.eu' }, undefined, SLOW_MS);
    assert.deepEqual([again.applied, again.counted, again.request.approvals.length], [false, false, 1], 'a second approval by the same person counts once');
    const second = await client.send(ApproveTransitionRequest, { root: dir, requestId: request.id, by: 'carol@example.eu', reason: 'fairness checked' }, undefined, SLOW_MS);
    assert.deepEqual([second.applied, second.version?.stage, second.request.status], [true, 'Production', 'approved']);

    const { models } = await client.send(ListModelsRequest, {}, undefined, SLOW_MS);
    assert.equal(models.length, 1);
    assert.deepEqual([models[0].name, models[0].root, models[0].pipelineFile, models[0].risk, models[0].approvalsRequired], ['grant-fraud', dir, pipelinePath, 'high', 2]);
    assert.deepEqual(models[0].versions.map((x) => [x.version, x.stage, x.pendingRequests.length]), [[1, 'Production', 0]]);
  });

  it('gives the model card (Annex IV) and the audit trail of the model, whose chain verifies', async () => {
    const card = await client.send(ModelCardRequest, { root: dir, model: 'grant-fraud', version: 1 }, undefined, SLOW_MS);
    for (const heading of ['General description', 'development process', 'Monitoring, functioning and control', 'performance metrics', 'Risk management', 'changes', 'standards', 'declaration of conformity', 'Post-market monitoring']) {
      assert.match(card.text, new RegExp(`^#+ .*${heading}`, 'mi'), `the card has a heading with "${heading}"`);
    }
    assert.match(card.text, /bob@example\.eu/);
    assert.match(card.text, /carol@example\.eu/);
    const trail = await client.send(AuditTrailRequest, { root: dir, entity: 'model:grant-fraud' }, undefined, SLOW_MS);
    assert.ok(trail.chain.ok, trail.chain.message);
    const actions = trail.entries.map((e) => `${e.action} ${e.actor}`);
    for (const expected of ['registry.register alice@example.eu', 'registry.request alice@example.eu', 'registry.approve bob@example.eu', 'registry.approve carol@example.eu']) {
      assert.ok(actions.includes(expected), `${expected} in ${JSON.stringify(actions)}`);
    }
    assert.ok(trail.entries.every((e, i) => i === 0 || e.seq < trail.entries[i - 1].seq), 'newest first');
  });
});

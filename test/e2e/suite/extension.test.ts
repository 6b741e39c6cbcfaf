/**
 * End-to-end tests inside the real VS Code extension host (code-server 4.100.3 = VS Code 1.100.3),
 * against the extension as installed from the packaged .vsix, on a fresh copy of sample/.
 * Everything goes through the public `vscode` API, as a user's editor would drive it.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlopsApi } from '../../../client/src/extension';
import type { ApproveResult, ModelVersionItem, TransitionResult } from '../../../server/src/protocol';

const EXTENSION_ID = 'mlops-workbench.mlops-workbench';
const SOURCE = 'mlops';
const REPO = path.resolve(__dirname, '../../../..'); // out/test/e2e/suite -> repository root


function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open (the copy of sample/)');
  return folder.uri;
}

const fileUri = (name: string): vscode.Uri => vscode.Uri.joinPath(workspaceRoot(), name);

function mlopsDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' && d.code !== null ? String(d.code.value) : String(d.code);
}

function describeDiagnostics(ds: readonly vscode.Diagnostic[]): string {
  if (ds.length === 0) return '(none)';
  return ds.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${vscode.DiagnosticSeverity[d.severity]} [${codeOf(d)}] ${d.message}`).join('\n  ');
}

/** Resolves when `predicate` holds for the mlops diagnostics of `uri` (checked now and on every change). */
function waitForDiagnostics(uri: vscode.Uri, what: string, predicate: (ds: vscode.Diagnostic[]) => boolean, timeoutMs = 20_000): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sub.dispose();
      fn();
    };
    const check = (): void => {
      const ds = mlopsDiagnostics(uri);
      if (predicate(ds)) finish(() => resolve(ds));
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => finish(() => reject(new Error(
      `timed out after ${timeoutMs} ms waiting for ${what} in ${path.basename(uri.fsPath)}; diagnostics now:\n  ${describeDiagnostics(mlopsDiagnostics(uri))}`))), timeoutMs);
    check();
  });
}

/** Resolves at the next diagnostics change for `uri` (listening starts now, before the caller acts). */
function nextDiagnosticsChange(uri: vscode.Uri, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms: the language server published no diagnostics for ${what}`));
    }, timeoutMs);
  });
}

/** The sample pipeline with the typo `needz:` in a stage: test/fixtures/broken-pipeline.yaml, or made from sample/pipeline.yaml. */
async function brokenPipelineText(): Promise<string> {
  const fixture = path.join(REPO, 'test', 'fixtures', 'broken-pipeline.yaml');
  if (fs.existsSync(fixture)) return fs.readFileSync(fixture, 'utf8');
  const sample = Buffer.from(await vscode.workspace.fs.readFile(fileUri('pipeline.yaml'))).toString('utf8');
  const broken = sample.replace(/^(\s+)needs:/m, '$1needz:');
  assert.notStrictEqual(broken, sample, 'sample/pipeline.yaml has a stage with `needs:` to break');
  return broken;
}

/** 0-based line and column of the first `needz:` key. */
function needzPosition(text: string): vscode.Position {
  const lines = text.split(/\r?\n/);
  const line = lines.findIndex((l) => /^\s*needz:/.test(l));
  assert.ok(line >= 0, 'the broken pipeline contains `needz:`');
  return new vscode.Position(line, lines[line].indexOf('needz'));
}

async function writeFile(name: string, text: string): Promise<vscode.Uri> {
  const uri = fileUri(name);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  return uri;
}

async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

function isUnknownNeedz(d: vscode.Diagnostic): boolean {
  return codeOf(d) === 'unknown-key' && /needz/.test(d.message);
}

describe('MLOps Workbench in a real VS Code', function () {
  let api: MlopsApi;

  before(async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension<MlopsApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    api = await ext.activate();
  });

  it('activates and exposes its API (from the installed .vsix)', function () {
    const ext = vscode.extensions.getExtension<MlopsApi>(EXTENSION_ID)!;
    assert.strictEqual(ext.isActive, true, 'the extension is active');
    assert.strictEqual(typeof api?.validateWorkspace, 'function', 'activate() returns { validateWorkspace() }');
    console.log(`    (extension ${ext.packageJSON.version} loaded from ${ext.extensionPath})`);
    const installedIn = process.env.MLOPS_E2E_EXTENSIONS_DIR;
    if (installedIn) {
      assert.ok(ext.extensionPath.startsWith(installedIn + path.sep),
        `the extension under test is the one installed from the .vsix in ${installedIn}, not ${ext.extensionPath}`);
    }
  });

  it('registers its commands', async function () {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['mlops.validateWorkspace', 'mlops.showOutput', 'mlops.restartServer', 'mlops.snapshotFolder', 'mlops.checkoutSnapshot', 'mlops.compareWithPreviousSnapshot', 'mlops.verifyCache', 'mlops.refreshSnapshots', 'mlops.runStage', 'mlops.runPipeline', 'mlops.openRun', 'mlops.cancelRun', 'mlops.deleteRun', 'mlops.startSweep', 'mlops.compareRuns', 'mlops.reproduceRun', 'mlops.showCommit', 'mlops.showSnapshot']) {
      assert.ok(commands.includes(c), `command ${c} is registered`);
    }
  });

  it('shows no error diagnostics for sample/pipeline.yaml', async function () {
    const uri = fileUri('pipeline.yaml');
    const published = nextDiagnosticsChange(uri, 'pipeline.yaml');
    await open(uri);
    await published;
    const errors = mlopsDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepStrictEqual(errors.length, 0, `no errors expected in the sample pipeline, got:\n  ${describeDiagnostics(errors)}`);
  });

  it("reports the typo `needz:` as 'unknown-key' on its line", async function () {
    const text = await brokenPipelineText();
    const at = needzPosition(text);
    const uri = await writeFile('broken.pipeline.yaml', text);
    await open(uri);
    const ds = await waitForDiagnostics(uri, "an 'unknown-key' diagnostic for needz", (all) => all.some(isUnknownNeedz));
    const d = ds.find(isUnknownNeedz)!;
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error, 'unknown keys are errors');
    assert.strictEqual(d.range.start.line, at.line, `diagnostic on line ${at.line + 1} (the needz: line), got ${d.range.start.line + 1}`);
    assert.strictEqual(d.range.start.character, at.character, 'diagnostic starts at the key');
    assert.match(d.message, /Unknown key 'needz'/);
  });

  it("offers 'executor' when completing an empty line inside a stage", async function () {
    // A copy of the sample pipeline with an empty, indented line inside the `prepare` stage
    // (a stage without `executor:`, so an implementation that hides present keys still offers it).
    const sample = Buffer.from(await vscode.workspace.fs.readFile(fileUri('pipeline.yaml'))).toString('utf8');
    const lines = sample.split('\n');
    const stageLine = lines.findIndex((l) => /^\s+prepare:\s*$/.test(l));
    assert.ok(stageLine >= 0, 'sample/pipeline.yaml has a `prepare` stage');
    const keyLine = lines.findIndex((l, i) => i > stageLine && /^\s+cmd:/.test(l));
    const indent = /^(\s*)/.exec(lines[keyLine])![1];
    lines.splice(keyLine + 1, 0, indent);
    const uri = await writeFile('completion.pipeline.yaml', lines.join('\n'));
    await open(uri);
    // Only the language server's items count: no completion from the words of the document.
    await vscode.workspace.getConfiguration('editor').update('wordBasedSuggestions', 'off', vscode.ConfigurationTarget.Global);
    const position = new vscode.Position(keyLine + 1, indent.length);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position);
    const labels = (list?.items ?? []).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.some((l) => /^executor\b/.test(l)), `completion at ${position.line + 1}:${position.character + 1} offers 'executor'; got [${labels.slice(0, 40).join(', ')}]`);
  });

  it("fixes the typo with the quick fix \"Change to 'needs'\"", async function () {
    const uri = fileUri('broken.pipeline.yaml');
    const editor = await open(uri);
    const ds = await waitForDiagnostics(uri, "an 'unknown-key' diagnostic for needz", (all) => all.some(isUnknownNeedz));
    const d = ds.find(isUnknownNeedz)!;
    const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, d.range);
    const titles = (actions ?? []).map((a) => a.title);
    const fix = (actions ?? []).find((a): a is vscode.CodeAction => a.title === "Change to 'needs'" && 'edit' in a);
    assert.ok(fix, `a code action titled "Change to 'needs'" is offered; got [${titles.join(', ')}]`);
    assert.ok(fix.edit, 'the quick fix carries an edit');
    assert.ok(!fix.kind || vscode.CodeActionKind.QuickFix.contains(fix.kind), `it is a quick fix (kind ${fix.kind?.value})`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit), 'the edit applies');
    await waitForDiagnostics(uri, 'the unknown-key diagnostic to go away', (all) => !all.some(isUnknownNeedz));
    const line = editor.document.lineAt(d.range.start.line).text;
    assert.match(line, /^\s*needs:/, `the line now reads needs: (${line.trim()})`);
    assert.deepStrictEqual(mlopsDiagnostics(uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error).length, 0,
      `no errors left in the fixed pipeline:\n  ${describeDiagnostics(mlopsDiagnostics(uri))}`);
    await editor.document.save();
  });

  it('validates every workspace file, opened or not (API validateWorkspace())', async function () {
    // A broken pipeline that no editor has opened: only workspace validation can report it.
    const uri = await writeFile('unopened.pipeline.yaml', await brokenPipelineText());
    assert.ok(!vscode.workspace.textDocuments.some((doc) => doc.uri.toString() === uri.toString()), 'the file is not open');
    const result = await api.validateWorkspace();
    assert.ok(result, 'validateWorkspace() returns a result (the server is running)');
    assert.ok(result.files >= 3, `files >= 3 (pipeline, params, clusters + the test files), got ${result.files}`);
    assert.ok(result.errors >= 1, `the unopened broken pipeline counts as an error, got ${JSON.stringify(result)}`);
    const ds = await waitForDiagnostics(uri, "an 'unknown-key' diagnostic in the unopened file", (all) => all.some(isUnknownNeedz), 10_000);
    assert.strictEqual(ds.find(isUnknownNeedz)!.range.start.line, needzPosition(await brokenPipelineText()).line);
    assert.ok(!vscode.workspace.textDocuments.some((doc) => doc.uri.toString() === uri.toString()), 'validation did not open the file');
  });

  it('runs the command "MLOps: Validate Workspace"', async function () {
    const result = await vscode.commands.executeCommand<{ files: number; errors: number; warnings: number } | undefined>('mlops.validateWorkspace');
    assert.ok(result, 'the command returns the validation result');
    assert.ok(result.files >= 3, `files >= 3, got ${result.files}`);
    assert.ok(result.errors >= 1, `the unopened broken pipeline is still counted, got ${JSON.stringify(result)}`);
    assert.ok(mlopsDiagnostics(fileUri('unopened.pipeline.yaml')).some(isUnknownNeedz), 'its diagnostic is still in getDiagnostics');
  });

  it('snapshots the sample data with "Snapshot Folder" and shows it in the Snapshots view', async function () {
    this.timeout(60_000);
    const raw = vscode.Uri.joinPath(workspaceRoot(), 'data', 'raw');
    const result = await vscode.commands.executeCommand<{ id: string; files: number; size: number; pointer: string } | undefined>('mlops.snapshotFolder', raw);
    assert.ok(result, 'the command returns the snapshot');
    assert.match(result.id, /^sha256:[0-9a-f]{64}$/);
    assert.strictEqual(result.files, fs.readdirSync(raw.fsPath).length);
    const pointer = fs.readFileSync(`${raw.fsPath}.snapshot`, 'utf8');
    assert.ok(pointer.includes(`sha256: ${result.id.slice(7)}`), `the pointer file names the snapshot:\n${pointer}`);

    const items = await api.snapshotsView();
    const item = items.find((i) => i.label === 'data/raw');
    assert.ok(item, `the view lists data/raw; it shows ${JSON.stringify(items)}`);
    assert.ok(item.description.startsWith(result.id.slice(7, 15)), `short id first in "${item.description}"`);
    assert.match(item.description, /\d+ files?/);
    assert.strictEqual(item.contextValue, 'snapshot-unchanged');
  });

  it('marks the snapshot stale once its data changes, and verifies the cache', async function () {
    this.timeout(60_000);
    const csv = path.join(workspaceRoot().fsPath, 'data', 'raw', 'applications.csv');
    fs.appendFileSync(csv, '\n');
    const item = (await api.snapshotsView()).find((i) => i.label === 'data/raw');
    assert.ok(item);
    assert.strictEqual(item.contextValue, 'snapshot-modified');
    assert.match(item.description, /changed since snapshot/);

    const verified = await vscode.commands.executeCommand<{ ok: boolean; objects: number } | undefined>('mlops.verifyCache');
    assert.ok(verified, 'Verify Cache returns its result');
    assert.strictEqual(verified.ok, true);
    assert.ok(verified.objects >= 2, `the files and the manifest are objects, got ${verified.objects}`);
  });

  it('compares a snapshot with its previous version in git ("Compare with Previous Snapshot")', async function () {
    this.timeout(60_000);
    const root = workspaceRoot().fsPath;
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=E2E', '-c', 'user.email=e2e@example.org', ...args], { cwd: root, encoding: 'utf8' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'sample with its first snapshot');
    const raw = vscode.Uri.joinPath(workspaceRoot(), 'data', 'raw');
    fs.writeFileSync(path.join(raw.fsPath, 'late-arrivals.csv'), 'id,amount\n9001,120\n');
    assert.ok(await vscode.commands.executeCommand('mlops.snapshotFolder', raw), 'the second snapshot is taken');

    const snapshot = { root, pointer: `${raw.fsPath}.snapshot`, dataPath: raw.fsPath, state: 'unchanged' };
    await vscode.commands.executeCommand('mlops.compareWithPreviousSnapshot', { snapshot });
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'the comparison opens in an editor');
    assert.strictEqual(editor.document.uri.scheme, 'mlops-view');
    assert.strictEqual(editor.document.languageId, 'diff');
    const text = editor.document.getText();
    assert.match(text, /^data\/raw: sha256:[0-9a-f]{8}… \(raw\.snapshot at HEAD\) -> sha256:[0-9a-f]{8}… \(raw\.snapshot \(working tree\)\)$/m);
    assert.match(text, /^1 added, 0 removed, 1 modified, 0 unchanged/m, text);
    assert.match(text, /^\+ late-arrivals\.csv  \(\d+ B\)$/m);
    assert.match(text, /^~ applications\.csv  \(/m, 'the line appended by the previous test');
  });

  it('runs the prepare stage ("MLOps: Run Stage", as its code lens does) and shows it in the Runs view', async function () {
    this.timeout(90_000);
    const pipelineFile = fileUri('pipeline.yaml').fsPath;
    assert.strictEqual(await vscode.commands.executeCommand('mlops.runStage', pipelineFile, 'prepare'), true, 'the run started');
    let items = await api.runsView();
    for (let i = 0; i < 600 && !items.some((x) => /^prepare · [0-9a-f]{8}$/.test(x.label) && /completed/.test(x.description)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      items = await api.runsView();
    }
    const run = items.find((x) => /^prepare · /.test(x.label));
    assert.ok(run, `the Runs view lists the run: ${JSON.stringify(items)}`);
    assert.match(run.description, /completed/);
    assert.match(run.description, /^rows \d+ · completed$/, 'the key metric (the first the stage declares), then the status');
    assert.strictEqual(run.contextValue, 'run-ended');
    assert.ok(items.some((x) => x.label === 'grant-fraud' && x.contextValue === 'pipeline'), 'under its pipeline');
  });

  it('runs a sweep of 3 trials, 2 at once ("Run Sweep..."): a sweep node with its trials showing val_loss; Compare Runs opens one page for them', async function () {
    this.timeout(180_000);
    const params = fileUri('params.yaml');
    const text = Buffer.from(await vscode.workspace.fs.readFile(params)).toString('utf8');
    assert.ok(text.includes('  trials: 12\n'));
    await vscode.workspace.fs.writeFile(params, Buffer.from(text.replace('  trials: 12\n', '  trials: 3\n')));
    assert.strictEqual(await vscode.commands.executeCommand('mlops.startSweep', fileUri('pipeline.yaml').fsPath, 2), true, 'the sweep started');
    const done = (items: Awaited<ReturnType<MlopsApi['runsView']>>): boolean => items.filter((x) => x.run?.sweepId && x.run.status === 'completed').length === 3;
    let items = await api.runsView();
    for (let i = 0; i < 1500 && !done(items); i++) {
      await new Promise((r) => setTimeout(r, 100));
      items = await api.runsView();
    }
    const sweep = items.find((x) => x.contextValue === 'sweep');
    assert.ok(sweep, `a sweep node: ${JSON.stringify(items.map((x) => [x.label, x.description]))}`);
    assert.match(sweep.label, /^sweep [0-9a-f]{8}$/);
    assert.strictEqual(sweep.description, '3 trials');
    const trials = items.filter((x) => x.run?.sweepId);
    assert.strictEqual(trials.length, 3);
    for (const t of trials) assert.match(t.description, /^val_loss [\d.e-]+ · completed$/, 'the search metric is the key metric of the trials');
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('mlops.compareRuns', undefined, trials.map((t) => ({ run: t.run })));
    assert.ok(panel, 'a compare page opened');
    assert.strictEqual(panel.title, 'Compare 3 runs');
    panel.dispose();
  });

  it('registers the train run of a pipeline run, requests Production as one user and approves as two others: the version becomes Production', async function () {
    this.timeout(180_000);
    const config = vscode.workspace.getConfiguration('mlops');
    const actAs = (user: string): Thenable<void> => config.update('user', user, vscode.ConfigurationTarget.Global);
    // Undo the snapshot tests' edits of data/raw: with the sample's own data every gate passes.
    const raw = path.join(workspaceRoot().fsPath, 'data', 'raw');
    fs.rmSync(path.join(raw, 'late-arrivals.csv'), { force: true });
    fs.copyFileSync(path.join(REPO, 'sample', 'data', 'raw', 'applications.csv'), path.join(raw, 'applications.csv'));
    assert.strictEqual(await vscode.commands.executeCommand('mlops.runPipeline', fileUri('pipeline.yaml').fsPath), true, 'the pipeline started');
    const evaluated = (items: Awaited<ReturnType<MlopsApi['runsView']>>): boolean => items.some((x) => x.run?.stage === 'evaluate' && x.run.status === 'completed');
    let runs = await api.runsView();
    for (let i = 0; i < 1500 && !evaluated(runs); i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = await api.runsView();
    }
    const train = runs.find((x) => x.run?.stage === 'train' && !x.run.sweepId && x.run.status === 'completed');
    assert.ok(train?.run, `a train run of the pipeline: ${JSON.stringify(runs.map((x) => x.label))}`);

    await actAs('alice@example.eu');
    const registered = await vscode.commands.executeCommand<ModelVersionItem>('mlops.registerModelVersion', { run: train.run });
    assert.ok(registered, 'registered');
    assert.deepEqual([registered.model, registered.version, registered.stage, registered.gatesPassed, registered.createdBy], ['grant-fraud', 1, 'None', true, 'alice@example.eu'], JSON.stringify(registered.gates));
    const versionItem = async (): Promise<Awaited<ReturnType<MlopsApi['registryView']>>[number]> => {
      const item = (await api.registryView()).find((x) => x.version?.version === 1);
      assert.ok(item, 'v1 is in the Model Registry view');
      return item;
    };
    assert.strictEqual((await versionItem()).description, 'None');

    const requested = await vscode.commands.executeCommand<TransitionResult>('mlops.requestPromotion', await versionItem(), 'Production', 'review passed');
    assert.strictEqual(requested?.applied, false, 'Production waits for approvals');
    let item = await versionItem();
    assert.strictEqual(item.description, 'None · → Production: 0/2 approvals');
    assert.strictEqual(item.contextValue, 'version-None-pending');

    // The requester cannot approve; two others can.
    assert.strictEqual(await vscode.commands.executeCommand('mlops.approveTransition', item, 'mine'), undefined, 'self-approval is refused');
    await actAs('bob@example.eu');
    const first = await vscode.commands.executeCommand<ApproveResult>('mlops.approveTransition', await versionItem(), 'checked the gates');
    assert.deepEqual([first?.applied, first?.request.approvals.length], [false, 1]);
    assert.strictEqual((await versionItem()).description, 'None · → Production: 1/2 approvals');
    await actAs('carol@example.eu');
    const second = await vscode.commands.executeCommand<ApproveResult>('mlops.approveTransition', await versionItem(), 'fairness reviewed');
    assert.deepEqual([second?.applied, second?.version?.stage], [true, 'Production']);
    item = await versionItem();
    assert.strictEqual(item.description, 'Production', 'the badge changed');
    assert.strictEqual(item.contextValue, 'version-Production');
    const model = (await api.registryView()).find((x) => x.contextValue === 'model');
    assert.strictEqual(model?.description, '1 version · Production v1 · high risk');

    // Its technical documentation and its audit trail open as read-only documents.
    const card = await vscode.commands.executeCommand<vscode.TextEditor>('mlops.openModelCard', item);
    assert.ok(card, 'the model card opened');
    assert.strictEqual(card.document.languageId, 'markdown');
    for (const heading of ['General description', 'Post-market monitoring']) assert.match(card.document.getText(), new RegExp(`^#+ .*${heading}`, 'm'));
    assert.match(card.document.getText(), /carol@example\.eu/);
    const trail = await vscode.commands.executeCommand<vscode.TextEditor>('mlops.showAuditTrail', item);
    assert.ok(trail, 'the audit trail opened');
    const text = trail.document.getText();
    assert.match(text.split('\n')[0], /^Audit trail of model:grant-fraud\/1 \(newest first\): \d+ entries; chain intact/);
    for (const line of ['registry.register', 'registry.request', 'registry.approve', 'registry.transition']) assert.match(text, new RegExp(`  ${line.replace('.', '\\.')}  model:grant-fraud/1  `));
    await actAs('');
  });
});

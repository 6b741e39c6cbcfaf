/** `mlops validate` as a CI pipeline runs it: the built CLI, real files, exit codes and formats. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

const REPO = path.join(__dirname, '../../..');
const CLI = path.join(REPO, 'server/out/cli.js');

function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-'));
  fs.cpSync(path.join(REPO, 'sample'), dir, { recursive: true });
  return dir;
}

function mlops(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function breakSample(dir: string): void {
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('needs: [prepare]', 'needz: [prepare]').replace('${params.train.lr}', '${params.train.lrr}'));
}

describe('mlops validate', () => {
  test('a valid workspace exits 0 and says how many files were checked', () => {
    const r = mlops(workspace(), 'validate');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 file\(s\) checked: 0 error\(s\), 0 warning\(s\)\./);
  });

  test('errors exit 1 and are printed as file:line:column with their code', () => {
    const dir = workspace();
    breakSample(dir);
    const r = mlops(dir, 'validate', '.');
    assert.equal(r.code, 1);
    const lines = fs.readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8').split('\n');
    const needzLine = lines.findIndex((l) => l.includes('needz')) + 1;
    assert.match(r.stdout, new RegExp(`^pipeline\\.yaml:${needzLine}:5: error Unknown key 'needz' in stages\\.train\\. Did you mean 'needs'\\? \\[unknown-key\\]$`, 'm'));
    assert.match(r.stdout, /\[unknown-param\]/);
  });

  test('--format json prints 1-based locations', () => {
    const dir = workspace();
    breakSample(dir);
    const r = mlops(dir, 'validate', 'pipeline.yaml', '--format', 'json');
    assert.equal(r.code, 1);
    const problems = JSON.parse(r.stdout) as { file: string; line: number; column: number; severity: string; code: string; message: string }[];
    const lrr = problems.find((p) => p.code === 'unknown-param');
    assert.ok(lrr, r.stdout);
    const lines = fs.readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8').split('\n');
    assert.equal(lines[lrr.line - 1].slice(lrr.column - 1, lrr.column - 1 + 'params.train.lrr'.length), 'params.train.lrr');
    assert.deepEqual(Object.keys(lrr).sort(), ['code', 'column', 'file', 'line', 'message', 'severity']);
    assert.equal(lrr.file, 'pipeline.yaml');
  });

  test('--format sarif prints SARIF 2.1.0 with rules and regions', () => {
    const dir = workspace();
    breakSample(dir);
    const r = mlops(dir, 'validate', '--format=sarif');
    assert.equal(r.code, 1);
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'mlops-workbench');
    const ruleIds = run.tool.driver.rules.map((x: { id: string }) => x.id);
    assert.ok(ruleIds.includes('unknown-key'));
    const result = run.results.find((x: { ruleId: string }) => x.ruleId === 'unknown-key');
    assert.equal(result.level, 'error');
    assert.equal(ruleIds[result.ruleIndex], 'unknown-key');
    assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'pipeline.yaml');
    assert.ok(result.locations[0].physicalLocation.region.startLine > 1);
  });

  test('warnings alone exit 0', () => {
    const dir = workspace();
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('deps: [data/features/test.csv,', 'deps: [data/missing.csv,'));
    const r = mlops(dir, 'validate');
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /warning Dependency 'data\/missing\.csv' does not exist/);
  });

  test('a missing path and an unknown format are usage errors (exit 2)', () => {
    const dir = workspace();
    assert.equal(mlops(dir, 'validate', 'nope/').code, 2);
    const r = mlops(dir, 'validate', '--format', 'xml');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown --format 'xml'/);
  });

  test('a pipeline in a subfolder finds clusters.yaml at the root of the current directory', () => {
    const dir = workspace();
    const sub = path.join(dir, 'models', 'fraud');
    fs.mkdirSync(sub, { recursive: true });
    const text = fs.readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8').replace('executor: local ', 'cluster: lumi\n    executor: slurm ');
    fs.writeFileSync(path.join(sub, 'pipeline.yaml'), text);
    for (const f of ['params.yaml', 'Dockerfile']) fs.copyFileSync(path.join(dir, f), path.join(sub, f));
    const ok = mlops(dir, 'validate', 'models/fraud/pipeline.yaml', '--format', 'json');
    assert.deepEqual(JSON.parse(ok.stdout).filter((p: { severity: string }) => p.severity === 'error'), []);
    fs.rmSync(path.join(dir, 'clusters.yaml'));
    const missing = mlops(dir, 'validate', 'models/fraud/pipeline.yaml', '--format', 'json');
    assert.equal(missing.code, 1);
    assert.ok(JSON.parse(missing.stdout).some((p: { code: string }) => p.code === 'unknown-cluster'), missing.stdout);
  });

  test('YAML files that are not ours are not touched', () => {
    const dir = workspace();
    fs.writeFileSync(path.join(dir, 'docker-compose.yaml'), 'services: [: broken');
    const r = mlops(dir, 'validate');
    assert.equal(r.code, 0, r.stdout);
  });
});

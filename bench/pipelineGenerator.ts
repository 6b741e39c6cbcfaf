/**
 * Generates a large, realistic pipeline workspace for benchmarks: N stages with commands using
 * ${params...}, needs chains, deps, outs, params lists, metrics, resources, executors and images,
 * plus the params.yaml and clusters.yaml it refers to and every file its deps name (so that the
 * pipeline validates with no diagnostic at all).
 */
import * as fs from 'fs';
import * as path from 'path';

export interface GeneratedWorkspace {
  pipeline: string;
  params: string;
  clusters: string;
  /** Files (relative) the pipeline's deps and images name; directories end with '/'. */
  paths: string[];
  /** Where to type in the middle of the file: a position inside a stage's cmd. */
  editAt: { line: number; character: number; stage: string };
}

const KINDS = ['prepare', 'featurize', 'train', 'evaluate'] as const;
const GROUPS = 100;

const pad = (n: number, w = 4): string => String(n).padStart(w, '0');

export function generateWorkspace(stageCount = 1000): GeneratedWorkspace {
  const paths = new Set<string>(['Dockerfile', 'docker/', 'docker/gpu.Dockerfile', 'data/raw/', 'data/reference.csv', 'data/holdout.csv']);
  const lines: string[] = [];
  const push = (...l: string[]): void => {
    lines.push(...l);
  };
  push(
    '# Generated benchmark pipeline: customs risk scoring, one stage per model family and fold.',
    'apiVersion: mlops/v1',
    'kind: Pipeline',
    'name: customs-risk',
    'description: Scores customs declarations for manual inspection',
    'risk: high',
    'params: params.yaml',
    '',
    'data:',
    '  raw: { path: data/raw, description: Declarations 2022-2024 with inspection outcomes }',
    '  reference: { path: data/reference.csv }',
    '  holdout: { path: data/holdout.csv }',
    '',
    'stages:',
  );
  const name = (i: number): string => `${KINDS[i % KINDS.length]}_${pad(i)}`;
  let editAt: GeneratedWorkspace['editAt'] | undefined;
  for (let i = 0; i < stageCount; i++) {
    const kind = KINDS[i % KINDS.length];
    const g = `m${pad(i % GROUPS, 2)}`;
    const stage = name(i);
    const out = `data/s${pad(i)}`;
    paths.add(`${out}/`);
    paths.add(`src/${kind}.py`);
    const input = i === 0 ? 'data/raw' : `data/s${pad(i - 1)}`;
    push(`  ${stage}:`);
    if (i === Math.floor(stageCount / 2)) editAt = { line: lines.length, character: '    cmd: python src/'.length + 2, stage };
    push(`    cmd: python src/${kind}.py --lr \${params.${g}.lr} --epochs \${params.${g}.epochs} --in ${input} --out ${out}`);
    if (i > 0) push(`    needs: [${name(i - 1)}${i % 10 === 0 && i >= 5 ? `, ${name(i - 5)}` : ''}]`);
    push(`    deps: [src/${kind}.py, ${input}${i % 7 === 0 ? ', data.raw' : ''}]`);
    push(`    outs: [${out}]`);
    push(`    params: [${g}.lr, ${g}.epochs, ${g}.batch_size]`);
    push(`    metrics: [loss, accuracy${kind === 'evaluate' ? ', recall, demographic_parity_difference' : ''}]`);
    if (i % 4 === 0) push(`    resources: { cpus: ${2 + (i % 4) * 2}, memory: ${4 * (1 + (i % 4))}Gi, gpus: ${kind === 'train' ? 1 : 0}, time: "0${i % 10}:30:00" }`);
    if (i % 10 === 1) push('    executor: docker', '    image: { dockerfile: Dockerfile, context: . }');
    else if (i % 20 === 3) push('    executor: slurm', '    cluster: lumi', '    image: registry.example.eu/customs/train:1.4');
    else if (i % 20 === 7) push('    executor: docker', '    image: { dockerfile: docker/gpu.Dockerfile, context: . }');
  }
  push(
    '',
    'validation:',
    '  - { metric: accuracy, min: 0.85 }',
    '  - { metric: recall, min: 0.6 }',
    '  - { metric: demographic_parity_difference, max: 0.1, type: fairness }',
    '',
    'registry:',
    '  model: customs-risk',
    '  approvals: 2',
    '',
    'deploy:',
    '  strategy: canary',
    '  canary: { initial: 5, steps: [25, 50, 100], maxErrorRate: 0.01 }',
    '',
    'monitor:',
    '  drift: { reference: reference, features: [value, origin, hs_code], method: psi, bins: 10, warn: 0.1, alert: 0.25 }',
    '  performance: { metric: accuracy, min: 0.8 }',
    '',
    'governance:',
    '  humanOversight: true',
    '  logRetentionDays: 365',
    '',
  );

  const params: string[] = ['# Generated benchmark params: one group per model family.', 'common:', '  seed: 42', ''];
  for (let g = 0; g < GROUPS; g++) {
    params.push(`m${pad(g, 2)}:`, `  lr: 0.0${1 + (g % 9)}`, `  epochs: ${10 + g}`, `  batch_size: ${[16, 32, 64, 128][g % 4]}`, `  optimizer: ${g % 2 ? 'adam' : 'sgd'}`, '');
  }
  const clusters = [
    'clusters:',
    '  lumi:',
    '    host: lumi.csc.fi',
    '    user: jdoe',
    '    account: project_465000123',
    '    partition: small-g',
    '    container: singularity',
    '',
  ].join('\n');
  return { pipeline: lines.join('\n'), params: params.join('\n'), clusters, paths: [...paths], editAt: editAt! };
}

/** Writes the workspace into `dir` (created if needed). */
export function writeWorkspace(dir: string, ws: GeneratedWorkspace): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const rel of ws.paths) {
    const p = path.join(dir, rel);
    if (rel.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, rel.endsWith('Dockerfile') ? 'FROM python:3.12-slim\n' : '# generated\n');
    }
  }
  fs.writeFileSync(path.join(dir, 'pipeline.yaml'), ws.pipeline);
  fs.writeFileSync(path.join(dir, 'params.yaml'), ws.params);
  fs.writeFileSync(path.join(dir, 'clusters.yaml'), ws.clusters);
}

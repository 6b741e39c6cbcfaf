/** Semantic rules of pipeline.yaml beyond its schema (PRODUCT.md), each at the exact range. */
import * as path from 'path';
import { deref, getPair, getValue, numberValue, Pair, ParsedYaml, scalarValue, stringValue, YamlNode } from '../yaml/yamlAst';
import { ObjectStore } from '../snapshots/objectStore';
import {
  clustersPathFor, paramsPathFor, projectRootOf, readParsed, workspaceRootOf, WorkspaceContext,
} from '../workspace/workspaceFiles';
import { leavesUnder, paramsIndex, ParamsIndex } from './paramsIndex';
import { didYouMean, Fix, Problem, replacementFixes, Severity, suggestionText } from './problem';

export const PARAM_REF = /\$\{\s*params\.([^}\s]*)\s*\}/g;
export const SNAPSHOT_ID = /^sha256:[0-9a-f]{64}$/;
/** EU AI Act Art. 19: a high-risk system keeps its logs at least six months. */
export const HIGH_RISK_MIN_RETENTION_DAYS = 183;

/** What a pipeline refers to in other files, resolved once per validation. */
export interface PipelineLinks {
  paramsPath: string;
  paramsDeclared?: Pair;
  params?: ParamsIndex;
  clustersPath?: string;
  clusters?: Map<string, Pair>;
}

export function resolveLinks(parsed: ParsedYaml, filePath: string, ctx: WorkspaceContext): PipelineLinks {
  const paramsDeclared = getPair(parsed.root, 'params');
  const paramsPath = paramsPathFor(filePath, stringValue(paramsDeclared?.value), ctx);
  const paramsParsed = readParsed(ctx, paramsPath);
  const clustersPath = clustersPathFor(filePath, ctx);
  const clustersParsed = clustersPath ? readParsed(ctx, clustersPath) : undefined;
  let clusters: Map<string, Pair> | undefined;
  if (clustersParsed) {
    clusters = new Map();
    const map = deref(getValue(clustersParsed.root, 'clusters'));
    if (map?.kind === 'map') for (const p of map.pairs) clusters.set(p.keyText, p);
  }
  return { paramsPath, paramsDeclared, params: paramsParsed ? paramsIndex(paramsParsed) : undefined, clustersPath, clusters };
}

export function stagePairs(root: YamlNode | undefined): Pair[] {
  const stages = deref(getValue(root, 'stages'));
  return stages?.kind === 'map' ? stages.pairs : [];
}

export function dataNames(root: YamlNode | undefined): string[] {
  const data = deref(getValue(root, 'data'));
  return data?.kind === 'map' ? data.pairs.map((p) => p.keyText) : [];
}

export function listItems(node: YamlNode | undefined): YamlNode[] {
  const n = deref(node);
  if (n?.kind === 'seq') return n.items;
  if (n?.kind === 'scalar' && n.value !== null) return [n];
  return [];
}

/** `${params.a.b}` references inside a scalar, with the offsets of `a.b` in the file. */
export function paramRefs(text: string, node: YamlNode): { key: string; start: number; end: number }[] {
  const raw = text.slice(node.start, node.end);
  const refs: { key: string; start: number; end: number }[] = [];
  for (const m of raw.matchAll(PARAM_REF)) {
    const start = node.start + (m.index ?? 0) + m[0].indexOf('params.');
    refs.push({ key: m[1], start, end: start + 'params.'.length + m[1].length });
  }
  return refs;
}

/** Checks the pipeline and returns the files it refers to (so that editing them re-validates it). */
export function checkPipeline(parsed: ParsedYaml, filePath: string, ctx: WorkspaceContext, problems: Problem[]): PipelineLinks | undefined {
  const root = deref(parsed.root);
  if (root?.kind !== 'map') return undefined;
  const text = parsed.text;
  const report = (node: { start: number; end: number }, code: string, message: string, severity: Severity = 'error', fixes?: Fix[]): void => {
    problems.push({ start: node.start, end: node.end, severity, code, message, fixes });
  };
  const links = resolveLinks(parsed, filePath, ctx);
  const dir = path.dirname(filePath);
  const stages = stagePairs(root);
  const stageNames = stages.map((s) => s.keyText);
  const stageSet = new Set(stageNames);
  const data = dataNames(root);
  const declaredMetrics = new Set<string>();
  // What the stages write: a dep under one of these is made by the pipeline, not missing.
  const produced = stages.flatMap((st) => listItems(getValue(st.value, 'outs')).flatMap((n) => {
    const out = stringValue(n);
    return out ? [path.posix.normalize(out).replace(/\/+$/, '')] : [];
  }));

  if (links.paramsDeclared && !links.params) {
    report(links.paramsDeclared.value, 'params-file-missing', `The params file '${stringValue(links.paramsDeclared.value)}' does not exist or is not a readable YAML file under 5 MB (looked for ${links.paramsPath}). Create it or fix the path.`);
  }

  const checkParamKey = (key: string, start: number, end: number): void => {
    if (!links.params) {
      if (!links.paramsDeclared) report({ start, end }, 'unknown-param', `'params.${key}' cannot be resolved: there is no ${path.basename(links.paramsPath)} beside this pipeline. Create it or set 'params:' to its path.`);
      return;
    }
    const entry = links.params.entries.get(key);
    if (entry?.leaf) return;
    if (entry) {
      const leaves = leavesUnder(links.params, key);
      report({ start, end }, 'param-not-leaf', `'${key}' is a group of parameters, not a value. Name one of its leaves: ${leaves.slice(0, 6).join(', ')}.`, 'error',
        replacementFixes(start, end, leaves.slice(0, 3).map((l) => (text.slice(start, end).startsWith('params.') ? `params.${l}` : l))));
      return;
    }
    const suggestions = didYouMean(key, links.params.leaves);
    const prefix = text.slice(start, end).startsWith('params.') ? 'params.' : '';
    report({ start, end }, 'unknown-param', `Unknown parameter '${key}': ${path.basename(links.paramsPath)} has no such leaf.${suggestionText(suggestions)}`, 'error',
      replacementFixes(start, end, suggestions.map((s) => prefix + s)));
  };

  for (const stage of stages) {
    const s = deref(stage.value);
    if (s?.kind !== 'map') continue;
    const name = stage.keyText;
    const cmd = getValue(s, 'cmd');
    if (cmd && deref(cmd)?.kind === 'scalar') for (const ref of paramRefs(text, cmd)) checkParamKey(ref.key, ref.start, ref.end);
    for (const item of listItems(getValue(s, 'params'))) {
      const key = stringValue(item);
      if (key !== undefined) checkParamKey(key, item.start, item.end);
    }
    for (const item of listItems(getValue(s, 'metrics'))) {
      const m = stringValue(item);
      if (m) declaredMetrics.add(m);
    }
    for (const item of listItems(getValue(s, 'needs'))) {
      const need = stringValue(item);
      if (need === undefined || stageSet.has(need)) continue;
      const suggestions = didYouMean(need, stageNames.filter((n) => n !== name));
      report(item, 'unknown-stage', `'${need}' is not a stage of this pipeline.${suggestionText(suggestions)}${suggestions.length ? '' : ` Stages: ${stageNames.join(', ')}.`}`, 'error', replacementFixes(item.start, item.end, suggestions));
    }
    for (const item of listItems(getValue(s, 'deps'))) checkDep(item);

    const executor = getPair(s, 'executor');
    const kind = stringValue(executor?.value) ?? 'local';
    if ((kind === 'docker' || kind === 'slurm') && executor) {
      if (!getPair(s, 'image')) {
        report(executor.value, 'missing-image', `Stage '${name}' runs with executor '${kind}' but has no 'image'. Add image: { dockerfile: Dockerfile, context: . }.`, 'error',
          [keyInsertFix(text, executor, 'image: { dockerfile: Dockerfile, context: . }')]);
      }
    }
    const image = deref(getValue(s, 'image'));
    const dockerfile = getValue(image, 'dockerfile');
    if (image?.kind === 'map') {
      const context = stringValue(getValue(image, 'context')) ?? '.';
      const file = stringValue(dockerfile) ?? 'Dockerfile';
      const at = dockerfile ?? getPair(s, 'image')!.key;
      if (!ctx.source.exists(path.resolve(dir, context, file))) {
        report(at, 'missing-dockerfile', `Dockerfile '${path.join(context, file)}' not found next to the pipeline. Create it or fix 'dockerfile'/'context'.`, 'warning');
      }
    }
    const cluster = getPair(s, 'cluster');
    if (kind === 'slurm' && executor && !cluster) {
      const names = [...(links.clusters?.keys() ?? [])];
      report(executor.value, 'missing-cluster', `Stage '${name}' runs on Slurm but names no 'cluster'. Add cluster: <a name from clusters.yaml>${names.length ? ` (${names.join(', ')})` : ''}.`, 'error',
        names.slice(0, 3).map((n) => keyInsertFix(text, executor, `cluster: ${n}`)));
    }
    if (cluster && kind === 'slurm') {
      const clusterName = stringValue(cluster.value);
      if (clusterName !== undefined && !links.clusters?.has(clusterName)) {
        const names = [...(links.clusters?.keys() ?? [])];
        const suggestions = didYouMean(clusterName, names);
        const where = links.clustersPath ? `${path.basename(links.clustersPath)} has no cluster '${clusterName}'.` : `no clusters.yaml was found beside the pipeline or at the workspace root to define '${clusterName}'.`;
        report(cluster.value, 'unknown-cluster', `Unknown cluster: ${where}${suggestionText(suggestions)}${!suggestions.length && names.length ? ` Clusters: ${names.join(', ')}.` : ''}`, 'error',
          replacementFixes(cluster.value.start, cluster.value.end, suggestions));
      }
    }
  }

  checkCycles(stages, report);
  checkData(root, filePath, ctx, report);
  checkGates(root, declaredMetrics, report);
  checkDeploy(root, report);
  checkMonitor(root, data, report);
  checkRisk(root, text, report);
  return links;

  function checkDep(item: YamlNode): void {
    const dep = stringValue(item);
    if (!dep) return;
    if (dep.startsWith('data.')) {
      const name = dep.slice(5);
      if (!data.includes(name)) {
        const suggestions = didYouMean(name, data);
        report(item, 'unknown-data', `'${name}' is not a dataset in 'data'.${suggestionText(suggestions)}`, 'error', replacementFixes(item.start, item.end, suggestions.map((s) => `data.${s}`)));
      }
      return;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dep)) return; // a URL, not a workspace path
    const normalized = path.posix.normalize(dep);
    if (produced.some((out) => normalized === out || normalized.startsWith(`${out}/`))) return;
    if (!ctx.source.exists(path.resolve(dir, dep))) {
      report(item, 'missing-dep', `Dependency '${dep}' does not exist in the workspace. Create it, produce it with an earlier stage's 'outs', or fix the path.`, 'warning');
    }
  }
}

type Report = (node: { start: number; end: number }, code: string, message: string, severity?: Severity, fixes?: Fix[]) => void;

function checkCycles(stages: Pair[], report: Report): void {
  const needs = new Map<string, { name: string; node: YamlNode }[]>();
  for (const st of stages) {
    needs.set(st.keyText, listItems(getValue(st.value, 'needs')).flatMap((n) => {
      const v = stringValue(n);
      return v === undefined ? [] : [{ name: v, node: n }];
    }));
  }
  // Iterative DFS (a pipeline may have thousands of stages); each cycle reported once.
  const state = new Map<string, 1 | 2>();
  const reported = new Set<string>();
  for (const start of needs.keys()) {
    if (state.has(start)) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const edges = needs.get(top.name) ?? [];
      if (top.next >= edges.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const edge = edges[top.next++];
      if (!needs.has(edge.name)) continue;
      const st = state.get(edge.name);
      if (st === undefined) {
        state.set(edge.name, 1);
        stack.push({ name: edge.name, next: 0 });
      } else if (st === 1) {
        const from = stack.findIndex((f) => f.name === edge.name);
        const cycle = stack.slice(from).map((f) => f.name);
        const id = [...cycle].sort().join('>');
        if (reported.has(id)) continue;
        reported.add(id);
        const shown = [...cycle, edge.name].join(' -> ');
        // Mark every `needs` entry on the cycle: any of them is where the user may break it.
        cycle.forEach((name, i) => {
          const target = cycle[(i + 1) % cycle.length];
          const entry = needs.get(name)?.find((e) => e.name === target);
          if (entry) report(entry.node, 'needs-cycle', `Stages depend on each other in a cycle: ${shown}. Remove one of these 'needs' entries.`);
        });
      }
    }
  }
}

function checkData(root: YamlNode, filePath: string, ctx: WorkspaceContext, report: Report): void {
  const data = deref(getValue(root, 'data'));
  if (data?.kind !== 'map') return;
  const store = new ObjectStore(projectRootOf(filePath, ctx));
  for (const entry of data.pairs) {
    const snap = getValue(entry.value, 'snapshot');
    const id = stringValue(snap);
    if (!snap || !id || !SNAPSHOT_ID.test(id)) continue; // the schema reports a malformed id
    if (!ctx.source.exists(store.objectPath(id.slice(7)))) {
      const cache = path.relative(workspaceRootOf(filePath, ctx), store.objectsDir) || store.objectsDir;
      report(snap, 'snapshot-not-cached', `Snapshot ${id.slice(0, 19)}... of '${entry.keyText}' is not in the local cache (${cache}). Pull it with \`mlops pull\`, or snapshot the data again.`, 'warning');
    }
  }
}

function checkGates(root: YamlNode, declared: Set<string>, report: Report): void {
  for (const gate of listItems(getValue(root, 'validation'))) {
    const g = deref(gate);
    if (g?.kind !== 'map') continue;
    const minP = getPair(g, 'min');
    const maxP = getPair(g, 'max');
    const metric = getPair(g, 'metric');
    if (!minP && !maxP) report(metric?.key ?? g, 'gate-no-bound', `This gate has neither 'min' nor 'max'. Add the bound the metric must meet, e.g. min: 0.85.`);
    const min = numberValue(minP?.value);
    const max = numberValue(maxP?.value);
    if (minP && maxP && min !== undefined && max !== undefined && min > max) {
      report(span(minP.value, maxP.value), 'gate-min-max', `Gate min (${min}) is greater than max (${max}): no value can pass. Swap or fix them.`);
    }
    const name = stringValue(metric?.value);
    if (metric && name && !declared.has(name)) {
      const suggestions = didYouMean(name, declared);
      report(metric.value, 'unknown-metric', `No stage declares the metric '${name}' in its 'metrics', so this gate can never be evaluated.${suggestionText(suggestions)}`, 'warning',
        replacementFixes(metric.value.start, metric.value.end, suggestions));
    }
  }
}

function checkDeploy(root: YamlNode, report: Report): void {
  const canary = deref(getValue(getValue(root, 'deploy'), 'canary'));
  if (canary?.kind !== 'map') return;
  const initialP = getPair(canary, 'initial');
  const initial = numberValue(initialP?.value);
  if (initialP && initial !== undefined && !(initial > 0 && initial < 100)) {
    report(initialP.value, 'canary-initial', `Canary 'initial' is ${initial}%; it must be between 0 and 100 (exclusive), e.g. 5.`);
  }
  const steps = deref(getValue(canary, 'steps'));
  if (steps?.kind !== 'seq') return;
  let prev = initial !== undefined && initial > 0 && initial < 100 ? initial : -Infinity;
  for (const item of steps.items) {
    const v = numberValue(item);
    if (v === undefined) continue;
    if (v <= prev) {
      report(item, 'canary-steps', `Canary steps must increase strictly${prev === initial ? ' from the initial share' : ''}: ${v} follows ${prev}.`);
    } else if (v > 100) {
      report(item, 'canary-steps', `Canary step ${v}% is above 100%.`);
    }
    prev = Math.max(prev, v);
  }
  const last = steps.items[steps.items.length - 1];
  if (!last) report(steps, 'canary-steps', 'Canary steps are empty; end them at 100, e.g. [25, 50, 100].');
  else if (numberValue(last) !== 100) report(last, 'canary-steps', `Canary steps must end at 100 (full rollout); the last is ${scalarValue(last)}.`);
}

function checkMonitor(root: YamlNode, data: string[], report: Report): void {
  const drift = deref(getValue(getValue(root, 'monitor'), 'drift'));
  if (drift?.kind !== 'map') return;
  const warnP = getPair(drift, 'warn');
  const alertP = getPair(drift, 'alert');
  const warn = numberValue(warnP?.value);
  const alert = numberValue(alertP?.value);
  if (warnP && alertP && warn !== undefined && alert !== undefined && warn >= alert) {
    report(span(warnP.value, alertP.value), 'drift-thresholds', `Drift 'warn' (${warn}) must be lower than 'alert' (${alert}).`);
  }
  const binsP = getPair(drift, 'bins');
  const bins = numberValue(binsP?.value);
  if (binsP && bins !== undefined && bins < 2) report(binsP.value, 'drift-bins', `Drift needs at least 2 bins (it has ${bins}).`);
  const refP = getPair(drift, 'reference');
  const ref = stringValue(refP?.value);
  if (refP && ref !== undefined && !data.includes(ref)) {
    const suggestions = didYouMean(ref, data);
    report(refP.value, 'unknown-data', `Drift reference '${ref}' is not a dataset in 'data'.${suggestionText(suggestions)}${!suggestions.length && data.length ? ` Datasets: ${data.join(', ')}.` : ''}`, 'error',
      replacementFixes(refP.value.start, refP.value.end, suggestions));
  }
}

/** EU AI Act duties of a high-risk system: human oversight, monitoring, approval, log retention. */
function checkRisk(root: YamlNode, text: string, report: Report): void {
  const riskP = getPair(root, 'risk');
  if (stringValue(riskP?.value) !== 'high' || !riskP) return;
  const at = riskP.value;
  const governance = getPair(root, 'governance');
  const oversight = getPair(governance?.value, 'humanOversight');
  if (!governance) {
    report(at, 'high-risk-oversight', 'A high-risk model needs human oversight (EU AI Act Art. 14): add governance.humanOversight: true and logRetentionDays >= 183.', 'error',
      [appendBlockFix(text, GOVERNANCE_BLOCK, 'Add the governance block a high-risk pipeline needs')]);
    report(at, 'high-risk-retention', `A high-risk model must keep its logs at least six months (EU AI Act Art. 19): add governance.logRetentionDays of ${HIGH_RISK_MIN_RETENTION_DAYS} or more.`);
  } else if (scalarValue(oversight?.value) !== true) {
    report(oversight?.value ?? governance.key, 'high-risk-oversight', 'A high-risk model needs human oversight (EU AI Act Art. 14): set governance.humanOversight: true.', 'error',
      oversight ? replacementFixes(oversight.value.start, oversight.value.end, ['true']) : [keyInsertFix(text, governance, 'humanOversight: true', true)]);
  }
  if (governance) {
    const retention = getPair(governance.value, 'logRetentionDays');
    const days = numberValue(retention?.value);
    if (!retention) {
      report(governance.key, 'high-risk-retention', `A high-risk model must keep its logs at least six months (EU AI Act Art. 19): add governance.logRetentionDays of ${HIGH_RISK_MIN_RETENTION_DAYS} or more.`, 'error',
        [keyInsertFix(text, governance, 'logRetentionDays: 365', true)]);
    } else if (days !== undefined && days < HIGH_RISK_MIN_RETENTION_DAYS) {
      report(retention.value, 'high-risk-retention', `logRetentionDays is ${days}; a high-risk model must keep logs at least ${HIGH_RISK_MIN_RETENTION_DAYS} days (EU AI Act Art. 19).`, 'error',
        replacementFixes(retention.value.start, retention.value.end, ['365']));
    }
  }
  if (!getPair(root, 'monitor')) {
    report(at, 'high-risk-monitor', 'A high-risk model needs post-market monitoring (EU AI Act Art. 72): add a monitor section with drift and performance checks.', 'error',
      [appendBlockFix(text, MONITOR_BLOCK, 'Add the monitor block a high-risk pipeline needs')]);
  }
  const registry = getPair(root, 'registry');
  const approvals = getPair(registry?.value, 'approvals');
  const n = numberValue(approvals?.value);
  if (!registry) {
    report(at, 'high-risk-approvals', 'A high-risk model needs human approval before Production: add registry.approvals of 1 or more.', 'error',
      [appendBlockFix(text, 'registry:\n  approvals: 2\n', 'Add a registry block requiring 2 approvals')]);
  } else if (!approvals) {
    report(registry.key, 'high-risk-approvals', 'A high-risk model needs human approval before Production: set registry.approvals to 1 or more.', 'error',
      [keyInsertFix(text, registry, 'approvals: 2', true)]);
  } else if (n !== undefined && n < 1) {
    report(approvals.value, 'high-risk-approvals', `registry.approvals is ${n}; a high-risk model needs at least 1 human approver (EU AI Act Art. 14).`, 'error',
      replacementFixes(approvals.value.start, approvals.value.end, ['2']));
  }
  const strategy = getValue(getValue(root, 'deploy'), 'strategy');
  if (stringValue(strategy) === 'cutover' && strategy) {
    report(strategy, 'high-risk-cutover', 'A cutover switches every user to the new model at once; for a high-risk model prefer canary or batch.', 'warning',
      replacementFixes(strategy.start, strategy.end, ['canary']));
  }
}

const GOVERNANCE_BLOCK = 'governance:\n  humanOversight: true\n  logRetentionDays: 365\n';
const MONITOR_BLOCK = 'monitor:\n  drift: { reference: reference, features: [], method: psi, bins: 10, warn: 0.1, alert: 0.25 }\n  performance: { metric: accuracy, min: 0.8 }\n';

function span(a: YamlNode, b: YamlNode): { start: number; end: number } {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Appends a top-level block at the end of the file. */
function appendBlockFix(text: string, block: string, title: string): Fix {
  const at = text.length;
  const sep = text.endsWith('\n') || text.length === 0 ? '' : '\n';
  return { title, edits: [{ start: at, end: at, newText: `${sep}${block}` }], preferred: true };
}

/**
 * Inserts `line` as a sibling after the pair `after` (same indentation), or, with `inside`,
 * as the last child of the block mapping `after` holds.
 */
function keyInsertFix(text: string, after: Pair, line: string, inside = false): Fix {
  const keyIndent = after.key.start - (text.lastIndexOf('\n', after.key.start - 1) + 1);
  const value = deref(after.value);
  const flow = value && (text[value.start] === '{');
  if (inside && flow && value) {
    const sep = value.kind === 'map' && value.pairs.length ? ', ' : ' ';
    return { title: `Add '${line}'`, edits: [{ start: value.end - 1, end: value.end - 1, newText: `${sep}${line} ` }] };
  }
  let indent = keyIndent;
  if (inside) {
    const first = value?.kind === 'map' ? value.pairs[0] : undefined;
    indent = first ? first.key.start - (text.lastIndexOf('\n', first.key.start - 1) + 1) : keyIndent + 2;
  }
  const end = Math.max(after.value.end, after.key.end);
  const eol = text.indexOf('\n', end);
  const at = eol < 0 ? text.length : eol;
  return { title: `Add '${line}'`, edits: [{ start: at, end: at, newText: `\n${' '.repeat(indent)}${line}` }] };
}

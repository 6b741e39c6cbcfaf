/** Semantic rules of params.yaml beyond its schema: the search space against the params it names. */
import { deref, getPair, getValue, isIntLiteral, numberValue, ParsedYaml, scalarValue, stringValue, YamlNode } from '../yaml/yamlAst';
import { paramsIndex, ParamEntry } from './paramsIndex';
import { didYouMean, Problem, replacementFixes, suggestionText } from './problem';

export function checkParams(parsed: ParsedYaml, problems: Problem[]): void {
  const search = getPair(parsed.root, 'search');
  const searchMap = deref(search?.value);
  if (!search || searchMap?.kind !== 'map') return;
  const index = paramsIndex(parsed);
  const method = stringValue(getValue(searchMap, 'method')) ?? 'random';
  const err = (node: YamlNode, code: string, message: string, severity: Problem['severity'] = 'error'): void => {
    problems.push({ start: node.start, end: node.end, severity, code, message });
  };

  if (method === 'random') {
    const trials = getPair(searchMap, 'trials');
    if (!trials) err(search.key, 'search-trials', "A random search needs 'trials' (the number of runs, at least 1). Add 'trials: 20'.");
    else if (typeof scalarValue(trials.value) === 'number' && (numberValue(trials.value) as number) < 1) {
      err(trials.value, 'search-trials', `'trials' is ${numberValue(trials.value)}; a random search needs at least 1 trial.`);
    }
  }

  const space = deref(getValue(searchMap, 'space'));
  if (space?.kind !== 'map') return;
  for (const pair of space.pairs) {
    const entry = index.entries.get(pair.keyText);
    if (!entry || !entry.leaf) {
      const suggestions = didYouMean(pair.keyText, index.leaves);
      const what = entry ? `'${pair.keyText}' is a group, not a single parameter; name one of its leaves.` : `Unknown parameter '${pair.keyText}': the search space must name an existing leaf of params.yaml.`;
      problems.push({ start: pair.key.start, end: pair.key.end, severity: 'error', code: 'unknown-param',
        message: `${what}${suggestionText(suggestions)}`, fixes: replacementFixes(pair.key.start, pair.key.end, suggestions) });
      continue;
    }
    const dim = deref(pair.value);
    if (dim?.kind === 'map') checkDimension(parsed.text, pair.keyText, entry, dim, method, err);
  }
}

type Report = (node: YamlNode, code: string, message: string, severity?: Problem['severity']) => void;

function checkDimension(text: string, key: string, leaf: ParamEntry, dim: YamlNode, method: string, err: Report): void {
  const minP = getPair(dim, 'min');
  const maxP = getPair(dim, 'max');
  const min = numberValue(minP?.value);
  const max = numberValue(maxP?.value);
  const values = deref(getValue(dim, 'values'));
  const log = scalarValue(getValue(dim, 'log')) === true;
  const current = deref(leaf.pair.value);

  if (min !== undefined && max !== undefined && min >= max && minP && maxP) {
    err(spanOf(minP.value, maxP.value), 'search-range', `${key}: min (${min}) must be less than max (${max}).`);
  }
  if (log && minP && min !== undefined && min <= 0) {
    err(minP.value, 'search-log-range', `${key}: a log-scale range needs min > 0 (it is ${min}). Use a small positive min such as 1e-6.`);
  }
  if (leaf.type === 'int') {
    for (const p of [minP, maxP]) {
      if (p && typeof scalarValue(p.value) === 'number' && !isIntLiteral(p.value, text)) {
        err(p.value, 'search-int-range', `${key} is a whole number in params.yaml, so its range must be whole numbers too (not ${text.slice(p.value.start, p.value.end)}).`);
      }
    }
  }
  if (values?.kind === 'seq') {
    for (const item of values.items) {
      if (!valueFits(item, leaf, text)) {
        err(item, 'search-value-type', `${key} is ${describe(leaf.type)} in params.yaml; '${text.slice(item.start, item.end)}' is not.`);
      }
    }
  }
  if (method === 'grid' && values?.kind !== 'seq' && !(minP && maxP && getPair(dim, 'steps'))) {
    err(dim, 'search-grid', `${key}: a grid search needs 'values', or 'min' and 'max' with 'steps' (the number of points).`);
  }
  if (method === 'random' && values?.kind !== 'seq' && !(minP && maxP)) {
    err(dim, 'search-range', `${key}: give 'values', or both 'min' and 'max'.`);
  }
  // The default in params.yaml should be a point of the space it is searched in.
  const v = scalarValue(current);
  if (typeof v === 'number' && ((min !== undefined && v < min) || (max !== undefined && v > max))) {
    err(leaf.pair.value, 'search-default-outside', `The default ${key} = ${v} lies outside its search range [${min ?? '-inf'}, ${max ?? 'inf'}].`, 'warning');
  } else if (values?.kind === 'seq' && current?.kind === 'scalar' && !values.items.some((i) => scalarValue(i) === v)) {
    err(leaf.pair.value, 'search-default-outside', `The default ${key} = ${String(v)} is not one of the searched values.`, 'warning');
  }
}

function valueFits(item: YamlNode, leaf: ParamEntry, text: string): boolean {
  const v = scalarValue(item);
  switch (leaf.type) {
    case 'int': return typeof v === 'number' && isIntLiteral(item, text);
    case 'float': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'list': return deref(item)?.kind === 'seq';
    default: return true;
  }
}

function describe(type: ParamEntry['type']): string {
  return { int: 'a whole number', float: 'a number', string: 'a string', boolean: 'true/false', list: 'a list', null: 'empty' }[type ?? 'null'];
}

function spanOf(a: YamlNode, b: YamlNode): YamlNode {
  return { kind: 'scalar', value: null, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

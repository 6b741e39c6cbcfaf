/** The dotted keys of a params file: which are leaves (scalars or lists) and which are groups. */
import { deref, isIntLiteral, Pair, ParsedYaml, YamlNode } from '../yaml/yamlAst';

export interface ParamEntry {
  key: string;
  pair: Pair;
  leaf: boolean;
  /** For a leaf: 'int' | 'float' | 'string' | 'boolean' | 'null' | 'list'. */
  type?: 'int' | 'float' | 'string' | 'boolean' | 'null' | 'list';
}

export interface ParamsIndex {
  entries: Map<string, ParamEntry>;
  leaves: string[];
}

const cache = new WeakMap<ParsedYaml, ParamsIndex>();
const MAX_DEPTH = 32;

/** `search` at the top is reserved for the search space, not a params group. */
export function paramsIndex(parsed: ParsedYaml): ParamsIndex {
  const hit = cache.get(parsed);
  if (hit) return hit;
  const entries = new Map<string, ParamEntry>();
  const walk = (node: YamlNode | undefined, prefix: string, depth: number): void => {
    const n = deref(node);
    if (!n || n.kind !== 'map' || depth > MAX_DEPTH) return;
    for (const pair of n.pairs) {
      if (depth === 0 && pair.keyText === 'search') continue;
      const key = prefix ? `${prefix}.${pair.keyText}` : pair.keyText;
      const value = deref(pair.value);
      if (value?.kind === 'map') {
        entries.set(key, { key, pair, leaf: false });
        walk(value, key, depth + 1);
      } else {
        entries.set(key, { key, pair, leaf: true, type: leafType(value, parsed.text) });
      }
    }
  };
  walk(parsed.root, '', 0);
  const index = { entries, leaves: [...entries.values()].filter((e) => e.leaf).map((e) => e.key) };
  cache.set(parsed, index);
  return index;
}

function leafType(node: YamlNode | undefined, text: string): ParamEntry['type'] {
  if (!node || node.kind === 'alias') return 'null';
  if (node.kind === 'seq') return 'list';
  if (node.kind === 'map') return undefined;
  const v = node.value;
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return isIntLiteral(node, text) ? 'int' : 'float';
  return 'string';
}

/** Leaves under a group, for messages and completion. */
export function leavesUnder(index: ParamsIndex, group: string): string[] {
  return index.leaves.filter((k) => k.startsWith(`${group}.`));
}

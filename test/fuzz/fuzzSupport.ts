/** Helpers shared by the fuzz tests: a parse cache that never re-parses incrementally, a memoised disk, a tree fingerprint. */
import * as fs from 'fs';
import { FileSource, ParseCache } from '../../server/src/core/workspace/workspaceFiles';
import { parseYaml, ParsedYaml, YamlNode } from '../../server/src/core/yaml/yamlAst';

/** Always a full parse (never the incremental one under test), reused while a file's text is unchanged. */
export class FullParseCache extends ParseCache {
  private readonly full = new Map<string, ParsedYaml>();

  override parse(filePath: string, text: string): ParsedYaml {
    const hit = this.full.get(filePath);
    if (hit && hit.text === text) return hit;
    const parsed = parseYaml(text);
    this.full.set(filePath, parsed);
    return parsed;
  }

  /** Hands over a full parse made elsewhere. */
  put(filePath: string, parsed: ParsedYaml): void {
    this.full.set(filePath, parsed);
  }
}

export function readOrUndefined(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** The disk, read once per path (the fuzz never changes it). */
export function memoSource(): FileSource {
  const texts = new Map<string, string | undefined>();
  const exists = new Map<string, boolean>();
  return {
    read: (p) => {
      if (!texts.has(p)) texts.set(p, readOrUndefined(p));
      return texts.get(p);
    },
    exists: (p) => {
      let e = exists.get(p);
      if (e === undefined) exists.set(p, (e = fs.existsSync(p)));
      return e;
    },
  };
}

/** The tree as a string: kinds, positions, values, keys, alias targets; then the syntax problems. */
export function treeKey(p: ParsedYaml): string {
  const out: string[] = [];
  const walk = (n: YamlNode | undefined): void => {
    if (!n) {
      out.push('_');
      return;
    }
    out.push(`${n.kind}${n.start},${n.end}`);
    if (n.kind === 'scalar') out.push(`${typeof n.value}:${String(n.value)}`);
    else if (n.kind === 'alias') out.push(`->${n.target ? `${n.target.start},${n.target.end}` : '?'}`);
    else if (n.kind === 'seq') {
      out.push(`[${n.items.length}`);
      for (const item of n.items) walk(item);
    } else {
      out.push(`{${n.pairs.length}`);
      for (const pair of n.pairs) {
        out.push(`k:${pair.keyText}`);
        walk(pair.key);
        walk(pair.value);
      }
    }
  };
  walk(p.root);
  out.push(JSON.stringify(p.problems), JSON.stringify(p.blankedLineStarts));
  return out.join('\u0001');
}

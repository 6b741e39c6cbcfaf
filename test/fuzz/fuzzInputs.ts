/**
 * Seeded generators of hostile and half-typed YAML for the fuzz tests: mutations of real files
 * (what a user does while typing, pasting and re-indenting) and random YAML-ish documents
 * (nested maps/lists, anchors and aliases, an alias bomb, very long lines, deep nesting,
 * unicode, CRLF, tags, block scalars, several documents).
 */

/** mulberry32: small, fast, and the same sequence on every platform for a given seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Characters that matter to YAML's syntax, and some that do not. */
const SYNTAX = ':[]{}&*!|>-"\'#%@\t,?`~\\ ';
const PLAIN = 'abcdefghijklmnopqrstuvwxyz0123456789_.';
const UNICODE = ['é', 'ß', 'ä', '中文', 'Ω', '🚀', '👩‍🔬', '\u0301', '\u200b', '\ufeff', '\u00a0', '\u2028', '\u2029', '\u0000', '\u0007', '\u001b', '\ud800', '\udfff', 'ﬁ', '\u202e'];
/** Scalars YAML 1.1 and 1.2 read differently, numbers at the edges, and values the rules look at. */
const TOKENS = [
  '', '~', 'null', 'Null', 'true', 'True', 'yes', 'no', 'on', 'off', '0', '-0', '1', '-1', '0.5', '1e309', '-1e-400', '.inf', '-.Inf', '.nan',
  '0x1F', '0o17', '017', '1_000', '12:30:45', '02:00:00', '1-12:00:00', '99:99:99', '2024-01-01', '2001-12-14t21:59:43.10-05:00',
  '8Gi', '512M', '1.5G', '16GB', '-4', '3.0', '1e3', '"quoted"', "'single'", '"esc \\u263A \\x41 \\"', '[]', '{}', '[a, b]', '{a: 1}',
  'mlops/v1', 'Pipeline', 'high', 'docker', 'slurm', 'local', 'lumi', 'canary', 'cutover', 'psi', 'grid', 'random', 'minimize',
  '${params.train.lr}', '${params.train}', '${params.}', '${params.nope.x}', '${ params.train.epochs }', '${params.train.lr', 'sha256:' + '0'.repeat(64),
  'sha256:ABC', '&anchor value', '*alias', '!!str 5', '!!int x', '!!binary aGk=', '!custom x', '|', '>-', '|+2', '? complex', '- item', '"unclosed', "'unclosed",
  'x'.repeat(300), 'data.raw', 'data.nope', 'src/train.js', '/dev/null', '../../etc/hosts', 'C:\\path', '%YAML 1.1', '---', '...',
];
const KEYS = [
  'apiVersion', 'kind', 'name', 'description', 'risk', 'params', 'data', 'stages', 'validation', 'registry', 'deploy', 'monitor', 'governance',
  'cmd', 'needs', 'deps', 'outs', 'executor', 'image', 'cluster', 'resources', 'metrics', 'env', 'cpus', 'memory', 'gpus', 'time', 'path', 'snapshot',
  'metric', 'min', 'max', 'type', 'model', 'approvals', 'strategy', 'canary', 'initial', 'steps', 'maxErrorRate', 'batch', 'schedule', 'drift',
  'reference', 'features', 'method', 'bins', 'warn', 'alert', 'performance', 'humanOversight', 'logRetentionDays', 'search', 'trials', 'goal',
  'space', 'values', 'log', 'clusters', 'host', 'port', 'user', 'account', 'partition', 'qos', 'workdir', 'modules', 'container', 'identityFile',
  'train', 'lr', 'epochs', 'prepare', 'evaluate', 'unknownKey', 'Stages', 'cmdd', '<<', '? ', '"quoted key"', '1', 'null', 'true',
];

function randomChars(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    s += r < 0.55 ? rng.pick([...SYNTAX]) : r < 0.9 ? rng.pick([...PLAIN]) : r < 0.96 ? '\n' : rng.pick(UNICODE);
  }
  return s;
}

const lineStarts = (text: string): number[] => {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
};

export interface Mutation { text: string; ops: string[] }

/**
 * One to three edits of `text`; most are small (typing), some structural. `typing` restricts the
 * edits to the small ones an incremental re-parse sees most. Lone CRs (a line break for YAML and
 * LSP, which line-based edits of CRLF text leave behind) are turned into LFs unless `loneCr`.
 */
export function mutate(rng: Rng, text: string, typing = false, loneCr = false): Mutation {
  const m = mutateAny(rng, text, typing);
  return loneCr ? m : { text: m.text.replace(/\r(?!\n)/g, '\n'), ops: m.ops };
}

function mutateAny(rng: Rng, text: string, typing: boolean): Mutation {
  const ops: string[] = [];
  let t = text;
  const count = typing ? 1 : rng.pick([1, 1, 1, 2, 2, 3]);
  for (let k = 0; k < count; k++) {
    const lines = t.split('\n');
    const L = lines.length;
    const ln = rng.int(L);
    const at = rng.int(t.length + 1);
    const r = typing ? rng.int(4) : rng.int(20);
    switch (r) {
      case 0: { // type one character
        const c = rng.chance(0.5) ? rng.pick([...PLAIN]) : rng.pick([...SYNTAX, '\n']);
        t = t.slice(0, at) + c + t.slice(at);
        ops.push(`insert ${JSON.stringify(c)} @${at}`);
        break;
      }
      case 1: { // delete 1..3 characters
        const n = rng.range(1, 3);
        t = t.slice(0, at) + t.slice(at + n);
        ops.push(`delete ${n} @${at}`);
        break;
      }
      case 2: { // type a short word
        const w = rng.pick(KEYS);
        t = t.slice(0, at) + w + t.slice(at);
        ops.push(`insert ${JSON.stringify(w)} @${at}`);
        break;
      }
      case 3: { // replace a value after ': '
        const line = lines[ln];
        const colon = line.indexOf(': ');
        const tok = rng.pick(TOKENS);
        lines[ln] = colon >= 0 ? `${line.slice(0, colon + 2)}${tok}` : `${line} ${tok}`;
        t = lines.join('\n');
        ops.push(`value line ${ln} = ${JSON.stringify(tok)}`);
        break;
      }
      case 4: { // delete lines
        const n = rng.range(1, 3);
        lines.splice(ln, n);
        t = lines.join('\n');
        ops.push(`delete lines ${ln}+${n}`);
        break;
      }
      case 5: { // duplicate lines (a pasted block)
        const n = rng.range(1, 8);
        lines.splice(ln, 0, ...lines.slice(ln, ln + n));
        t = lines.join('\n');
        ops.push(`duplicate lines ${ln}+${n}`);
        break;
      }
      case 6: { // swap two lines
        const b = rng.int(L);
        [lines[ln], lines[b]] = [lines[b], lines[ln]];
        t = lines.join('\n');
        ops.push(`swap lines ${ln} ${b}`);
        break;
      }
      case 7: { // random syntax characters
        const s = randomChars(rng, rng.range(1, 6));
        t = t.slice(0, at) + s + t.slice(at);
        ops.push(`insert chars ${JSON.stringify(s)} @${at}`);
        break;
      }
      case 8: { // change indentation
        const d = rng.pick([-4, -2, -1, 1, 2, 4]);
        lines[ln] = d > 0 ? ' '.repeat(d) + lines[ln] : lines[ln].replace(new RegExp(`^ {0,${-d}}`), '');
        t = lines.join('\n');
        ops.push(`indent line ${ln} ${d}`);
        break;
      }
      case 9: { // a tab in the indentation
        lines[ln] = lines[ln].replace(/^( *)/, (m) => (m.length ? '\t' + m.slice(1) : '\t'));
        t = lines.join('\n');
        ops.push(`tab line ${ln}`);
        break;
      }
      case 10: { // truncate
        t = t.slice(0, at);
        ops.push(`truncate @${at}`);
        break;
      }
      case 11: { // insert a key line at some indentation
        const indent = ' '.repeat(rng.pick([0, 2, 4, 6, 8, 3]));
        const line = `${indent}${rng.pick(KEYS)}:${rng.chance(0.8) ? ` ${rng.pick(TOKENS)}` : ''}`;
        lines.splice(ln, 0, line);
        t = lines.join('\n');
        ops.push(`insert line ${ln} ${JSON.stringify(line)}`);
        break;
      }
      case 12: { // unicode
        const u = rng.pick(UNICODE);
        t = t.slice(0, at) + u + t.slice(at);
        ops.push(`insert unicode ${JSON.stringify(u)} @${at}`);
        break;
      }
      case 13: { // rename a word to another word of the file (stage names: unknown needs, cycles)
        const words = t.match(/[a-z][a-z0-9_]{2,}/g) ?? [];
        if (words.length < 2) break;
        const a = rng.pick(words);
        const b = rng.pick(words);
        const nth = rng.int(4);
        let seen = 0;
        t = t.replace(new RegExp(`\\b${a}\\b`, 'g'), (m) => (seen++ === nth ? b : m));
        ops.push(`rename ${a}#${nth} -> ${b}`);
        break;
      }
      case 14: { // move a block of lines elsewhere
        const n = rng.range(2, 12);
        const block = lines.splice(ln, n);
        lines.splice(rng.int(lines.length + 1), 0, ...block);
        t = lines.join('\n');
        ops.push(`move lines ${ln}+${n}`);
        break;
      }
      case 15: { // CRLF line ends (whole file or some lines)
        t = rng.chance(0.5) ? t.replace(/\r?\n/g, '\r\n') : t.replace(/\n/g, (m) => (rng.chance(0.3) ? '\r\n' : m));
        ops.push('crlf');
        break;
      }
      case 16: { // join two lines
        if (ln + 1 < L) lines.splice(ln, 2, lines[ln] + rng.pick([' ', '', ', ', ': ']) + lines[ln + 1].trimStart());
        t = lines.join('\n');
        ops.push(`join line ${ln}`);
        break;
      }
      case 17: { // a flow collection around the value, maybe unclosed
        const line = lines[ln];
        const colon = line.indexOf(': ');
        if (colon >= 0) lines[ln] = `${line.slice(0, colon + 2)}${rng.pick(['[', '{'])}${line.slice(colon + 2)}${rng.pick(['', ']', '}', ', x]'])}`;
        t = lines.join('\n');
        ops.push(`flow line ${ln}`);
        break;
      }
      case 18: { // an anchor here and an alias there
        const name = `a${rng.int(3)}`;
        const i = lineStarts(t);
        const l1 = rng.int(i.length);
        const l2 = rng.int(i.length);
        const s = t.split('\n');
        s[l1] = s[l1].replace(/: (\S)/, `: &${name} $1`);
        s[l2] = s[l2].replace(/: .*$/, `: *${name}`);
        t = s.join('\n');
        ops.push(`anchor ${l1} alias ${l2}`);
        break;
      }
      default: { // a comment
        t = t.slice(0, at) + rng.pick([' # note', '#', ' #: x', '\n# comment\n']) + t.slice(at);
        ops.push(`comment @${at}`);
      }
    }
  }
  return { text: t, ops };
}

// ---------------------------------------------------------------- random YAML-ish documents

function scalar(rng: Rng): string {
  const r = rng.next();
  if (r < 0.5) return rng.pick(TOKENS);
  if (r < 0.8) return rng.pick(KEYS);
  if (r < 0.9) return JSON.stringify(randomChars(rng, rng.range(0, 12)));
  return randomChars(rng, rng.range(1, 10)).replace(/\n/g, ' ');
}

function block(rng: Rng, depth: number, indent: number, anchors: string[], out: string[]): void {
  const pad = ' '.repeat(indent);
  const n = rng.range(1, depth > 3 ? 3 : 6);
  const seq = rng.chance(0.3);
  for (let i = 0; i < n; i++) {
    const head = seq ? `${pad}- ` : `${pad}${rng.pick(KEYS)}:`;
    const anchor = rng.chance(0.08) ? ` &a${anchors.push(`a${anchors.length}`) - 1}` : '';
    const r = rng.next();
    if (depth < 6 && r < 0.35) {
      if (seq) {
        out.push(`${pad}-${anchor}`);
      } else out.push(`${head}${anchor}`);
      block(rng, depth + 1, indent + rng.pick([2, 2, 2, 4, 1]), anchors, out);
    } else if (r < 0.45) {
      out.push(`${head}${anchor} ${flow(rng, 0, anchors)}`);
    } else if (r < 0.5 && anchors.length) {
      out.push(`${head} *${rng.pick(anchors)}`);
    } else if (r < 0.55) {
      out.push(`${head}${anchor} ${rng.pick(['|', '>', '|-', '>+', '|2'])}`);
      for (let j = rng.range(0, 3); j > 0; j--) out.push(`${pad}  ${scalar(rng)}`);
    } else if (r < 0.58) {
      out.push(`${pad}# ${randomChars(rng, 8).replace(/\n/g, ' ')}`);
    } else {
      out.push(`${head}${anchor} ${scalar(rng)}${rng.chance(0.1) ? '  # trailing' : ''}`);
    }
  }
}

function flow(rng: Rng, depth: number, anchors: string[]): string {
  const n = rng.range(0, 4);
  const items: string[] = [];
  const map = rng.chance(0.4);
  for (let i = 0; i < n; i++) {
    const v = depth < 3 && rng.chance(0.25) ? flow(rng, depth + 1, anchors) : anchors.length && rng.chance(0.1) ? `*${rng.pick(anchors)}` : scalar(rng).replace(/[\n,]/g, ' ');
    items.push(map ? `${rng.pick(KEYS)}: ${v}` : v);
  }
  return map ? `{${items.join(', ')}}` : `[${items.join(', ')}]`;
}

/** A random YAML-ish document, or one of the special ones. */
export function randomDocument(rng: Rng): { text: string; kind: string } {
  const r = rng.next();
  if (r < 0.02) return { text: aliasBomb(rng.range(5, 9)), kind: 'alias bomb' };
  if (r < 0.03) return { text: `stages:\n  s:\n    cmd: ${'x'.repeat(rng.range(20_000, 120_000))}\n`, kind: 'very long line' };
  if (r < 0.035) return { text: `a: [${Array.from({ length: 15_000 }, (_, i) => `v${i}`).join(', ')}]\n`, kind: 'long flow list' };
  if (r < 0.04) return { text: '['.repeat(rng.range(2_000, 20_000)) + (rng.chance(0.5) ? ']'.repeat(20_000) : ''), kind: 'deep flow nesting' };
  if (r < 0.045) return { text: Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x\n', kind: 'deep block nesting' };
  // 1,500 keys: the unknown-key check is quadratic in a mapping's size (5,000 keys take ~0.8 s; see the report).
  if (r < 0.05) return { text: Array.from({ length: 1_500 }, (_, i) => `key${i % 300}: ${i}`).join('\n'), kind: 'many (duplicate) keys' };
  if (r < 0.06) return { text: rng.pick(['', '\n', '---', '...', '# only a comment', '\ufeff', '\ufeffapiVersion: mlops/v1', '%YAML 1.2\n---\na: 1', '%YAML 1.1\n%TAG ! tag:x,2000:\n--- !x\na: 1', 'a: 1\n---\nb: 2\n', '- - - -', '? a\n? b\n: c', '"', '*', '&', '!', '|', '>', '- ', ':', '{', '[', 'a: b: c', '\t', '\u0000', '\r', '\r\n\r\n']), kind: 'tiny' };
  const anchors: string[] = [];
  const out: string[] = [];
  if (rng.chance(0.1)) out.push(rng.pick(['---', '%YAML 1.2\n---', '# header']));
  block(rng, 0, 0, anchors, out);
  if (rng.chance(0.05)) out.push('---', 'second: document');
  let text = out.join('\n') + (rng.chance(0.8) ? '\n' : '');
  if (rng.chance(0.05)) text = text.replace(/\n/g, '\r\n');
  return { text, kind: 'random' };
}

/** The "billion laughs": each level references the previous one nine times. */
export function aliasBomb(levels: number): string {
  const lines = ['apiVersion: mlops/v1', 'kind: Pipeline', 'name: bomb', 'lol:', '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < levels; i++) lines.push(`  l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
  lines.push('stages:', `  a: { cmd: echo, deps: *l${levels - 1}, params: *l${levels - 1}, needs: *l${levels - 1} }`, `  b: *l${levels - 1}`);
  return lines.join('\n') + '\n';
}

/** What every validator produces: a located problem with a stable code and, where we can, fixes. */
export type Severity = 'error' | 'warning' | 'information';

export interface TextEdit { start: number; end: number; newText: string }
export interface Fix { title: string; edits: TextEdit[]; preferred?: boolean }

export interface Problem {
  start: number;
  end: number;
  severity: Severity;
  /** Stable identifier, e.g. `unknown-stage`; documented in the README. */
  code: string;
  /** Says what is wrong and what to do. */
  message: string;
  fixes?: Fix[];
}

/** Edit distance with transpositions (optimal string alignment), capped: we only care about near misses. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const al = a.length;
  const bl = b.length;
  if (Math.abs(al - bl) > 3) return 99;
  let prev = Array.from({ length: bl + 1 }, (_, i) => i);
  let prevPrev = prev;
  for (let i = 1; i <= al; i++) {
    const cur = [i];
    for (let j = 1; j <= bl; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      // A swap of two neighbours (trian -> train) counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prevPrev[j - 2] + 1);
    }
    prevPrev = prev;
    prev = cur;
  }
  return prev[bl];
}

/** The closest candidates to a misspelt name (case-insensitive match first), best first. */
export function didYouMean(name: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = name.toLowerCase();
  const scored: { c: string; d: number }[] = [];
  for (const c of candidates) {
    if (c === name) continue;
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    const limit = Math.max(1, Math.min(3, Math.floor(Math.max(name.length, c.length) / 3)));
    if (d <= limit) scored.push({ c, d });
  }
  return scored.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c)).slice(0, max).map((s) => s.c);
}

export function suggestionText(suggestions: string[]): string {
  if (suggestions.length === 0) return '';
  return ` Did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?`;
}

/** Quick fixes that replace a range with each suggestion. */
export function replacementFixes(start: number, end: number, suggestions: string[]): Fix[] {
  return suggestions.map((s, i) => ({ title: `Change to '${s}'`, edits: [{ start, end, newText: s }], preferred: i === 0 }));
}

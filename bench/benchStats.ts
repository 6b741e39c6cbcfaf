/** Medians and number formats for the benchmark tables. */
export interface Stat { median: number; min: number; max: number; n: number }

export function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** Milliseconds with three significant digits or so. */
export const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/**
 * Prints `rows` under `head`: the first column left-aligned, the last (a note) free, the others
 * right-aligned. A row whose first cell starts with "-- " is a section title on its own line.
 */
export function printTable(head: string[], rows: string[][]): void {
  const last = head.length - 1;
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.filter((r) => !r[0].startsWith('-- ')).map((r) => (c === last ? 0 : r[c].length))));
  const line = (r: string[]): string => r.map((cell, c) => (c === last ? cell : c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  ').trimEnd());
  for (const r of rows) console.log(r[0].startsWith('-- ') ? `\n${r[0]}` : line(r));
}

/** Converts string offsets to 0-based line/character positions (LSP's UTF-16 units). */
export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    // \r\n, a lone \r and \n each end a line, as in LSP and YAML.
    for (const m of text.matchAll(/\r\n?|\n/g)) this.starts.push((m.index ?? 0) + m[0].length);
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  range(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }
}

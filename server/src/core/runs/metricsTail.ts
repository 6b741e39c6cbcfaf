/**
 * Reads the MLOPS_METRICS file (JSON lines: {"name":"loss","value":0.31,"step":3}) while the job
 * appends to it. It polls the file's size rather than using fs.watch, which misses changes on
 * network and container file systems, and reads only the bytes added since the last read.
 */
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface MetricPoint {
  name: string;
  value: number;
  step: number;
  /** ms since epoch, from the line's optional "time"/"timestamp" (number ms or ISO string), else arrival time */
  time: number;
}

export interface MetricsTailOptions {
  file: string;
  /** Called with the points of each chunk read (up to 4 MiB of the file, normally one call per poll). If it (or onBadLine) throws, the tail stops and stop() rejects with that error. */
  onPoints: (points: MetricPoint[]) => void;
  /** A line that is not a valid point (1-based line number), or, with line number 0, the file being truncated or replaced. */
  onBadLine?: (lineNumber: number, line: string, reason: string) => void;
  /** Default 200. */
  intervalMs?: number;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_NAME_LENGTH = 200;
/** A line longer than this is not a metric (e.g. binary written by mistake): reported and skipped, and never buffered whole. */
const MAX_LINE_CHARS = 64 * 1024;

export class MetricsTail {
  private readonly file: string;
  private readonly onPoints: (points: MetricPoint[]) => void;
  private readonly onBadLine: (lineNumber: number, line: string, reason: string) => void;
  private readonly intervalMs: number;

  private offset = 0;
  /** Inode of the file read so far: a new one means the file was replaced. */
  private inode: number | undefined;
  private decoder = new StringDecoder('utf8');
  /** Text after the last newline: the start of a line still being written. */
  private pending = '';
  /** The current line is over MAX_LINE_CHARS and already reported: skip to its end. */
  private skippingLongLine = false;
  private lineNumber = 0;
  private readonly lastSteps = new Map<string, number>();
  private buffer: Buffer | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(opts: MetricsTailOptions) {
    this.file = opts.file;
    this.onPoints = opts.onPoints;
    const onBadLine = opts.onBadLine ?? (() => undefined);
    this.onBadLine = (lineNumber, line, reason) => callBack(() => onBadLine(lineNumber, line, reason));
    this.intervalMs = opts.intervalMs ?? 200;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /**
   * Reads what is left (including a final line without newline) and stops. Call it once the job has
   * ended. Rejects if the file could not be read or onPoints threw.
   */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.reading;
    if (!this.failure) await this.readNew();
    if (!this.failure) this.readLastLine();
    if (this.failure) throw this.failure;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.reading = this.readNew().then(() => {
        if (this.running && !this.failure) this.schedule();
      });
    }, this.intervalMs);
  }

  /** Reads every byte added since the last read. Never rejects: a failure is kept for stop(). */
  private async readNew(): Promise<void> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.failure = readError(this.file, e); // ENOENT: not written yet
      return;
    }
    try {
      const { size, ino } = await handle.stat();
      if (this.inode !== undefined && ino !== this.inode) {
        this.restart(`the metrics file was replaced by a new file; reading the new one from its start`);
      } else if (size < this.offset) {
        this.restart(`the metrics file shrank from ${this.offset} to ${size} bytes (truncated); reading it again from its start`);
      }
      this.inode = ino;
      this.buffer ??= Buffer.allocUnsafe(CHUNK_BYTES);
      // Until a read finds nothing more, so that a fast writer does not leave us further behind each poll.
      for (;;) {
        const { bytesRead } = await handle.read(this.buffer, 0, CHUNK_BYTES, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.ingest(this.decoder.write(this.buffer.subarray(0, bytesRead)));
      }
    } catch (e) {
      this.failure ??= e instanceof TailCallbackError ? e.cause : readError(this.file, e);
    } finally {
      await handle.close().catch(() => undefined); // read-only: nothing is lost
    }
  }

  /** Reads the file again from its start (reported once per truncation or replacement); implicit steps keep counting. */
  private restart(reason: string): void {
    this.onBadLine(0, '', reason);
    this.offset = 0;
    this.decoder = new StringDecoder('utf8');
    this.pending = '';
    this.skippingLongLine = false;
    this.lineNumber = 0;
  }

  private ingest(text: string): void {
    const arrival = Date.now();
    const points: MetricPoint[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const rest = text.slice(start, newline);
      start = newline + 1;
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        this.lineNumber++;
      } else {
        this.parseLine(this.pending + rest, arrival, points);
      }
      this.pending = '';
    }
    this.keepUnfinished(text.slice(start));
    this.deliver(points);
  }

  private keepUnfinished(text: string): void {
    if (this.skippingLongLine) return;
    this.pending += text;
    if (this.pending.length > MAX_LINE_CHARS) {
      this.reportLongLine(this.lineNumber + 1, this.pending);
      this.pending = '';
      this.skippingLongLine = true;
    }
  }

  /** The same for a long line read whole or in pieces, so that the outcome does not depend on read timing. */
  private reportLongLine(lineNumber: number, line: string): void {
    this.onBadLine(lineNumber, line.slice(0, 200), `the line is longer than ${MAX_LINE_CHARS} characters; a metric line is one small JSON object`);
  }

  private readLastLine(): void {
    const last = this.pending + this.decoder.end();
    this.pending = '';
    if (this.skippingLongLine || last === '') return;
    const points: MetricPoint[] = [];
    try {
      this.parseLine(last, Date.now(), points);
      this.deliver(points);
    } catch (e) {
      this.failure = (e as TailCallbackError).cause;
    }
  }

  private deliver(points: MetricPoint[]): void {
    if (points.length > 0) callBack(() => this.onPoints(points));
  }

  private parseLine(raw: string, arrival: number, points: MetricPoint[]): void {
    this.lineNumber++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    if (line.length > MAX_LINE_CHARS) {
      this.reportLongLine(this.lineNumber, line);
      return;
    }
    const result = parsePoint(line, arrival, this.lastSteps);
    if (typeof result === 'string') {
      this.onBadLine(this.lineNumber, line, result);
      return;
    }
    this.lastSteps.set(result.name, result.step);
    points.push(result);
  }
}

/** The point a line describes, or why it is not one. */
function parsePoint(line: string, arrival: number, lastSteps: ReadonlyMap<string, number>): MetricPoint | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    const hint = /\b(NaN|-?Infinity)\b/.test(line) ? '; NaN and Infinity are not JSON, leave such points out' : '';
    return `not valid JSON (${(e as Error).message})${hint}`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'not a JSON object like {"name":"loss","value":0.31,"step":3}';
  }
  const { name, value, step, time, timestamp } = json as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return '"name" must be a non-empty string';
  if (name.length > MAX_NAME_LENGTH) return `"name" is longer than ${MAX_NAME_LENGTH} characters`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return '"value" must be a finite number';
  if (step !== undefined && !(Number.isSafeInteger(step) && (step as number) >= 0)) return '"step" must be a whole number >= 0';
  const timeKey = time != null ? 'time' : 'timestamp';
  const when = time ?? timestamp;
  let ms = arrival;
  if (typeof when === 'number' && Number.isFinite(when)) ms = when;
  else if (typeof when === 'string' && !Number.isNaN(Date.parse(when))) ms = Date.parse(when);
  else if (when != null) return `"${timeKey}" must be milliseconds since 1970 or an ISO 8601 date`;
  return { name, value, step: (step as number | undefined) ?? (lastSteps.get(name) ?? -1) + 1, time: ms };
}

/** Carries a failure of onPoints or onBadLine out of the read loop, to tell it apart from a read error. */
class TailCallbackError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

function callBack(callback: () => void): void {
  try {
    callback();
  } catch (e) {
    throw new TailCallbackError(e instanceof Error ? e : new Error(String(e)));
  }
}

function readError(file: string, e: unknown): Error {
  return new Error(`Cannot read the metrics file ${file}: ${e instanceof Error ? e.message : String(e)}. The job must write MLOPS_METRICS as a regular file of JSON lines.`);
}

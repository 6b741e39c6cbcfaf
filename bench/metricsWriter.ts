/**
 * The training process of `npm run bench:runs`: `node metricsWriter.js FILE POINTS` appends POINTS
 * metric lines (bench/runsData.ts) to FILE as fast as it can, through an 8 KiB buffer as Python's
 * open() writes, then prints when it started and ended writing (ms since the epoch, sub-ms
 * precision, comparable with performance.timeOrigin + performance.now() of another process).
 */
import * as fs from 'fs';
import { performance } from 'perf_hooks';
import { metricLine } from './runsData';

const BUFFER_CHARS = 8192;

const [file, pointsArg] = process.argv.slice(2);
const points = Number(pointsArg);
const startedAt = performance.timeOrigin + performance.now();
const fd = fs.openSync(file, 'a');
let buffered = '';
for (let i = 0; i < points; i++) {
  buffered += metricLine(i);
  if (buffered.length >= BUFFER_CHARS) {
    fs.writeSync(fd, buffered);
    buffered = '';
  }
}
if (buffered) fs.writeSync(fd, buffered);
fs.closeSync(fd);
const endedAt = performance.timeOrigin + performance.now();
process.stdout.write(`${JSON.stringify({ startedAt, endedAt })}\n`);

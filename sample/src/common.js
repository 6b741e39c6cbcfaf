// Shared helpers for the sample stages: no dependencies, Node 18+.
// The training contract (see the MLOps Workbench docs):
//   MLOPS_RUN_ID        id of the run
//   MLOPS_PARAMS        path of the resolved params as JSON
//   MLOPS_DATA_<NAME>   path of each dataset in pipeline.yaml (read-only)
//   MLOPS_OUTPUT_DIR    whatever is written here becomes the run's artifacts
//   MLOPS_METRICS       file to append JSON lines to: {"name":"loss","value":0.31,"step":3}
// Without these variables (a plain `node src/train.js`) the scripts fall back to the defaults below.
'use strict';
const fs = require('fs');
const path = require('path');

/** Mirrors params.yaml (without its search space); used when MLOPS_PARAMS is not set. */
const DEFAULT_PARAMS = {
  prepare: {
    test_size: 0.3,
    seed: 7,
    features: ['amount', 'org_age_years', 'n_prior_grants', 'requested_ratio'],
    log_amount: true,
  },
  train: {
    lr: 0.05,
    epochs: 40,
    batch_size: 32,
    optimizer: 'adam',
    l2: 0.001,
    seed: 42,
    threshold: 0.35,
  },
  evaluate: {
    group_column: 'country',
  },
};

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over || {})) {
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? deepMerge(base[k], v) : v;
  }
  return out;
}

/** The resolved params: MLOPS_PARAMS (JSON) over the built-in defaults. */
function loadParams() {
  const file = process.env.MLOPS_PARAMS;
  if (!file) return DEFAULT_PARAMS;
  return deepMerge(DEFAULT_PARAMS, JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** Path of dataset NAME from MLOPS_DATA_<NAME>, or the fallback path (relative to the sample folder). */
function dataPath(name, fallback) {
  const key = 'MLOPS_DATA_' + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return process.env[key] || path.resolve(__dirname, '..', fallback);
}

/** `--key value` pairs from the command line; numbers are converted. */
function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-zA-Z0-9_-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    let value = m[2];
    if (value === undefined) value = i + 1 < argv.length && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
    args[m[1].replace(/-/g, '_')] = value !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  }
  return args;
}

/** Appends one metric as a JSON line to MLOPS_METRICS (or prints it when that is not set). */
function logMetric(name, value, step = 0) {
  const line = JSON.stringify({ name, value: Number(value.toFixed(6)), step });
  if (process.env.MLOPS_METRICS) fs.appendFileSync(process.env.MLOPS_METRICS, line + '\n');
  else console.log('metric ' + line);
}

/** Writes FILE (relative) into MLOPS_OUTPUT_DIR, if set, so it becomes an artifact of the run. */
function writeArtifact(file, content) {
  const dir = process.env.MLOPS_OUTPUT_DIR;
  if (!dir) return undefined;
  const target = path.join(dir, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
  return target;
}

/** Minimal CSV (no quoted commas, which this data never has). Empty cells become null. */
function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row = {};
    header.forEach((h, i) => {
      const c = cells[i] === undefined ? '' : cells[i].trim();
      row[h] = c === '' ? null : Number.isNaN(Number(c)) ? c : Number(c);
    });
    return row;
  });
}

function toCsv(rows, columns) {
  const cell = (v) => (v === null || v === undefined ? '' : String(v));
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same sequence everywhere. */
function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(items, random) {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

module.exports = {
  DEFAULT_PARAMS, loadParams, dataPath, parseArgs, logMetric, writeArtifact,
  readCsv, toCsv, rng, shuffle, sigmoid,
};

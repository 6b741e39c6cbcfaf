// Stage "prepare": raw applications -> standardised features, split into train and test.
//   node src/prepare.js [--out data/features]
// Reads every *.csv in MLOPS_DATA_RAW (default data/raw). Writes train.csv, test.csv and
// stats.json to --out (the stage's outs) and, during a run, also to MLOPS_OUTPUT_DIR.
// The split is stratified by country and label, so every country has the same fraud share in
// both parts. `country` is kept as a column for the fairness check but is NOT a model feature.
'use strict';
const fs = require('fs');
const path = require('path');
const { loadParams, dataPath, parseArgs, logMetric, writeArtifact, readCsv, toCsv, rng, shuffle } = require('./common');

const args = parseArgs();
const params = loadParams().prepare;
const outDir = path.resolve(process.cwd(), String(args.out || path.join(__dirname, '..', 'data', 'features')));

// 1. Read the raw data (a directory of CSV files or a single file).
const rawPath = dataPath('raw', 'data/raw');
const files = fs.statSync(rawPath).isDirectory()
  ? fs.readdirSync(rawPath).filter((f) => f.endsWith('.csv')).sort().map((f) => path.join(rawPath, f))
  : [rawPath];
const rows = files.flatMap((f) => readCsv(f));
if (rows.length === 0) throw new Error(`no rows in ${rawPath}`);

const features = params.features;
let missing = 0;
for (const r of rows) for (const f of features) if (r[f] === null || r[f] === undefined) missing++;
const missingRate = missing / (rows.length * features.length);

// 2. Stratified split by (country, label), reproducible with prepare.seed.
const random = rng(params.seed);
const groups = new Map();
for (const r of rows) {
  const key = `${r.country}|${r.label}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(r);
}
const train = [];
const test = [];
for (const key of [...groups.keys()].sort()) {
  const members = shuffle(groups.get(key), random);
  const nTest = Math.round(members.length * params.test_size);
  test.push(...members.slice(0, nTest));
  train.push(...members.slice(nTest));
}
const byId = (a, b) => (a.application_id < b.application_id ? -1 : 1);
train.sort(byId);
test.sort(byId);

// 3. Impute and standardise with statistics of the training part only (no leakage).
const transform = (f, v) => (f === 'amount' && params.log_amount ? Math.log(v) : v);
const stats = {};
for (const f of features) {
  const present = train.map((r) => r[f]).filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  const median = present[Math.floor(present.length / 2)];
  const values = train.map((r) => transform(f, r[f] ?? median));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) || 1;
  stats[f] = { median, mean: Number(mean.toFixed(6)), std: Number(std.toFixed(6)), log: f === 'amount' && !!params.log_amount };
}
const encode = (r) => {
  const out = { application_id: r.application_id, country: r.country, label: r.label };
  for (const f of features) {
    const s = stats[f];
    out[f] = ((transform(f, r[f] ?? s.median) - s.mean) / s.std).toFixed(6);
  }
  return out;
};
const columns = ['application_id', 'country', ...features, 'label'];
const outputs = {
  'train.csv': toCsv(train.map(encode), columns),
  'test.csv': toCsv(test.map(encode), columns),
  'stats.json': JSON.stringify({ features, rows: rows.length, train: train.length, test: test.length, stats }, null, 2) + '\n',
};
fs.mkdirSync(outDir, { recursive: true });
for (const [name, content] of Object.entries(outputs)) {
  fs.writeFileSync(path.join(outDir, name), content);
  writeArtifact(name, content);
}

logMetric('rows', rows.length);
logMetric('missing_rate', missingRate);
logMetric('fraud_rate', rows.filter((r) => r.label === 1).length / rows.length);
console.log(`prepare: ${rows.length} rows -> ${train.length} train / ${test.length} test in ${path.relative(process.cwd(), outDir) || '.'}`);

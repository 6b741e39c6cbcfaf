// Stage "evaluate": scores the test split with the trained model.
//   node src/evaluate.js [--model models/model.json] [--test data/features/test.csv] [--threshold 0.5]
// Reports accuracy, precision, recall, f1, auc and demographic_parity_difference: the largest gap
// between countries in the share of applications flagged for review (0 = every country flagged
// at the same rate). Writes report.json to MLOPS_OUTPUT_DIR during a run.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { loadParams, dataPath, parseArgs, logMetric, writeArtifact, readCsv, sigmoid } = require('./common');

const args = parseArgs();
const params = loadParams();
const modelPath = path.resolve(process.cwd(), String(args.model || path.join(__dirname, '..', 'models', 'model.json')));
const testPath = args.test
  ? path.resolve(process.cwd(), String(args.test))
  : path.join(path.dirname(dataPath('train', 'data/features/train.csv')), 'test.csv');
if (!fs.existsSync(modelPath)) throw new Error(`no model at ${modelPath}: run the train stage first`);
const model = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
const threshold = args.threshold ?? params.train.threshold ?? model.threshold;
const groupColumn = params.evaluate.group_column;

const rows = readCsv(testPath);
const scored = rows.map((r) => {
  const score = sigmoid(model.features.reduce((s, f) => s + model.weights[f] * r[f], model.bias));
  return { label: r.label, group: String(r[groupColumn]), score, flagged: score >= threshold ? 1 : 0 };
});

const count = (pred) => scored.filter(pred).length;
const tp = count((s) => s.flagged === 1 && s.label === 1);
const fp = count((s) => s.flagged === 1 && s.label === 0);
const fn = count((s) => s.flagged === 0 && s.label === 1);
const tn = count((s) => s.flagged === 0 && s.label === 0);
const accuracy = (tp + tn) / scored.length;
const precision = tp + fp ? tp / (tp + fp) : 0;
const recall = tp + fn ? tp / (tp + fn) : 0;
const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;

// AUC as the probability that a fraud case scores above a legitimate one (ties count half).
const pos = scored.filter((s) => s.label === 1);
const neg = scored.filter((s) => s.label === 0);
let wins = 0;
for (const a of pos) for (const b of neg) wins += a.score > b.score ? 1 : a.score === b.score ? 0.5 : 0;
const auc = pos.length && neg.length ? wins / (pos.length * neg.length) : 0;

// Demographic parity: flag rate per group, difference between the highest and the lowest.
const groups = {};
for (const s of scored) {
  groups[s.group] ??= { n: 0, flagged: 0, fraud: 0 };
  groups[s.group].n++;
  groups[s.group].flagged += s.flagged;
  groups[s.group].fraud += s.label;
}
const rates = Object.values(groups).map((g) => g.flagged / g.n);
const dpd = Math.max(...rates) - Math.min(...rates);

const metrics = { accuracy, precision, recall, f1, auc, demographic_parity_difference: dpd };
for (const [name, value] of Object.entries(metrics)) logMetric(name, value);

// No run id in the report: a rerun must give the same bytes (mlops reproduce compares them).
const report = {
  model: `sha256:${crypto.createHash('sha256').update(fs.readFileSync(modelPath)).digest('hex')}`,
  threshold,
  rows: scored.length,
  confusion: { tp, fp, fn, tn },
  metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number(v.toFixed(6))])),
  groups: Object.fromEntries(Object.entries(groups).sort().map(([k, g]) => [k, { ...g, flagRate: Number((g.flagged / g.n).toFixed(4)) }])),
};
writeArtifact('report.json', JSON.stringify(report, null, 2) + '\n');
console.log(`evaluate: accuracy ${accuracy.toFixed(3)} recall ${recall.toFixed(3)} auc ${auc.toFixed(3)} demographic_parity_difference ${dpd.toFixed(3)} (${groupColumn})`);
console.log(JSON.stringify(report.groups));

// Stage "train": logistic regression fitted by mini-batch gradient descent, deterministic for a seed.
//   node src/train.js [--lr 0.05] [--epochs 40] [--batch-size 32] [--optimizer adam|sgd] [--l2 0.001]
//                     [--seed 42] [--threshold 0.5] [--out models/model.json]
// Command-line values override MLOPS_PARAMS (train.*), which overrides the built-in defaults.
// Reads MLOPS_DATA_TRAIN (default data/features/train.csv) and holds out every fifth row for
// validation (what a sweep ranks by: params.yaml search.metric). Logs loss, train_accuracy,
// val_loss and val_accuracy for every epoch, writes model.json to --out and, during a run, to
// MLOPS_OUTPUT_DIR.
'use strict';
const fs = require('fs');
const path = require('path');
const { loadParams, dataPath, parseArgs, logMetric, writeArtifact, readCsv, rng, shuffle, sigmoid } = require('./common');

const args = parseArgs();
const all = loadParams();
const p = { ...all.train };
for (const key of Object.keys(p)) if (args[key] !== undefined) p[key] = args[key];
const out = path.resolve(process.cwd(), String(args.out || path.join(__dirname, '..', 'models', 'model.json')));
if (!(p.lr > 0) || !Number.isInteger(p.epochs) || p.epochs < 1 || !Number.isInteger(p.batch_size) || p.batch_size < 1) {
  throw new Error(`invalid train params ${JSON.stringify(p)}`);
}
if (!['sgd', 'adam'].includes(p.optimizer)) throw new Error(`unknown optimizer ${p.optimizer} (sgd or adam)`);

const features = all.prepare.features;
const allRows = readCsv(dataPath('train', 'data/features/train.csv'));
const rows = allRows.filter((_, i) => i % 5 !== 4);
const validation = allRows.filter((_, i) => i % 5 === 4);
const X = rows.map((r) => features.map((f) => r[f]));
const y = rows.map((r) => r.label);
const Xv = validation.map((r) => features.map((f) => r[f]));
const yv = validation.map((r) => r.label);
const n = X.length;
const d = features.length;

// Parameters: w[0..d-1] weights, w[d] bias. Adam state m, v.
const w = new Array(d + 1).fill(0);
const m = new Array(d + 1).fill(0);
const v = new Array(d + 1).fill(0);
const random = rng(p.seed);
const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
let t = 0;

const predict = (x) => sigmoid(x.reduce((s, xi, j) => s + xi * w[j], w[d]));
// Log loss (plus the L2 penalty) and accuracy at the threshold, on the given rows.
function evaluate(Xs = X, ys = y) {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < Xs.length; i++) {
    const q = Math.min(Math.max(predict(Xs[i]), 1e-12), 1 - 1e-12);
    loss -= ys[i] * Math.log(q) + (1 - ys[i]) * Math.log(1 - q);
    if ((q >= p.threshold ? 1 : 0) === ys[i]) correct++;
  }
  const l2 = 0.5 * p.l2 * w.slice(0, d).reduce((s, wj) => s + wj * wj, 0);
  return { loss: loss / Math.max(1, Xs.length) + l2, accuracy: correct / Math.max(1, Xs.length) };
}

const order = [...Array(n).keys()];
for (let epoch = 1; epoch <= p.epochs; epoch++) {
  const idx = shuffle(order, random);
  for (let start = 0; start < n; start += p.batch_size) {
    const batch = idx.slice(start, start + p.batch_size);
    const grad = new Array(d + 1).fill(0);
    for (const i of batch) {
      const err = predict(X[i]) - y[i];
      for (let j = 0; j < d; j++) grad[j] += err * X[i][j];
      grad[d] += err;
    }
    for (let j = 0; j <= d; j++) grad[j] = grad[j] / batch.length + (j < d ? p.l2 * w[j] : 0);
    t++;
    for (let j = 0; j <= d; j++) {
      if (p.optimizer === 'adam') {
        m[j] = beta1 * m[j] + (1 - beta1) * grad[j];
        v[j] = beta2 * v[j] + (1 - beta2) * grad[j] * grad[j];
        w[j] -= (p.lr * (m[j] / (1 - beta1 ** t))) / (Math.sqrt(v[j] / (1 - beta2 ** t)) + eps);
      } else {
        w[j] -= p.lr * grad[j];
      }
    }
  }
  const { loss, accuracy } = evaluate();
  const val = evaluate(Xv, yv);
  logMetric('loss', loss, epoch);
  logMetric('train_accuracy', accuracy, epoch);
  logMetric('val_loss', val.loss, epoch);
  logMetric('val_accuracy', val.accuracy, epoch);
}

const model = {
  kind: 'logistic-regression',
  features,
  weights: Object.fromEntries(features.map((f, j) => [f, Number(w[j].toFixed(6))])),
  bias: Number(w[d].toFixed(6)),
  threshold: p.threshold,
  params: p,
  trainRows: n,
  validationRows: validation.length,
};
const json = JSON.stringify(model, null, 2) + '\n';
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, json);
writeArtifact('model.json', json);
const final = evaluate();
console.log(`train: ${p.epochs} epochs (${p.optimizer}, lr ${p.lr}) loss ${final.loss.toFixed(4)} train accuracy ${final.accuracy.toFixed(3)} -> ${path.relative(process.cwd(), out)}`);

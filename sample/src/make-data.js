// Generates the synthetic grant applications of this sample, deterministically:
//   node src/make-data.js   ->  data/raw/applications.csv (300 rows), data/reference.csv (200 rows)
// Nothing here is real: amounts, countries and outcomes are drawn from fixed distributions.
// label = 1 means the application was confirmed as fraudulent after an audit.
// Each country gets the same share of fraud cases (so a fair model can reach demographic parity),
// and fraud is visible in the features: young organisations with no grant history asking for a
// large amount and a high share of their budget.
'use strict';
const fs = require('fs');
const path = require('path');
const { rng, toCsv } = require('./common');

const COUNTRIES = ['DE', 'FR', 'IT', 'PL'];
const COLUMNS = ['application_id', 'amount', 'country', 'org_age_years', 'n_prior_grants', 'requested_ratio', 'label'];

function generate({ rows, seed, idPrefix, fraudShare }) {
  const random = rng(seed);
  const normal = () => {
    // Box-Muller
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const poisson = (lambda) => {
    let k = 0;
    let p = random();
    const l = Math.exp(-lambda);
    while (p > l) { k++; p *= random(); }
    return k;
  };
  const clip = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
  const perCountry = rows / COUNTRIES.length;
  const fraudPerCountry = Math.round(perCountry * fraudShare);
  const out = [];
  for (let i = 0; i < rows; i++) {
    const country = COUNTRIES[i % COUNTRIES.length];
    const label = Math.floor(i / COUNTRIES.length) < fraudPerCountry ? 1 : 0;
    const amount = Math.round(Math.exp(label ? 12.1 + 0.5 * normal() : 11.6 + 0.5 * normal()) / 100) * 100;
    const age = label ? clip(5 + 3.5 * normal(), 0, 60) : clip(14 + 7 * normal(), 0, 60);
    const prior = label ? poisson(0.7) : poisson(2.6);
    const ratio = label ? clip(0.76 + 0.12 * normal(), 0.05, 1) : clip(0.56 + 0.12 * normal(), 0.05, 1);
    out.push({
      amount,
      country,
      // about 2% of the organisations did not state their founding year
      org_age_years: random() < 0.02 ? null : Math.round(age),
      n_prior_grants: prior,
      requested_ratio: ratio.toFixed(3),
      label,
    });
  }
  // Interleave the rows so that labels and countries are not sorted, then number them.
  const shuffled = out.map((r) => [random(), r]).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  return shuffled.map((r, i) => ({ application_id: `${idPrefix}-${String(i + 1).padStart(5, '0')}`, ...r }));
}

const root = path.resolve(__dirname, '..');
fs.mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
fs.writeFileSync(path.join(root, 'data', 'raw', 'applications.csv'),
  toCsv(generate({ rows: 300, seed: 20240611, idPrefix: 'GA-2023', fraudShare: 0.2 }), COLUMNS));
fs.writeFileSync(path.join(root, 'data', 'reference.csv'),
  toCsv(generate({ rows: 200, seed: 20220301, idPrefix: 'GA-2021', fraudShare: 0.2 }), COLUMNS));
console.log('wrote data/raw/applications.csv (300 rows) and data/reference.csv (200 rows)');

/**
 * The base workspace of the validator tests: verbatim copies of sample/pipeline.yaml, params.yaml and
 * clusters.yaml (copied, not read from disk, so that a change to the sample cannot move the lines the
 * tests expect). Every test starts from these and mutates one thing.
 */

export const BASE_PIPELINE = `# Grant-fraud screening: flags grant applications for MANUAL review by an auditor.
# The model never rejects an application by itself; a person decides (governance.humanOversight).
# All data in this sample is synthetic (src/make-data.js).
apiVersion: mlops/v1
kind: Pipeline
name: grant-fraud
description: Flags grant applications for manual fraud review
risk: high                      # EU AI Act high risk: access to public funding (Annex III)
params: params.yaml

data:
  raw:                          # as received from the grant management system
    path: data/raw
    description: Grant applications 2023 with audit outcomes (label 1 = confirmed fraud)
  train:                        # written by the prepare stage (standardised features)
    path: data/features/train.csv
    description: Training split of the prepared features, stratified by country and label
  reference:                    # what "normal" inputs look like, for drift monitoring
    path: data/reference.csv
    description: Applications 2021 used as the reference distribution
  # Pin a dataset to exact bytes with \`mlops snapshot data/raw\`, then add its id:
  #   raw: { path: data/raw, snapshot: "sha256:<64 hex>" }

stages:
  prepare:
    description: Impute, log-transform and standardise the features; stratified train/test split
    cmd: node src/prepare.js --out data/features
    deps: [data.raw, src/prepare.js, src/common.js]
    outs: [data/features]
    params: [prepare.test_size, prepare.seed, prepare.features, prepare.log_amount]
    metrics: [rows, missing_rate, fraud_rate]

  train:
    description: Logistic regression fitted by mini-batch gradient descent
    # The other train.* values reach the script through MLOPS_PARAMS.
    cmd: node src/train.js --lr \${params.train.lr} --epochs \${params.train.epochs} --out models/model.json
    needs: [prepare]
    deps: [data.train, src/train.js, src/common.js]
    outs: [models/model.json]
    executor: docker            # built from ./Dockerfile; use \`executor: local\` without Docker
    image:
      dockerfile: Dockerfile
      context: .
      buildArgs: { NODE_IMAGE: "node:20-slim" }
    # To train on LUMI instead: executor: slurm, cluster: lumi (see clusters.yaml)
    resources: { cpus: 2, memory: 2Gi, gpus: 0, time: "00:30:00" }
    env: { TZ: UTC, OMP_NUM_THREADS: 2 }
    params: [train.lr, train.epochs, train.batch_size, train.optimizer, train.l2, train.seed, train.threshold]
    metrics: [loss, train_accuracy]

  evaluate:
    description: Score the held-out split; accuracy, recall and fairness across countries
    cmd: node src/evaluate.js --model models/model.json --threshold \${params.train.threshold}
    needs: [train]
    deps: [data/features/test.csv, src/evaluate.js, src/common.js]
    params: [train.threshold, evaluate.group_column]
    metrics: [accuracy, precision, recall, f1, auc, demographic_parity_difference]

validation:                     # every candidate must pass all gates before promotion
  - metric: missing_rate
    max: 0.05
    type: data_quality
    description: At most 5% of the feature values may be missing in the raw data
  - metric: accuracy
    min: 0.85
  - metric: recall
    min: 0.65
    description: At least 65% of confirmed fraud cases in the test split are flagged for review
  - metric: auc
    min: 0.9
  - metric: demographic_parity_difference
    max: 0.1
    type: fairness
    description: Flag rates may not differ by more than 10 points between countries

registry:
  model: grant-fraud
  approvals: 2                  # two distinct reviewers (e.g. data protection + audit unit)

deploy:
  strategy: canary
  canary: { initial: 5, steps: [25, 50, 100], maxErrorRate: 0.01 }
  batch: { schedule: "0 2 * * *" }   # nightly re-scoring of open applications

monitor:
  drift:
    reference: reference
    features: [amount, country, org_age_years, n_prior_grants, requested_ratio]
    method: psi
    bins: 10
    warn: 0.1
    alert: 0.25
    schedule: "0 6 * * 1"       # Mondays 06:00
  performance: { metric: accuracy, min: 0.85 }
  schedule: "0 6 * * *"

governance:
  humanOversight: true          # an auditor confirms every flag before any action (Art. 14)
  logRetentionDays: 365         # Art. 19 requires at least six months for high-risk systems
  owner: fraud-analytics-team
  contact: fraud-analytics@example.eu
  intendedPurpose: >-
    Prioritise grant applications for manual fraud review by auditors.
    Not to be used to reject, delay or score applicants automatically.
`;

export const BASE_PARAMS = `# Hyperparameters of the grant-fraud pipeline.
# Stages name the keys they use (stages.*.params in pipeline.yaml) and may substitute them into
# their command line as \${params.train.lr}. A run receives all of them, resolved, as JSON in
# MLOPS_PARAMS. The built-in defaults of src/common.js mirror this file.

prepare:
  test_size: 0.3          # share of each (country, label) group held out for evaluation
  seed: 7                 # seed of the stratified split
  features: [amount, org_age_years, n_prior_grants, requested_ratio]   # country is NOT a feature
  log_amount: true        # model log(amount) rather than amount

train:
  lr: 0.05                # learning rate
  epochs: 40
  batch_size: 32
  optimizer: adam         # adam | sgd
  l2: 0.001               # L2 regularisation strength
  seed: 42                # seed of the mini-batch order
  threshold: 0.5          # score from which an application is flagged for manual review

evaluate:
  group_column: country   # groups compared by demographic_parity_difference

# Hyperparameter search: \`trials\` runs of the pipeline with values drawn from \`space\`, ranked by
# \`metric\`. Every default above lies inside its range; whole-number parameters get whole bounds.
search:
  method: random
  trials: 12
  seed: 2024
  metric: accuracy        # reported by the evaluate stage
  goal: maximize
  space:
    train.lr:         { min: 1.0e-3, max: 0.5, log: true }
    train.epochs:     { min: 10, max: 120 }
    train.batch_size: { values: [16, 32, 64] }
    train.optimizer:  { values: [adam, sgd] }
    train.l2:         { min: 1.0e-5, max: 0.01, log: true }
    train.threshold:  { min: 0.3, max: 0.7 }
`;

export const BASE_CLUSTERS = `# Slurm cluster profiles for stages with \`executor: slurm\` (select one with \`cluster: NAME\`).
# Users, accounts and paths below are examples: replace them with your own allocation.
# Jobs are submitted over SSH with your own key; nothing here is a secret.
clusters:
  lumi:                                   # LUMI (CSC, Finland), AMD MI250X GPU partition
    host: lumi.csc.fi
    port: 22
    user: jdoe
    identityFile: ~/.ssh/id_ed25519_lumi
    account: project_465000123
    partition: small-g
    workdir: /scratch/project_465000123/jdoe/mlops
    modules: [LUMI/24.03, partition/G]
    container: singularity                # LUMI provides SingularityCE
    knownHostsFile: ~/.ssh/known_hosts

  leonardo:                               # Leonardo (CINECA, Italy), NVIDIA A100 Booster partition
    host: login.leonardo.cineca.it
    port: 22
    user: mrossi00
    identityFile: ~/.ssh/id_ed25519_cineca
    account: EUHPC_D12_034
    partition: boost_usr_prod
    qos: normal
    workdir: /leonardo_scratch/large/userexternal/mrossi00/mlops
    modules: [profile/deeplrn]
    container: apptainer
`;

/** Workspace-relative paths the base pipeline refers to (deps, data paths, Dockerfile), all present. */
export const BASE_EXISTING = [
  "Dockerfile",
  "data/raw/applications.csv",
  "data/features/train.csv",
  "data/features/test.csv",
  "data/reference.csv",
  "src/prepare.js",
  "src/common.js",
  "src/train.js",
  "src/evaluate.js",
];

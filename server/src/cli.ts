/** `mlops`: the same core as the language server, from a terminal or a CI/CD pipeline. */
import { UsageError } from './cli/args';
import {
  CHECKOUT_USAGE, checkoutCommand, GC_USAGE, gcCommand, PULL_USAGE, pullCommand, PUSH_USAGE, pushCommand, SNAPSHOT_USAGE,
  snapshotCommand, SNAPSHOTS_DIFF_USAGE, SNAPSHOTS_LIST_USAGE, snapshotsCommand, STATUS_USAGE, statusCommand, VERIFY_USAGE, verifyCommand,
} from './cli/snapshotCommands';
import {
  RUN_USAGE, runCommand, RUNS_CANCEL_USAGE, RUNS_COMPARE_USAGE, RUNS_DELETE_USAGE, RUNS_LIST_USAGE, RUNS_SHOW_USAGE, runsCommand,
} from './cli/runCommands';
import { AUDIT_HELP, auditCommand } from './cli/auditCommands';
import { REGISTRY_HELP, registryCommand } from './cli/registryCommands';
import { REPRODUCE_USAGE, reproduceCommand } from './cli/reproduceCommand';
import { SWEEP_USAGE, sweepCommand } from './cli/sweepCommand';
import { VALIDATE_USAGE, validateCommand } from './cli/validateCommand';

declare const MLOPS_VERSION: string | undefined;
const version = typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : '0.0.0-dev';

const USAGE = `usage: mlops <command> [options]

commands:
  ${VALIDATE_USAGE}
      Check pipeline.yaml, params.yaml and clusters.yaml files (directories are searched).
      Exit code 1 when any error is found.
  ${SNAPSHOT_USAGE}
      Store PATH (a file or folder) in the content-addressed cache .mlops/cache, write PATH.snapshot
      (commit it with git) and add PATH to the .gitignore beside it. Unchanged files are not read again.
  ${CHECKOUT_USAGE}
      Restore PATH from the snapshot PATH.snapshot names. Refuses to discard changes that are in no
      snapshot unless --force.
  ${SNAPSHOTS_LIST_USAGE}
      The pointer files of the project with their id, size and file count.
  ${SNAPSHOTS_DIFF_USAGE}
      Added, removed and modified files between two snapshots: ids (sha256:...), pointer files, or
      git revisions of a pointer file (HEAD~1:data/raw.snapshot).
  ${STATUS_USAGE}
      For each pointer file: is the data beside it unchanged, modified since its snapshot, or
      missing? Files unchanged since they were last hashed are not read.
  ${VERIFY_USAGE}
      Re-hash every object of the cache; list corrupt and missing ones (exit code 1 if any).
  ${GC_USAGE}
      Remove the objects no pointer file references, and temporary files older than an hour.
      --dry-run lists what would go (count, bytes) and removes nothing.
  ${PUSH_USAGE}
  ${PULL_USAGE}
      Copy the objects the pointer files need to / from a remote, a directory named in
      .mlops/config.yaml (remotes: { NAME: { path: DIR } }, default: NAME). Only missing objects
      move; each is verified (re-hashed) on arrival.
  ${RUN_USAGE}
      Run one stage of the pipeline (default ./pipeline.yaml) as a tracked run: params resolved
      with the overrides, data deps snapshotted, git commit and environment recorded, metrics
      ingested while it runs, MLOPS_OUTPUT_DIR stored as artifacts. Exit code 1 unless completed.
  ${RUNS_LIST_USAGE}
  ${RUNS_SHOW_USAGE}
  ${RUNS_COMPARE_USAGE}
  ${RUNS_CANCEL_USAGE}
  ${RUNS_DELETE_USAGE}
      The project's runs, newest first; one run with its four ingredients, metrics and artifacts;
      the params that differ and the last metric values of several runs side by side; cancel a
      running one (its whole process tree); delete an ended one.
  ${REPRODUCE_USAGE}
      Check out the run's data snapshots (rewriting a pointer file that names another snapshot),
      warn when the git commit or tree differs, rerun its stage with its params as a new run, and
      report whether each artifact is bit-identical. Exit code 1 unless every one is.
  ${SWEEP_USAGE}
      Run the search space of params.yaml (grid, or random with a seed) as runs of one stage (default:
      the one reporting search.metric) under one sweep id, N at once; report the best run by the
      search metric and goal. Exit code 1 when no trial completed.
${REGISTRY_HELP}
${AUDIT_HELP}
  mlops --version

The snapshot commands work in the project root: the nearest folder above with .mlops/ or .git/.
With --json they print one JSON document (errors too: {"error":{"code","message","path"}}).
With --progress they also print lines \`progress DONE TOTAL\` on stderr as they go.
run, sweep and reproduce take --stop-with-stdin: their jobs stop, and their runs end interrupted,
when standard input closes (the editor starts runs this way, so that none outlives it unseen).
`;

type Command = (argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  snapshot: snapshotCommand, checkout: checkoutCommand, snapshots: snapshotsCommand, verify: verifyCommand,
  gc: gcCommand, push: pushCommand, pull: pullCommand, status: statusCommand, run: runCommand, runs: runsCommand,
  reproduce: reproduceCommand, sweep: sweepCommand, registry: registryCommand, audit: auditCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) return COMMANDS[command](rest, process.stdout, process.stderr);
  switch (command) {
    case 'validate':
      return validateCommand(rest, process.stdout, version);
    case '--version':
      process.stdout.write(`${version}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

// A reader of stderr that went away (the language server that started a run was killed) must not
// crash a command that is finishing a run: its messages are also in the run's log.
process.stderr.on('error', () => undefined);

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`mlops: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`mlops: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 3;
    }
  },
);

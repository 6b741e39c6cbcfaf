/** `mlops`: the same core as the language server, from a terminal or a CI/CD pipeline. */
import { UsageError } from './cli/args';
import { VALIDATE_USAGE, validateCommand } from './cli/validateCommand';

declare const MLOPS_VERSION: string | undefined;
const version = typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : '0.0.0-dev';

const USAGE = `usage: mlops <command> [options]

commands:
  ${VALIDATE_USAGE}
      Check pipeline.yaml, params.yaml and clusters.yaml files (directories are searched).
      Exit code 1 when any error is found.
  mlops --version
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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

/** A small argv parser: positionals, `--flag`, `--key value` and `--key=value`. */
import * as fs from 'fs';
import * as path from 'path';

export interface ParsedArgs {
  positionals: string[];
  /** The last value of each option (true for a flag). */
  options: Map<string, string | true>;
  /** Every value of each valued option, in order (`--set a=1 --set b=2`). */
  repeated: Map<string, string[]>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], valued: Set<string>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const set = (name: string, value: string): void => {
    options.set(name, value);
    repeated.set(name, [...(repeated.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (eq >= 0) set(name, a.slice(eq + 1));
    else if (valued.has(name)) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      set(name, argv[++i]);
    } else options.set(name, true);
  }
  return { positionals, options, repeated };
}

/** The value of a valued option, undefined when absent; a usage error when given as a bare flag. */
export function optionValue(options: Map<string, string | true>, name: string): string | undefined {
  const v = options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

/** The absolute path of --pipeline FILE (default ./pipeline.yaml); a usage error when there is no such file. */
export function pipelineFileOption(options: Map<string, string | true>): string {
  const file = path.resolve(optionValue(options, 'pipeline') ?? 'pipeline.yaml');
  if (!fs.existsSync(file)) throw new UsageError(`${path.relative(process.cwd(), file) || file}: no such pipeline file (give one with --pipeline FILE)`);
  return file;
}

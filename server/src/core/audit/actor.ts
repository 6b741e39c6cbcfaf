/**
 * Who is acting, as recorded in the audit log and the registry: `--by`, else MLOPS_USER (the
 * editor passes its `mlops.user` setting as --by), else git's user.email, else the OS user name.
 * It is what the person says they are: four-eyes approval is as strong as the identities behind it.
 *
 * Two names are refused rather than recorded: one with a control character or line break, which
 * could make an entry look like several where the log, a request or the model card is shown as
 * text; and the system actor's (`mlops`) given as --by or MLOPS_USER, which would pass a person's
 * change off as one MLOps made on nobody's behalf.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';
import { AuditError, CONTROL_CHARACTER, escapeControls, SYSTEM_ACTOR } from './auditLog';

export function resolveActor(cwd: string, explicit?: string): string {
  const fromEnv = process.env.MLOPS_USER?.trim();
  const given = explicit?.trim() ? { name: explicit.trim(), source: '--by' } : fromEnv ? { name: fromEnv, source: 'MLOPS_USER' } : undefined;
  if (given) {
    if (given.name.toLowerCase() === SYSTEM_ACTOR) {
      throw new AuditError('invalid-actor',
        `${given.source} "${given.name}": that name is reserved for what MLOps does on nobody's behalf (e.g. ending a run whose process died). Give your own name or e-mail.`);
    }
    return oneLine(given.name, given.source);
  }
  let email = '';
  try {
    email = execFileSync('git', ['config', 'user.email'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git repository, or no user.email set
  }
  if (email) return oneLine(email, 'git config user.email');
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `name` itself; refused when it holds a control character, naming `source` (where it came from) and what to do. */
function oneLine(name: string, source: string): string {
  const c = CONTROL_CHARACTER.exec(name)?.[0];
  if (c === undefined) return name;
  const fix = source === 'git config user.email' ? 'Fix it, or say who you are with --by or MLOPS_USER' : `Give ${source} a name on one line`;
  throw new AuditError('invalid-actor',
    `${source} "${escapeControls(name)}" holds a control character or line break (U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}): ` +
    `the audit log and the registry show who acted as one line of text. ${fix}.`);
}

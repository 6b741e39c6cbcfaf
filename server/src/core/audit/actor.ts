/**
 * Who is acting, as recorded in the audit log and the registry: `--by`, else MLOPS_USER (the
 * editor passes its `mlops.user` setting as --by), else git's user.email, else the OS user name.
 * It is what the person says they are: four-eyes approval is as strong as the identities behind it.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';

export function resolveActor(cwd: string, explicit?: string): string {
  const given = explicit?.trim() || process.env.MLOPS_USER?.trim();
  if (given) return given;
  try {
    const email = execFileSync('git', ['config', 'user.email'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (email) return email;
  } catch {
    // not a git repository, or no user.email set
  }
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * Whether a process still runs: the test for "the process running this run is gone, so the run was
 * interrupted". A zombie does not run: in containers whose PID 1 never reaps orphans, kill(pid, 0)
 * succeeds on one forever, so /proc is asked where there is one.
 */
import * as fs from 'fs';

export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: it exists, another user's
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return true; // no /proc (macOS): kill(0) is all there is
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so look after the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Stops the job a dead `mlops` process left behind (it was SIGKILLed, or ran out of memory): its
 * process group gets SIGTERM, but only while the group's leader is still that run's job (its
 * environment holds MLOPS_RUN_ID=runId), since the pid may have been reused. Where there is no
 * /proc nothing can be checked, and nothing is stopped. Returns whether it signalled.
 */
export function stopOrphanedJob(jobPid: number, runId: string): boolean {
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${jobPid}/environ`, 'latin1');
  } catch {
    return false;
  }
  return environ.split('\0').includes(`MLOPS_RUN_ID=${runId}`) && terminateGroup(jobPid);
}

/** SIGTERM to a job's process group (the job and everything it started); false when it is gone. */
export function terminateGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

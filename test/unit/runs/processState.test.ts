/** isProcessRunning: live, gone, and a zombie (which kill(pid, 0) alone takes for alive). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { isProcessRunning } from '../../../server/src/core/runs/processState';

test('a running process runs; an exited one does not', async () => {
  assert.equal(isProcessRunning(process.pid), true);
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('close', r));
  assert.equal(isProcessRunning(child.pid!), false);
});

test('a zombie (exited, never reaped) does not run, though kill(pid, 0) still succeeds', { skip: !fs.existsSync('/proc/self/stat') && 'no /proc here' }, async () => {
  // sh starts `sleep 0` in the background, then becomes `sleep 5`, which never reaps it.
  const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
  try {
    while (!fs.readFileSync(`/proc/${zombie}/stat`, 'latin1').includes(') Z ')) await new Promise((r) => setTimeout(r, 5));
    assert.doesNotThrow(() => process.kill(zombie, 0));
    assert.equal(isProcessRunning(zombie), false);
  } finally {
    parent.kill('SIGKILL');
  }
});

/**
 * Entry point of the end-to-end suite that runs INSIDE the real VS Code extension host
 * (code-server's Node extension host, loaded through `extensionTestsPath`). VS Code calls `run()`;
 * the spec reporter writes to the extension host's console, which the browser forwards to
 * `codeAutomationLog` (see test/e2e/extensionHostRunner.js).
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 30_000, slow: 5_000 });
  const grep = process.env.MLOPS_E2E_GREP;
  if (grep) mocha.grep(grep);
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        // A plain closing line that the CI log and test/e2e/run.sh read.
        const passed = runner.stats?.passes ?? 0;
        console.log(`extension-host: ${passed} passed, ${failures} failed`);
        if (failures > 0) reject(new Error(`${failures} end-to-end test(s) failed`));
        else resolve();
      });
    } catch (err) {
      console.error(err);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

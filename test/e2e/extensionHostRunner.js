// Runs the mocha suite (test/e2e/suite, compiled to out/test/e2e/suite) INSIDE the real Node
// extension host of code-server. Headless Chromium only hosts the workbench; the tests run in
// the extension host, and their console output comes back through `codeAutomationLog`.
//
// env: CS_BASE   http://127.0.0.1:PORT of a running code-server
//      WS        the workspace folder to open
//      EXT_DEV   extensionDevelopmentPath (VS Code needs one to run extensionTestsPath; run.sh
//                points it at an empty folder so the extension under test is the INSTALLED .vsix)
//      EXT_TESTS the compiled suite entry (out/test/e2e/suite/index.js)
//      TEST_TIMEOUT_MS (default 180000), VERBOSE=1 to echo the browser console
'use strict';
const { chromium } = require('playwright-core');

const t0 = Date.now();
const log = (...a) => console.log(`[ext-host ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const need = (name) => process.env[name] || (() => { throw new Error(`set ${name}`); })();
const BASE = need('CS_BASE');
const authority = new URL(BASE).host; // code-server uses the Host header as the remote authority
const payload = [
  ['extensionDevelopmentPath', `vscode-remote://${authority}${need('EXT_DEV')}`],
  ['extensionTestsPath', `vscode-remote://${authority}${need('EXT_TESTS')}`],
  ['skipWelcome', 'true'],
];
const url = `${BASE}/?folder=${encodeURIComponent(need('WS'))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  let done;
  const finished = new Promise((r) => (done = r));
  await page.exposeFunction('codeAutomationLog', (type, args) =>
    console.log(...(args || []).map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))));
  await page.exposeFunction('codeAutomationExit', (code) => { log('extension host finished, exit code', code); done(code); });
  page.on('console', (m) => { if (process.env.VERBOSE) console.log('[browser]', m.type(), m.text()); });
  page.on('pageerror', (e) => log('pageerror', e.message));
  log('open workbench with extensionTestsPath', need('EXT_TESTS'));
  await page.goto(url);
  const ms = Number(process.env.TEST_TIMEOUT_MS || 180000);
  const timeout = new Promise((r) => setTimeout(() => { log(`TIMEOUT after ${ms} ms (the suite never finished)`); r(124); }, ms));
  const code = await Promise.race([finished, timeout]);
  await browser.close().catch(() => {});
  log(code === 0 ? 'PASS' : `FAIL (exit code ${code})`);
  process.exit(typeof code === 'number' ? code : 1);
})().catch((e) => { console.error('[ext-host] runner error:', e); process.exit(2); });

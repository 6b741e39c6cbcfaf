// UI test: a person's path through the extension, in code-server driven by headless Chromium.
// The extension is the one INSTALLED from the .vsix (no extensionDevelopmentPath payload).
//   open broken.pipeline.yaml from the Explorer -> the MLOps error in the Problems panel ->
//   cursor on it -> quick fix "Change to 'needs'" -> the problem disappears ->
//   the MLOps activity-bar view with its "Validate Workspace" button -> click it -> notification.
//   -> Explorer: right-click data/raw -> "Snapshot Folder..." -> notification -> the MLOps Snapshots
//   view lists data/raw with its short id, size and file count -> expand it into its entries ->
//   pipeline.yaml: the "Run" code lens above the prepare stage -> the run in the Runs view, completed ->
//   the same for train -> click the train run: its page with a loss chart of 40 points -> its
//   params link opens params.json -> the "Run Sweep..." code lens, 2 trials at once -> the sweep in
//   the Runs view -> its "Compare Runs" action: val_loss of the 12 trials overlaid, params diff ->
//   "Run Pipeline" as alice -> right-click the train run: Register Model Version -> v1 in the Model
//   Registry view -> Request Promotion to Production -> approve as bob, then carol (the
//   confirmation shows the gate report) -> v1 is Production.
// Screenshots: $SHOTS/problems.png, quickfix.png, mlops-view.png, validate.png, snapshots.png, runs.png,
// run-page.png, compare-page.png, compare-charts.png, registry-request.png, registry.png
// (failure.png on failure).
//
// env: CS_BASE (http://127.0.0.1:PORT), WS (workspace folder containing broken.pipeline.yaml),
//      SHOTS (screenshot folder, default test-results/e2e), VERBOSE=1 (browser console)
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const t0 = Date.now();
const log = (...a) => console.log(`[ui ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const need = (name) => process.env[name] || (() => { throw new Error(`set ${name}`); })();
const BASE = need('CS_BASE');
const WS = need('WS');
const SHOTS = process.env.SHOTS || path.resolve(__dirname, '../../test-results/e2e');
const FILE = 'broken.pipeline.yaml';
const PROBLEM = "Unknown key 'needz'";
const FIX = "Change to 'needs'";

const lines = fs.readFileSync(path.join(WS, FILE), 'utf8').split(/\r?\n/);
const NEEDZ_LINE = lines.findIndex((l) => /^\s*needz:/.test(l)) + 1; // 1-based, as the status bar shows
const NEEDZ_COL = lines[NEEDZ_LINE - 1].indexOf('needz') + 1;

(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => log('pageerror', e.message));
  page.on('console', (m) => { if (process.env.VERBOSE) console.log('[browser]', m.type(), m.text()); });
  const shot = async (name) => { await page.screenshot({ path: path.join(SHOTS, name) }); log('screenshot', path.join(SHOTS, name)); };
  const palette = async (command, rowText = command) => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(`>${command}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press('Enter');
  };
  // Clicks the code lens `title` above `stage:` (or `stages:` for stage null) in the open
  // pipeline.yaml (a lens sits just above its line; Go to Line first brings it into view so that
  // its lens is rendered).
  const clickLens = async (stage, title) => {
    const lines = fs.readFileSync(path.join(WS, 'pipeline.yaml'), 'utf8').split(/\r?\n/);
    const stagesLine = lines.findIndex((x) => /^stages:/.test(x));
    const line = (stage === null ? stagesLine : lines.findIndex((l, i) => i > stagesLine && new RegExp(`^\\s+${stage}:\\s*$`).test(l))) + 1;
    await page.keyboard.press('Control+G'); // Go to Line, in the active editor
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10000 });
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    const stageLine = page.locator('.monaco-editor .view-line', { hasText: stage === null ? /^stages:\s*$/ : new RegExp(`^\\s*${stage}:\\s*$`) }).first();
    await stageLine.waitFor({ timeout: 15000 });
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: title });
    await lens.first().waitFor({ timeout: 30000 });
    const lineBox = await stageLine.boundingBox();
    let chosen = -1;
    let best = Infinity;
    for (let i = 0; i < await lens.count(); i++) {
      const box = await lens.nth(i).boundingBox();
      if (box && lineBox && box.y <= lineBox.y && lineBox.y - box.y < best) { best = lineBox.y - box.y; chosen = i; }
    }
    if (chosen < 0) throw new Error(`no code lens ${title} above ${stage ?? 'stages'}:`);
    await lens.nth(chosen).click();
    log(`clicked the code lens ${title} above ${stage ?? 'stages'}:`);
  };
  const clickRunLens = (stage) => clickLens(stage, /^\s*Run\s*$/);
  // pipeline.yaml through Quick Open (Ctrl+P): the Explorer may have scrolled it out of view to
  // reveal a file opened since (a run's params.json under .mlops/runs/).
  const openPipeline = async () => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10000 });
    await page.keyboard.type('pipeline.yaml');
    await page.locator('.quick-input-list .monaco-list-row[aria-label^="pipeline.yaml"]').first().click();
    await page.locator('.tabs-container .tab.active[aria-label^="pipeline.yaml"]').first().waitFor();
  };
  // Chooses `label` in the open context menu. Monaco menus act on the focused entry: point at it,
  // then Enter (a plain click can land before the menu listens).
  const chooseFromContextMenu = async (label) => {
    const menuItem = page.locator('.context-view .monaco-menu .action-item', { hasText: label });
    await menuItem.first().waitFor({ timeout: 10000 });
    log(`the context menu offers "${label}"`);
    await menuItem.first().hover();
    await page.locator('.context-view .monaco-menu .action-item.focused', { hasText: label }).first().waitFor({ timeout: 5000 });
    await page.keyboard.press('Enter');
  };
  // Who acts in the registry: the mlops.user setting, set in the Settings editor as a person would.
  const actAs = async (user) => {
    await palette('Preferences: Open User Settings', 'Open User Settings');
    const editor = page.locator('.settings-editor');
    await editor.waitFor({ timeout: 15000 });
    await page.keyboard.press('Control+A'); // the search box keeps the last search
    await page.keyboard.type('mlops.user');
    const input = editor.locator('.setting-item-contents', { hasText: 'Who you are in the model registry' }).locator('input').first();
    await input.waitFor({ timeout: 15000 });
    await input.fill(user);
    await input.press('Enter');
    await page.waitForTimeout(1000); // the Settings editor writes the value after a short debounce
    log(`mlops.user = ${user}`);
  };
  const markers = page.locator('.markers-panel');
  const problemRow = markers.locator('.monaco-list-row', { hasText: PROBLEM });

  let ok = false;
  let stepName = 'start';
  const step = (s) => { stepName = s; log('step:', s); };
  try {
    step('open the workbench (installed extension, no payload)');
    await page.goto(`${BASE}/?folder=${encodeURIComponent(WS)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    const item = page.getByRole('treeitem', { name: FILE });
    await item.waitFor({ timeout: 60000 });
    log(`Explorer lists ${FILE}`);

    step(`open ${FILE} from the Explorer`);
    await item.click();
    await page.locator(`.tabs-container .tab[aria-label*="${FILE}"]`).first().waitFor();
    await page.locator('.monaco-editor .view-lines').first().waitFor();
    log('editor open');

    step(`the MLOps diagnostic "${PROBLEM}" in the Problems panel (View: Focus Problems)`);
    await palette('View: Focus Problems', 'Focus Problems');
    await problemRow.first().waitFor({ timeout: 45000 });
    log('Problems panel shows:', (await problemRow.first().innerText()).replace(/\s+/g, ' ').trim());
    const statusItem = page.locator('.statusbar-item', { hasText: 'MLOps' }).first();
    await statusItem.waitFor({ timeout: 10000 });
    log('status bar item:', ((await statusItem.getAttribute('aria-label')) || (await statusItem.innerText())).replace(/\s+/g, ' ').trim());
    await shot('problems.png');

    step('put the cursor on the error (double-click the problem entry)');
    await problemRow.first().dblclick();
    // the editor selects the diagnostic's range: the status bar reads "Ln 37, Col 10 (5 selected)"
    const cursorAt = page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${NEEDZ_LINE}, Col \\d+`) });
    await cursorAt.first().waitFor({ timeout: 15000 });
    await page.locator('.monaco-editor.focused').first().waitFor({ timeout: 10000 });
    log(`cursor on line ${NEEDZ_LINE} (the needz: key starts at column ${NEEDZ_COL}) in the focused editor:`, (await cursorAt.first().innerText()).trim());

    step(`open the quick fix menu from the light bulb and pick "${FIX}"`);
    const menu = page.locator('.action-widget');
    const fixItem = menu.locator('.monaco-list-row', { hasText: FIX });
    const bulb = page.locator('.monaco-editor .lightBulbWidget');
    try {
      await bulb.first().waitFor({ state: 'visible', timeout: 10000 });
      await bulb.first().click();
      await fixItem.first().waitFor({ timeout: 10000 });
      log('light bulb clicked');
    } catch {
      log('the light bulb did not open the menu; pressing Ctrl+.');
      await page.keyboard.press('Control+Period');
    }
    try {
      await fixItem.first().waitFor({ timeout: 10000 });
    } catch {
      log('Ctrl+. showed no quick fix menu; trying the command "Quick Fix..."');
      await page.keyboard.press('Escape');
      await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } }).catch(() => {});
      await problemRow.first().dblclick();
      await palette('Quick Fix...', 'Quick Fix');
      await fixItem.first().waitFor({ timeout: 10000 });
    }
    log('quick fix menu:', (await menu.first().innerText()).split('\n').map((l) => l.trim()).filter(Boolean).join(' | '));
    await shot('quickfix.png');
    // pick it with the keyboard, as a person would: move the focus to it, then Enter
    const focused = menu.locator('.monaco-list-row.focused');
    for (let i = 0; i < 10 && !((await focused.first().innerText().catch(() => '')).includes(FIX)); i++) await page.keyboard.press('ArrowDown');
    if (!(await focused.first().innerText()).includes(FIX)) throw new Error(`could not focus "${FIX}" in the quick fix menu`);
    await page.keyboard.press('Enter');
    await menu.first().waitFor({ state: 'hidden', timeout: 10000 });
    log(`picked "${FIX}"`);

    step('the problem disappears');
    await problemRow.first().waitFor({ state: 'detached', timeout: 20000 });
    const text = await page.locator('.monaco-editor .view-lines').first().innerText();
    if (/needz/.test(text)) throw new Error('the editor still shows needz after the quick fix');
    if (!/needs:\s*\[prepare\]/.test(text.replace(/\u00a0/g, ' '))) throw new Error('the editor does not show "needs: [prepare]" after the quick fix');
    log('Problems entry gone; the line reads "needs: [prepare]"');

    step('the MLOps view in the activity bar');
    await page.locator('.activitybar [aria-label^="MLOps"]').first().click();
    const button = page.locator('.welcome-view-content .monaco-button', { hasText: 'Validate Workspace' });
    await button.first().waitFor({ timeout: 15000 });
    log('welcome view shows the "Validate Workspace" button');
    await shot('mlops-view.png');

    step('click "Validate Workspace"');
    await button.first().click();
    const toast = page.locator('.notifications-toasts', { hasText: /file\(s\) checked/ });
    await toast.first().waitFor({ timeout: 20000 });
    log('notification:', (await toast.first().innerText()).split('\n').find((l) => /checked/.test(l)));
    await page.waitForTimeout(1000); // let the toast finish sliding in before the screenshot
    await shot('validate.png');

    step('snapshot data/raw from the Explorer context menu');
    await page.keyboard.press('Control+Shift+E');
    const dataFolder = page.getByRole('treeitem', { name: 'data', exact: true });
    await dataFolder.first().waitFor({ timeout: 15000 });
    if ((await dataFolder.first().getAttribute('aria-expanded')) !== 'true') await dataFolder.first().click();
    const rawFolder = page.getByRole('treeitem', { name: 'raw', exact: true });
    await rawFolder.first().waitFor({ timeout: 15000 });
    await rawFolder.first().click({ button: 'right' });
    await chooseFromContextMenu('Snapshot Folder...');
    const snapToast = page.locator('.notifications-toasts', { hasText: /Snapshot sha256:[0-9a-f]+… of data\/raw/ });
    await snapToast.first().waitFor({ timeout: 30000 });
    log('notification:', (await snapToast.first().innerText()).split('\n').find((l) => /Snapshot sha256/.test(l)));

    step('the snapshot in the MLOps Snapshots view');
    await page.locator('.activitybar [aria-label^="MLOps"]').first().click();
    const snapItem = page.locator('.pane', { hasText: 'Snapshots' }).getByRole('treeitem', { name: /data\/raw/ });
    await snapItem.first().waitFor({ timeout: 20000 });
    const description = (await snapItem.first().innerText()).replace(/\s+/g, ' ').trim();
    if (!/data\/raw\s*[0-9a-f]{8} · [\d.]+ (B|KiB|MiB) · \d+ files?/.test(description)) throw new Error(`unexpected Snapshots item: "${description}"`);
    log('Snapshots view shows:', description);
    await snapItem.first().click(); // expand it into its entries
    await page.locator('.pane', { hasText: 'Snapshots' }).getByRole('treeitem', { name: /applications\.csv/ }).first().waitFor({ timeout: 15000 });
    log('expanded: applications.csv is listed');
    await page.waitForTimeout(500);
    await shot('snapshots.png');

    step('run the prepare stage from its code lens in pipeline.yaml');
    await openPipeline();
    await clickRunLens('prepare');

    step('the run in the MLOps Runs view, completed');
    const runsPane = page.locator('.pane', { hasText: 'Runs' });
    const runItem = runsPane.getByRole('treeitem', { name: /prepare · [0-9a-f]{8}/ });
    await runItem.first().waitFor({ timeout: 30000 });
    const runText = runsPane.getByRole('treeitem', { name: /prepare · [0-9a-f]{8}.*completed/ });
    await runText.first().waitFor({ timeout: 60000 });
    log('Runs view shows:', (await runText.first().innerText()).replace(/\s+/g, ' ').trim());
    await page.waitForTimeout(500);
    await shot('runs.png');

    step('run the train stage from its code lens, then open its page: a chart of its loss');
    await openPipeline();
    await clickRunLens('train');
    const trainRun = runsPane.getByRole('treeitem', { name: /train · [0-9a-f]{8}.*completed/ });
    await trainRun.first().waitFor({ timeout: 90000 });
    log('Runs view shows:', (await trainRun.first().innerText()).replace(/\s+/g, ' ').trim());
    await trainRun.first().click();
    const webview = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await webview.locator('h1', { hasText: 'train' }).waitFor({ timeout: 30000 });
    const lossChart = webview.locator('.chart[data-metric="loss"] canvas');
    await lossChart.waitFor({ timeout: 30000 });
    const caption = (await webview.locator('figure', { has: webview.locator('.chart[data-metric="loss"]') }).locator('figcaption').innerText()).trim();
    if (!/40 points/.test(caption)) throw new Error(`the loss chart should have one point per epoch (40): "${caption}"`);
    log('run page: loss chart,', caption);
    await page.keyboard.press('Control+J'); // hide the panel: more room for the page
    await lossChart.scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await shot('run-page.png');

    step("the run page's params link opens the run's params.json");
    await webview.locator('button.link[data-link="params"]').click();
    await page.locator('.tabs-container .tab[aria-label^="params.json"]').first().waitFor({ timeout: 15000 });
    log('params.json of the run is open');

    step('a sweep of the 12 trials of params.yaml, 2 at once, from the "Run Sweep..." code lens above stages:');
    await openPipeline();
    await clickLens(null, /Run Sweep/);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: '2 trials at once' }).first().click();
    const sweepItem = runsPane.getByRole('treeitem', { name: /sweep [0-9a-f]{8}/ });
    await sweepItem.first().waitFor({ timeout: 60000 });
    // "12 trials, 2 running" while it goes; "12 trials" once every trial has ended.
    await runsPane.getByRole('treeitem', { name: /sweep [0-9a-f]{8}\W+12 trials$/ }).first().waitFor({ timeout: 240000 });
    log('Runs view shows:', (await sweepItem.first().innerText()).replace(/\s+/g, ' ').trim());

    step('Compare Runs on the sweep: a chart per metric overlaying the 12 trials, and the params that differ');
    await sweepItem.first().hover();
    await sweepItem.first().locator('.action-label[aria-label="Compare Runs"]').click();
    const compare = page.frameLocator('iframe.webview >> visible=true').frameLocator('iframe#active-frame');
    await compare.locator('h1', { hasText: 'Compare 12 runs' }).waitFor({ timeout: 30000 });
    const valLoss = compare.locator('.chart[data-metric="val_loss"]');
    await valLoss.locator('canvas').waitFor({ timeout: 30000 });
    const series = await valLoss.locator('.u-legend .u-series').count();
    if (series !== 13) throw new Error(`the val_loss chart should overlay 12 trials (legend: x + 12 series), got ${series} legend entries`);
    const lrRow = compare.locator('table.params-diff tr[data-param="train.lr"]');
    if (await lrRow.count() !== 1) throw new Error('train.lr differs between the trials: it should be a row of the params table');
    log('compare page: val_loss chart with 12 series, train.lr among the params that differ');
    await page.waitForTimeout(500);
    await shot('compare-page.png');
    await compare.locator('h2', { hasText: 'Metrics' }).scrollIntoViewIfNeeded();
    await compare.locator('.chart[data-metric="loss"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await shot('compare-charts.png');

    step('the whole pipeline from the "Run Pipeline" code lens, as alice');
    await actAs('alice@example.eu');
    await openPipeline();
    await clickLens(null, /Run Pipeline/);
    await runsPane.getByRole('treeitem', { name: /evaluate · [0-9a-f]{8}.*completed/ }).first().waitFor({ timeout: 120000 });

    step('register its train run from the Runs view context menu');
    const newestTrain = runsPane.getByRole('treeitem', { name: /^train · [0-9a-f]{8}/ }).first();
    await newestTrain.click({ button: 'right' });
    await chooseFromContextMenu('Register Model Version...');
    const registryPane = page.locator('.pane', { hasText: 'Model Registry' });
    const v1 = registryPane.getByRole('treeitem', { name: /^v1\W+None/ });
    await v1.first().waitFor({ timeout: 60000 });
    log('Model Registry view shows:', (await v1.first().innerText()).replace(/\s+/g, ' ').trim());

    step('request Production for v1 (inline action, then the stage and a reason)');
    await v1.first().hover();
    await v1.first().locator('.action-label[aria-label="Request Promotion..."]').click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Production' }).first().click();
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
    await page.keyboard.type('review passed');
    await page.keyboard.press('Enter');
    await registryPane.getByRole('treeitem', { name: /^v1\W+None · → Production: 0\/2 approvals/ }).first().waitFor({ timeout: 30000 });
    // The version opens onto its pending request.
    await registryPane.getByRole('treeitem', { name: /Production: 0 of 2 approvals/ }).first().waitFor({ timeout: 10000 });
    await page.waitForTimeout(500);
    await shot('registry-request.png');

    // Approves the pending request as `user`: the inline Approve action, then the confirmation.
    const approveAs = async (user, expected) => {
      await actAs(user);
      const request = registryPane.getByRole('treeitem', { name: /Production: \d of 2 approvals/ }).first();
      await request.hover();
      await request.locator('.action-label[aria-label="Approve..."]').click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 15000 });
      const detail = (await dialog.innerText()).replace(/\s+/g, ' ');
      if (!/Gate report/.test(detail) || !/demographic_parity_difference/.test(detail)) throw new Error(`the confirmation should show the gate report: ${detail}`);
      await dialog.locator('.monaco-button', { hasText: 'Approve' }).first().click();
      try {
        await registryPane.getByRole('treeitem', { name: expected }).first().waitFor({ timeout: 30000 });
      } catch (e) {
        const toasts = await page.locator('.notifications-toasts').allInnerTexts();
        const items = await registryPane.getByRole('treeitem').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label')));
        throw new Error(`${e.message.split('\n')[0]}; notifications: ${JSON.stringify(toasts)}; registry items: ${JSON.stringify(items)}`);
      }
      log(`approved as ${user}`);
    };
    step('approve as bob, then as carol: the version becomes Production');
    await approveAs('bob@example.eu', /Production: 1 of 2 approvals/);
    await approveAs('carol@example.eu', /^v1\W+Production$/);
    log('Model Registry view shows:', (await registryPane.getByRole('treeitem', { name: /^v1/ }).first().innerText()).replace(/\s+/g, ' ').trim());
    await page.waitForTimeout(500);
    await shot('registry.png');
    ok = true;
  } catch (e) {
    log(`FAILED at step "${stepName}":`, String(e.message || e).split('\n')[0]);
    await shot('failure.png').catch(() => {});
  } finally {
    await browser.close().catch(() => {});
  }
  log(ok ? 'PASS' : 'FAIL');
  console.log(`ui: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error('[ui] runner error:', e); process.exit(2); });

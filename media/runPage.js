// The run page (client/src/runs/runPage.ts): renders the run it is sent, with DOM nodes and
// textContent only (data never becomes markup), and a uPlot chart per metric in the theme's colours.
'use strict';
(function () {
  const vscode = acquireVsCodeApi();
  const page = document.getElementById('page');
  const charts = new Map(); // metric name -> { plot, width }

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  };
  const css = (name, fallback) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
  const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '');
  const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
  const num = (v) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : JSON.stringify(v));

  function flatten(v, prefix, out) {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
    else out.push([prefix, v]);
    return out;
  }

  function table(rows) {
    return el('table', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))));
  }

  function chart(name, points, host) {
    const width = Math.max(280, Math.min(640, host.clientWidth || 480));
    const data = [points.map((p) => p[0]), points.map((p) => p[1])];
    const existing = charts.get(name);
    if (existing && existing.width === width) {
      existing.plot.setData(data);
      return existing.node;
    }
    const node = el('div', { class: 'chart', 'data-metric': name });
    const fg = css('--vscode-editor-foreground', '#ccc');
    const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
    const plot = new uPlot({
      width, height: 200, title: name,
      scales: { x: { time: false } },
      axes: [{ stroke: fg, grid: { stroke: grid }, label: 'step' }, { stroke: fg, grid: { stroke: grid } }],
      series: [{ label: 'step' }, { label: name, stroke: css('--vscode-charts-blue', '#3794ff'), width: 2, points: { show: points.length <= 60 } }],
      legend: { show: true },
    }, data, node);
    charts.set(name, { plot, width, node });
    return node;
  }

  function render(d) {
    const host = el('div');
    const status = `${d.status}${d.status === 'failed' && d.exitCode !== null ? ` (exit ${d.exitCode})` : ''}`;
    host.append(el('h1', {}, `${d.stage} `, el('span', { class: `status ${d.status}` }, status)),
      el('p', { class: 'muted' }, `${d.pipeline} · run ${d.id} · started ${when(d.startedAt)}${d.endedAt ? ` · ended ${when(d.endedAt)}` : ''}`));

    host.append(el('h2', {}, 'Ingredients'), table([
      ['data', Object.keys(d.data).length ? Object.entries(d.data).map(([k, v]) => `${k} ${v.slice(0, 19)}…`).join(', ') : 'none'],
      ['code', d.gitCommit ? `${d.gitCommit.slice(0, 12)}${d.gitDirty ? ' (dirty: uncommitted changes)' : ''}` : 'not recorded (not a git repository)'],
      ['params', `${d.paramsHash.slice(0, 12)}…`],
      ['environment', Object.entries(d.environment).map(([k, v]) => `${k} ${v}`).join(' · ')],
    ]));

    const params = flatten(d.params, '', []);
    host.append(el('h2', {}, 'Params'), params.length ? table(params.map(([k, v]) => [k, num(v)])) : el('p', { class: 'muted' }, 'none'));

    host.append(el('h2', {}, 'Metrics'));
    const names = Object.keys(d.series);
    if (!names.length) host.append(el('p', { class: 'muted' }, d.status === 'running' ? 'No metric yet.' : 'This run logged no metric.'));
    const grid = el('div', { class: 'charts' });
    host.append(grid);

    host.append(el('h2', {}, 'Artifacts'), d.artifacts.length
      ? table(d.artifacts.map((a) => [a.path, `${bytes(a.size)} · sha256:${a.sha256.slice(0, 12)}`]))
      : el('p', { class: 'muted' }, 'none'));
    host.append(el('h2', {}, 'Log'), el('pre', { class: 'log' }, d.logTail || '(empty)'));

    page.replaceChildren(host);
    for (const name of names) {
      const m = d.metrics[name];
      const box = el('figure', {}, chart(name, d.series[name], grid), el('figcaption', {}, `last ${num(m.last)} · min ${num(m.min)} · max ${num(m.max)} · ${m.steps} points`));
      grid.append(box);
    }
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type === 'details') render(m.details);
    else if (m.type === 'error') page.replaceChildren(el('p', { class: 'error' }, m.message));
  });
  vscode.postMessage({ type: 'ready' });
})();

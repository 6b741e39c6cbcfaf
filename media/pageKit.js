// What the run and compare pages share (media/runPage.js, media/comparePage.js), loaded before
// them as the global `pageKit`. Data is rendered with DOM nodes and text only, never as markup.
// The data functions touch no DOM, so they can be checked in Node (with uPlot as a global).
'use strict';
globalThis.pageKit = (() => {
  // ---- Data ----

  const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '');
  const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
  const num = (v) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : JSON.stringify(v));
  /** `sha256:` and 12 hex digits. */
  const shortSnapshot = (id) => `${id.slice(0, 19)}…`;
  const runLabel = (d) => `${d.stage} · ${d.id.slice(0, 8)}`;
  const statusText = (d) => `${d.status}${d.status === 'failed' && d.exitCode !== null ? ` (exit ${d.exitCode})` : ''}`;

  /** Nested params as [dotted key, value] pairs (`train.lr`); arrays are values. */
  function flatten(value, prefix = '', out = []) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    } else {
      out.push([prefix, value]);
    }
    return out;
  }

  /** Whether values (one per run; undefined where a run lacks it) are not all the same. */
  const differ = (values) => new Set(values.map((v) => (v === undefined ? 'missing' : JSON.stringify(v)))).size > 1;

  /** One row per key of records (one per run), in the order keys first appear: its values and whether they differ. */
  function compareRecords(records) {
    const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
    return keys.map((key) => {
      const values = records.map((r) => (Object.hasOwn(r, key) ? r[key] : undefined));
      return { key, values, differs: differ(values) };
    });
  }

  /**
   * [step, value] series (one per run) as uPlot data on one x axis: [steps, values of the first
   * run, ...]. A step some run lacks is undefined in its values, a gap that `spanGaps` bridges.
   */
  const joinSeries = (seriesList) => uPlot.join(seriesList.map((points) => [points.map((p) => p[0]), points.map((p) => p[1])]));

  // ---- DOM ----

  /** An element with attributes (null ones left out) and children (nodes, text, nested arrays of them; null ones left out). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) node.setAttribute(k, v);
    for (const c of children.flat(Infinity)) if (c != null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  const table = (rows) => el('table', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))));
  const statusPill = (d) => el('span', { class: `status ${d.status}` }, statusText(d));
  const cssVar = (name, fallback) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

  const PALETTE = [
    ['--vscode-charts-blue', '#3794ff'], ['--vscode-charts-red', '#f14c4c'], ['--vscode-charts-green', '#89d185'],
    ['--vscode-charts-yellow', '#cca700'], ['--vscode-charts-orange', '#d18616'], ['--vscode-charts-purple', '#b180d7'],
  ];
  const DASHES = [undefined, [8, 4], [2, 3], [8, 3, 2, 3]];

  /** The i-th series' stroke: the theme's chart colours, then the same colours again with a dash. */
  function seriesStyle(i) {
    const [name, fallback] = PALETTE[i % PALETTE.length];
    return { stroke: cssVar(name, fallback), dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
  }

  /** A short line in a series' stroke. Styled through the CSSOM, which the page's CSP allows (a style attribute it would not). */
  function swatch({ stroke, dash }) {
    const node = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    node.style.borderTopColor = stroke;
    if (dash) node.style.borderTopStyle = 'dashed';
    return node;
  }

  // Dots on the lines only while few points are in view.
  const fewPoints = (u, si, i0, i1) => i1 - i0 < 60;

  /**
   * A chart builder that keeps its charts by metric name across renders: new data for the same
   * series at the same width only calls setData, cheaper than a new chart and without flicker.
   * chart(name, data, series, host): data as joinSeries returns it, series [{ label, stroke, dash }].
   */
  function charts() {
    const byName = new Map();
    return function chart(name, data, series, host) {
      const width = Math.max(280, Math.min(640, host.clientWidth || 480));
      const shape = JSON.stringify(series); // the theme's colours too: a theme change builds anew
      const existing = byName.get(name);
      if (existing && existing.width === width && existing.shape === shape) {
        existing.plot.setData(data);
        return existing.node;
      }
      existing?.plot.destroy();
      const node = el('div', { class: 'chart', 'data-metric': name });
      const fg = cssVar('--vscode-editor-foreground', '#ccc');
      const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
      const plot = new uPlot({
        width, height: 200, title: name,
        scales: { x: { time: false } },
        axes: [{ stroke: fg, grid: { stroke: grid }, label: 'step' }, { stroke: fg, grid: { stroke: grid } }],
        series: [{ label: 'step' }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, dash: s.dash, width: 2, spanGaps: true, points: { show: fewPoints } }))],
        legend: { show: true, markers: { dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
      }, data, node);
      byName.set(name, { plot, node, width, shape });
      return node;
    };
  }

  /** Renders each message the extension posts with renderers[type] (an error as such), once the extension knows the page is ready. */
  function start(vscode, page, renderers) {
    window.addEventListener('message', (event) => {
      const m = event.data;
      if (m.type === 'error') page.replaceChildren(el('p', { class: 'error' }, m.message));
      else if (Object.hasOwn(renderers, m.type)) renderers[m.type](m);
    });
    vscode.postMessage({ type: 'ready' });
  }

  return Object.freeze({
    when, bytes, num, shortSnapshot, runLabel, flatten, differ, compareRecords, joinSeries,
    el, table, statusPill, seriesStyle, swatch, charts, start,
  });
})();

// The compare page (client/src/runs/comparePage.ts): the runs it is sent side by side, each in its
// series' colour: the params and ingredients that differ, last metric values, and a chart per
// metric overlaying the runs that logged it.
'use strict';
(function () {
  const { el, num, when, flatten, shortSnapshot, runLabel, differ, compareRecords, joinSeries, statusPill, seriesStyle, swatch } = pageKit;
  const vscode = acquireVsCodeApi();
  const page = document.getElementById('page');
  const chart = pageKit.charts();
  // Kept across refreshes, and in the webview's state when the panel is hidden and shown again.
  let showAllParams = vscode.getState()?.showAllParams === true;

  const cell = (value, format, attrs) => el('td', attrs, value === undefined ? el('span', { class: 'muted' }, '—') : format(value));
  const codeText = ([commit, dirty]) => (commit ? `${commit.slice(0, 12)}${dirty ? ' (dirty)' : ''}` : 'not recorded');

  /** A table with a column per run, headed by its swatch and label. */
  function runsTable(className, runs, styles, rows) {
    const head = el('tr', {}, el('td'), ...runs.map((d, i) => el('th', { scope: 'col' }, swatch(styles[i]), runLabel(d))));
    return el('table', { class: `compare ${className}` }, el('thead', {}, head), el('tbody', {}, ...rows));
  }

  function header(runs, styles, failed) {
    return [
      el('h1', {}, `Compare ${runs.length + failed.length} runs`),
      el('ul', { class: 'runs' }, ...runs.map((d, i) => el('li', { 'data-run': d.id },
        swatch(styles[i]), el('span', { class: 'run-label' }, runLabel(d)), statusPill(d), el('span', { class: 'muted' }, `started ${when(d.startedAt)}`)))),
      ...failed.map((f) => el('p', { class: 'error', 'data-run': f.id }, `Run ${f.id.slice(0, 8)} could not be loaded: ${f.message}`)),
    ];
  }

  function params(runs, styles) {
    const rows = compareRecords(runs.map((d) => Object.fromEntries(flatten(d.params))));
    const body = el('div');
    const fill = () => {
      const shown = rows.filter((r) => r.differs || showAllParams);
      body.replaceChildren(...[
        rows.some((r) => r.differs) ? null : el('p', { class: 'muted' }, 'Same params in every run.'),
        shown.length ? runsTable('params-diff', runs, styles, shown.map((r) =>
          el('tr', { 'data-param': r.key, class: r.differs ? null : 'same' }, el('th', {}, r.key), r.values.map((v) => cell(v, num))))) : null,
      ].filter(Boolean));
    };
    const toggle = el('input', { type: 'checkbox', id: 'show-all-params' });
    toggle.checked = showAllParams;
    toggle.addEventListener('change', () => {
      showAllParams = toggle.checked;
      vscode.setState({ showAllParams });
      fill();
    });
    fill();
    return [el('h2', {}, 'Params'), el('label', { class: 'toggle' }, toggle, 'Show all params'), body];
  }

  function ingredients(runs, styles) {
    const row = (id, label, values, format) => {
      const differs = differ(values);
      return el('tr', { 'data-ingredient': id }, el('th', {}, label), values.map((v) => cell(v, format, { class: differs ? 'differs' : null })));
    };
    return [el('h2', {}, 'Ingredients'), runsTable('ingredients', runs, styles, [
      ...compareRecords(runs.map((d) => d.data)).map((r) => row(`data:${r.key}`, `data: ${r.key}`, r.values, shortSnapshot)),
      row('code', 'code', runs.map((d) => [d.gitCommit, d.gitDirty]), codeText),
      row('params', 'params', runs.map((d) => d.paramsHash), (h) => `${h.slice(0, 12)}…`),
      ...compareRecords(runs.map((d) => d.environment)).map((r) => row(`env:${r.key}`, `env: ${r.key}`, r.values, String)),
    ])];
  }

  function metricsTable(runs, styles, names) {
    if (!names.length) return el('p', { class: 'muted' }, runs.some((d) => d.status === 'running') ? 'No metric yet.' : 'No run logged a metric.');
    return runsTable('metrics', runs, styles, names.map((name) =>
      el('tr', { 'data-metric': name }, el('th', {}, name), runs.map((d) => cell(Object.hasOwn(d.metrics, name) ? d.metrics[name].last : undefined, num)))));
  }

  function render({ runs, failed }) {
    const styles = runs.map((_, i) => seriesStyle(i));
    const names = [...new Set(runs.flatMap((d) => [...Object.keys(d.metrics), ...Object.keys(d.series)]))];
    const grid = el('div', { class: 'charts' });
    page.replaceChildren(el('div', {},
      header(runs, styles, failed), params(runs, styles), ingredients(runs, styles),
      el('h2', {}, 'Metrics'), metricsTable(runs, styles, names), grid));
    // In the page before the charts: their width follows the grid's.
    for (const name of names) {
      const having = runs.flatMap((d, i) => (Object.hasOwn(d.series, name) && d.series[name].length ? [i] : []));
      if (!having.length) continue;
      const data = joinSeries(having.map((i) => runs[i].series[name]));
      const series = having.map((i) => ({ label: runLabel(runs[i]), ...styles[i] }));
      grid.append(el('figure', {}, chart(name, data, series, grid)));
    }
  }

  pageKit.start(vscode, page, { compare: render });
})();

// The run page (client/src/runs/runPage.ts): renders the run it is sent, with a uPlot chart per
// metric. The ingredients and the log are links: a click posts what to open (client/src/runs/
// webviewPage.ts, PageLink) and the extension opens it; the page never navigates.
'use strict';
(function () {
  const { el, table, num, bytes, when, flatten, shortSnapshot, joinSeries, statusPill, seriesStyle } = pageKit;
  const vscode = acquireVsCodeApi();
  const page = document.getElementById('page');
  const chart = pageKit.charts();

  function link(label, target, attrs) {
    const node = el('button', { type: 'button', class: 'link', 'data-link': target.kind, ...attrs }, label);
    node.addEventListener('click', () => vscode.postMessage({ type: 'open', link: target }));
    return node;
  }

  function ingredients(d) {
    const data = Object.entries(d.data);
    return table([
      ['data', data.length
        ? data.map(([name, id], i) => [i ? ', ' : null, `${name} `, link(shortSnapshot(id), { kind: 'snapshot', name, id }, { 'data-dataset': name })])
        : 'none'],
      ['code', d.gitCommit
        ? [link(d.gitCommit.slice(0, 12), { kind: 'commit', commit: d.gitCommit }), d.gitDirty ? ' (dirty: uncommitted changes)' : null]
        : 'not recorded (not a git repository)'],
      ['params', link(`${d.paramsHash.slice(0, 12)}…`, { kind: 'params' })],
      ['environment', Object.entries(d.environment).map(([k, v]) => `${k} ${v}`).join(' · ')],
    ]);
  }

  function render({ details: d }) {
    const host = el('div');
    host.append(el('h1', {}, `${d.stage} `, statusPill(d)),
      el('p', { class: 'muted' }, `${d.pipeline} · run ${d.id} · started ${when(d.startedAt)}${d.endedAt ? ` · ended ${when(d.endedAt)}` : ''}`));

    host.append(el('h2', {}, 'Ingredients'), ingredients(d));

    const params = flatten(d.params);
    host.append(el('h2', {}, 'Params'), params.length ? table(params.map(([k, v]) => [k, num(v)])) : el('p', { class: 'muted' }, 'none'));

    host.append(el('h2', {}, 'Metrics'));
    const names = Object.keys(d.series);
    if (!names.length) host.append(el('p', { class: 'muted' }, d.status === 'running' ? 'No metric yet.' : 'This run logged no metric.'));
    const grid = el('div', { class: 'charts' });
    host.append(grid);

    host.append(el('h2', {}, 'Artifacts'), d.artifacts.length
      ? table(d.artifacts.map((a) => [a.path, `${bytes(a.size)} · sha256:${a.sha256.slice(0, 12)}`]))
      : el('p', { class: 'muted' }, 'none'));
    host.append(el('h2', {}, 'Log', link('Open full log', { kind: 'log' })), el('pre', { class: 'log' }, d.logTail || '(empty)'));

    // In the page before the charts: their width follows the grid's.
    page.replaceChildren(host);
    for (const name of names) {
      const m = d.metrics[name];
      const node = chart(name, joinSeries([d.series[name]]), [{ label: name, ...seriesStyle(0) }], grid);
      grid.append(el('figure', {}, node, el('figcaption', {}, `last ${num(m.last)} · min ${num(m.min)} · max ${num(m.max)} · ${m.steps} points`)));
    }
  }

  pageKit.start(vscode, page, { details: render });
})();

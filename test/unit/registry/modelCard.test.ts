/**
 * The model card: the nine Annex IV headings in both formats, the recorded facts in them, and
 * text from the project escaped (no markup, no script) in Markdown and HTML alike.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Inline, render, toHtml, toMarkdown } from '../../../server/src/core/registry/cardRender';
import { ANNEX_IV_HEADINGS, buildModelCard, modelCard } from '../../../server/src/core/registry/modelCard';
import { removeTempDirs } from '../store/storeTestUtil';
import { hashOf, insertPipelineRuns, pipelineYaml, registryProject } from './registryFixture';

after(removeTempDirs);

const HOSTILE = '<script>alert("x")</script> & | `tick` *bold* [link](javascript:alert(1))';

/** A registered, approved, tagged version whose gate description, reason and tag carry markup. */
function cardProject(): { md: string; html: string; requestId: string } {
  // A lone carriage return (a YAML escape) in a description: a Markdown renderer takes it for a line end.
  const gates = [`  - { metric: accuracy, min: 0.8, type: performance, description: '${HOSTILE.replace(/'/g, "''")}' }`, '  - { metric: missing_rate, max: 0.05, description: "ok\\r# FORGED" }'];
  const { store, registry } = registryProject({ 'pipeline.yaml': pipelineYaml({ risk: 'high', approvals: 1, gates }) });
  try {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000, { accuracy: 0.93 }), actor: 'alice' });
    registry.transition({ model: 'demo-model', version: 2, to: 'Staging', actor: 'alice', reason: 'candidate' });
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice', reason: 'beats v1 on recall' });
    assert.ok(!r.applied);
    registry.approve({ requestId: r.request.id, actor: 'bob@example.eu', reason: 'fairness report checked' });
    registry.setTags({ model: 'demo-model', version: 2, set: { note: HOSTILE }, remove: [], actor: 'alice' });
    const doc = modelCard(store, 'demo-model', 2, Date.UTC(2025, 0, 2));
    return { md: render(doc, 'md'), html: render(doc, 'html'), requestId: r.request.id };
  } finally {
    store.close();
  }
}

describe('model card', () => {
  const { md, html, requestId } = cardProject();

  test('every Annex IV heading, numbered 1 to 9, in Markdown and HTML', () => {
    assert.equal(ANNEX_IV_HEADINGS.length, 9);
    ANNEX_IV_HEADINGS.forEach((h, i) => {
      assert.ok(md.includes(`\n## ${i + 1}. ${h}\n`), `md: ${h}`);
      assert.ok(html.includes(`<h2>${i + 1}. ${h}</h2>`), `html: ${h}`);
    });
    assert.ok(md.startsWith('# Technical documentation: demo-model version 2\n'));
  });

  test('the recorded facts: purpose, risk, commit, params, data snapshots, gates, approvals, history, monitoring plan', () => {
    for (const doc of [md, html]) {
      for (const fact of [
        'Prioritise cases for review by a person', 'review-team', 'high', 'c'.repeat(40), 'train.lr', 'node v20', `sha256:${hashOf('raw-b')}`,
        'b-evaluate', '0.93', 'fairness report checked', 'bob@example.eu', 'beats v1 on recall', requestId, 'Staging', 'Production',
        'amount', 'psi', '0.25', '365 days', '2025-01-02T00:00:00.000Z', hashOf('b-train/model.json'),
      ]) assert.ok(doc.includes(fact), `${doc === md ? 'md' : 'html'} lacks ${fact}`);
    }
  });

  test('the two formats say the same: every table row of the Markdown is a row of the HTML', () => {
    const mdRows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---')).length;
    const htmlRows = (html.match(/<tr>/g) ?? []).length;
    assert.equal(mdRows, htmlRows);
  });

  test('HTML: everything escaped, no script, a standalone page that forbids scripts', () => {
    assert.ok(!/<script/i.test(html), 'no script element');
    assert.ok(!html.includes('<a '), 'no link');
    assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; | `tick` *bold* [link](javascript:alert(1))'));
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.ok(html.includes(`content="default-src 'none'; style-src 'unsafe-inline'"`));
    assert.ok(html.trimEnd().endsWith('</html>'));
  });

  test('a description with a lone carriage return stays in its table cell: no heading forged', () => {
    for (const doc of [md, html]) {
      assert.ok(doc.includes('ok # FORGED'), 'folded to a space');
      assert.ok(!doc.includes('\r'));
    }
  });

  test('Markdown: markup characters escaped, a | in a cell does not split it', () => {
    assert.ok(!md.includes('<script>'), 'no raw HTML');
    assert.ok(md.includes('\\<script\\>alert("x")\\</script\\> \\& \\| \\`tick\\` \\*bold\\* \\[link\\](javascript:alert(1))'));
    const row = md.split('\n').find((l) => l.startsWith('| `accuracy`'))!;
    assert.equal(row.split(/(?<!\\)\|/).length - 2, 7, `seven cells: ${row}`);
  });
});

describe('card rendering', () => {
  const doc = {
    title: 'T', intro: ['see ', { code: 'a`b' }],
    sections: [{ number: 1, title: 'S', blocks: [
      { kind: 'paragraph' as const, text: '- not a list, # not a heading' },
      { kind: 'paragraph' as const, text: '12. not an ordered list' },
      { kind: 'facts' as const, rows: [['demographic_parity_difference', { code: '``x' }]] as [string, { code: string }][] },
      { kind: 'table' as const, columns: ['a'], rows: [[{ code: 'x|y' }]], empty: 'none' },
      { kind: 'table' as const, columns: ['a'], rows: [], empty: 'No rows <here>.' },
    ] }],
  };

  test('code spans take a longer fence than the backticks they hold; a list or heading cannot start a paragraph', () => {
    const out = toMarkdown(doc);
    assert.ok(out.includes('see ``a`b``'));
    assert.ok(out.includes('\\- not a list, # not a heading'));
    assert.ok(out.includes('12\\. not an ordered list'));
    assert.ok(out.includes('- **demographic_parity_difference:** ``` ``x ```'), 'an underscore inside a word stays as it is');
    assert.ok(out.includes('| `x\\|y` |'));
    assert.ok(out.includes('*No rows \\<here\\>.*'));
  });

  test('every line terminator and control character in any text is folded to a space, in Markdown and HTML', () => {
    const forged = (c: string): string => `ok${c}# FORGED${c}<b>${c}| x |`;
    for (const c of ['\r', '\n', '\r\n', '\u2028', '\u2029', '\v', '\f', '\u0085', '\0', '\t\r\n  ']) {
      const text = forged(c);
      const hostile = {
        title: text, intro: [text, { code: text }],
        sections: [{ number: 1, title: text, blocks: [
          { kind: 'paragraph' as const, text: [text, { code: text }] },
          { kind: 'subheading' as const, text },
          { kind: 'facts' as const, rows: [[text, [text, { code: text }]]] as [string, Inline[]][] },
          { kind: 'table' as const, columns: [text], rows: [[[text, { code: text }]]], empty: text },
          { kind: 'table' as const, columns: [text], rows: [], empty: text },
        ] }],
      };
      const md = toMarkdown(hostile);
      const html = toHtml(hostile);
      const name = JSON.stringify(c);
      for (const out of [md, html]) assert.ok(!/[\p{Cc}\u2028\u2029]/u.test(out.replace(/\n/g, '')), `${name}: no control character but the renderer's own line ends`);
      const lines = md.trimEnd().split('\n');
      assert.deepEqual(lines.map((l) => l.slice(0, 4)), ['# ok', '', 'ok #', '', '## 1', '', 'ok #', '', '### ', '', '- **', '', '| ok', '| --', '| ok', '', '*ok '], `${name}: the lines the document has, no more`);
      assert.ok(md.includes('ok # FORGED \\<b\\> \\| x \\|'), `${name}: ${md}`);
      assert.equal(html.split('\n').filter((l) => l.includes('FORGED')).length, 10, `${name}: one line per element (the title twice)`);
    }
  });

  test('HTML: code elements, empty tables as a sentence', () => {
    const out = toHtml(doc);
    assert.ok(out.includes('<p class="intro">see <code>a`b</code></p>'));
    assert.ok(out.includes('<p class="empty">No rows &#60;here&#62;.</p>'));
    assert.ok(out.includes('<td><code>x|y</code></td>'));
  });

  test('a card from a pipeline that records little: every section still there, saying what is missing', () => {
    const { store, registry } = registryProject();
    try {
      registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
      const out = render(buildModelCard({
        model: registry.getModel('demo-model'), version: registry.getVersion('demo-model', 1), pipeline: { name: 'demo', stages: {} },
        lineage: [], requests: [], history: [], audit: { entries: 0, lastSeq: null }, generatedAt: 0,
      }), 'md');
      ANNEX_IV_HEADINGS.forEach((h, i) => assert.ok(out.includes(`## ${i + 1}. ${h}`), h));
      for (const said of ['Not stated: add governance.intendedPurpose', 'No transition requests for this version.', 'no post-market monitoring is planned', 'Not required for a system of risk class minimal']) {
        assert.ok(out.includes(said), said);
      }
    } finally {
      store.close();
    }
  });
});

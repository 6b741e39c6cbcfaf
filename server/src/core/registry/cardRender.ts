/**
 * A structured document (headings, paragraphs, facts, tables) rendered as Markdown or as a
 * standalone HTML page. The model card is built once as such a document (modelCard.ts) and then
 * rendered, so the two formats can never say different things.
 *
 * Every value is text from the project (pipeline descriptions, reasons, tags, metric names), so
 * both renderers escape all of it: in Markdown no character can start markup or raw HTML, in HTML
 * everything is entity-escaped and the page carries a Content-Security-Policy that allows no
 * script at all (only its inline style). No value can start a line either: every line terminator
 * and control character (\r alone, \v, \f, NEL, U+2028, U+2029 as well as \n), with the blanks
 * around it, is folded to one space in both formats, since a Markdown renderer that takes a lone
 * \r for a line end would otherwise read what follows as a heading, a list or a table row.
 */

/** Plain text, or an identifier shown as code (ids, hashes, paths, metric names). */
export type Inline = string | { code: string };
export type Text = Inline | Inline[];

export type Block =
  | { kind: 'paragraph'; text: Text }
  | { kind: 'subheading'; text: string }
  | { kind: 'facts'; rows: [label: string, value: Text][] }
  | { kind: 'table'; columns: string[]; rows: Text[][]; empty: string };

export interface Section {
  number: number;
  title: string;
  blocks: Block[];
}

export interface Document {
  title: string;
  intro: Text;
  sections: Section[];
}

export type CardFormat = 'md' | 'html';

export function render(doc: Document, format: CardFormat): string {
  return format === 'md' ? toMarkdown(doc) : toHtml(doc);
}

export function toMarkdown(doc: Document): string {
  const out: string[] = [`# ${mdText(doc.title)}`, '', mdParagraph(doc.intro), ''];
  for (const s of doc.sections) {
    out.push(`## ${s.number}. ${mdText(s.title)}`, '');
    for (const b of s.blocks) {
      switch (b.kind) {
        case 'paragraph':
          out.push(mdParagraph(b.text), '');
          break;
        case 'subheading':
          out.push(`### ${mdText(b.text)}`, '');
          break;
        case 'facts':
          out.push(...b.rows.map(([label, value]) => `- **${mdText(label)}:** ${mdInline(value)}`), '');
          break;
        case 'table':
          if (!b.rows.length) {
            out.push(`*${mdText(b.empty)}*`, '');
            break;
          }
          out.push(`| ${b.columns.map(mdText).join(' | ')} |`, `|${b.columns.map(() => ' --- |').join('')}`);
          out.push(...b.rows.map((r) => `| ${r.map((c) => mdInline(c, true)).join(' | ')} |`), '');
          break;
      }
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function toHtml(doc: Document): string {
  const body: string[] = [`<h1>${esc(doc.title)}</h1>`, `<p class="intro">${htmlInline(doc.intro)}</p>`];
  for (const s of doc.sections) {
    body.push(`<section id="section-${s.number}">`, `<h2>${s.number}. ${esc(s.title)}</h2>`);
    for (const b of s.blocks) {
      switch (b.kind) {
        case 'paragraph':
          body.push(`<p>${htmlInline(b.text)}</p>`);
          break;
        case 'subheading':
          body.push(`<h3>${esc(b.text)}</h3>`);
          break;
        case 'facts':
          body.push('<dl>', ...b.rows.map(([label, value]) => `<dt>${esc(label)}</dt><dd>${htmlInline(value)}</dd>`), '</dl>');
          break;
        case 'table':
          if (!b.rows.length) {
            body.push(`<p class="empty">${esc(b.empty)}</p>`);
            break;
          }
          body.push('<table>', `<thead><tr>${b.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>`, '<tbody>');
          body.push(...b.rows.map((r) => `<tr>${r.map((c) => `<td>${htmlInline(c)}</td>`).join('')}</tr>`), '</tbody>', '</table>');
          break;
      }
    }
    body.push('</section>');
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(doc.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = [
  'body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1f2328;background:#fff}',
  'h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}',
  'table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}',
  'code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:0 .2rem;border-radius:3px;overflow-wrap:break-word}',
  '.intro,.empty{color:#59636e}',
  '@media print{body{margin:0}section{break-inside:avoid-page}}',
].join('');

function parts(t: Text): Inline[] {
  return Array.isArray(t) ? t : [t];
}

/** In a table, `|` ends a cell even inside a code span (GFM): there it is escaped too (mdText escapes it elsewhere). */
function mdInline(t: Text, inTable = false): string {
  return parts(t).map((p) => (typeof p === 'string' ? mdText(p) : inTable ? mdCode(p.code).replace(/\|/g, '\\|') : mdCode(p.code))).join('');
}

/**
 * Backslash before every character that can start Markdown markup, a link or raw HTML (an
 * underscore inside a word cannot, so demographic_parity_difference stays readable); line breaks
 * folded.
 */
function mdText(s: string): string {
  return oneLine(s).replace(/[\\`*[\]<>|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (c) => `\\${c}`);
}

/** A paragraph must not begin like a list item, a heading or an indented code block. */
function mdParagraph(t: Text): string {
  return mdInline(t).trimStart().replace(/^[-+#=]/, (c) => `\\${c}`).replace(/^(\d+)([.)])/, '$1\\$2');
}

/** A code span fenced by more backticks than the text holds in a row (CommonMark's rule). */
function mdCode(s: string): string {
  const text = oneLine(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function htmlInline(t: Text): string {
  return parts(t).map((p) => (typeof p === 'string' ? esc(p) : `<code>${esc(p.code)}</code>`)).join('');
}

function esc(s: string): string {
  return oneLine(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Every line terminator and control character, with the blanks around it, as one space (see the header). */
function oneLine(s: string): string {
  return s.replace(/\s*[\p{Cc}\u2028\u2029]+\s*/gu, ' ');
}

/**
 * What the run page and the compare page share: a webview panel under a strict Content-Security-
 * Policy (scripts and styles only from the extension's media folder, no inline script, no remote
 * content), and the loop that feeds it: the page's script says `ready`, the panel fetches what it
 * shows and posts it, and fetches again on each StoreChanged until nothing it shows can change.
 */
import * as vscode from 'vscode';

/** A link of the run page (media/runPage.js). Pages never navigate: the extension opens what a link names. */
export type PageLink =
  | { kind: 'commit'; commit: string }
  | { kind: 'snapshot'; name: string; id: string }
  | { kind: 'params' }
  | { kind: 'log' };

/** What a page script sends. */
export type PageRequest = { type: 'ready' } | { type: 'open'; link: PageLink };

/** What a page script receives when its data could not be fetched. */
export type PageError = { type: 'error'; message: string };

/** One fetch of a page's data. */
export interface PageLoad<M> {
  message: M;
  /** Nothing the page shows can change any more: StoreChanged no longer fetches it. */
  ended: boolean;
  /** The panel's new title, if it depends on the data. */
  title?: string;
}

interface LivePage<T, M> {
  panel: vscode.WebviewPanel;
  target: T;
  ended: boolean;
  closed: boolean;
  /** Fetches started. */
  fetches: number;
  /** The number of the fetch whose answer the page shows. */
  posted: number;
  /** What the page was last sent: what its links may name, and what need not be fetched again. */
  shown?: M;
}

/**
 * Panels of one kind, at most one per key. `T` names what a panel shows (e.g. a run), `M` is the
 * message its script renders.
 */
export abstract class LivePages<T, M> implements vscode.Disposable {
  private readonly pages = new Map<string, LivePage<T, M>>();

  protected constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly viewType: string,
    /** The page's script in media/, run after uPlot and media/pageKit.js. */
    private readonly script: string,
  ) {}

  /** Fetches what the panel of `target` shows; `shown` is what it was last sent, if anything. */
  protected abstract load(target: T, shown: M | undefined): Promise<PageLoad<M>>;

  /** A link clicked on the page of `target`, which was last sent `shown`. Ignored unless overridden. */
  protected openLink(_target: T, _link: PageLink, _shown: M | undefined): void {}

  /** Reveals the panel of `key`, or creates it. */
  protected show(key: string, title: string, target: T): vscode.WebviewPanel {
    const existing = this.pages.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing.panel;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(this.viewType, title, vscode.ViewColumn.Active, {
      enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false,
    });
    panel.iconPath = vscode.Uri.joinPath(media, 'mlops.svg');
    panel.webview.html = pageHtml(panel.webview, media, this.script);
    const page: LivePage<T, M> = { panel, target, ended: false, closed: false, fetches: 0, posted: 0 };
    this.pages.set(key, page);
    panel.onDidDispose(() => {
      page.closed = true;
      this.pages.delete(key);
    });
    // The page asks for its data once its script runs (also after being hidden and shown again).
    panel.webview.onDidReceiveMessage((m: PageRequest | undefined) => {
      if (m?.type === 'ready') void this.update(page);
      else if (m?.type === 'open' && m.link) this.openLink(target, m.link, page.shown);
    });
    return panel;
  }

  /** Runs changed: panels showing a run still going fetch again. */
  runsChanged(): void {
    for (const page of this.pages.values()) if (!page.ended) void this.update(page);
  }

  private async update(page: LivePage<T, M>): Promise<void> {
    const fetch = ++page.fetches;
    let loaded: PageLoad<M> | undefined;
    let message: M | PageError;
    try {
      loaded = await this.load(page.target, page.shown);
      message = loaded.message;
    } catch (err) {
      message = { type: 'error', message: errorMessage(err) };
    }
    // Answers can arrive out of order: an older one must not replace a newer one (nor mark a
    // page that ended as still going). A closed panel's title can no longer be set.
    if (fetch < page.posted || page.closed) return;
    page.posted = fetch;
    if (loaded) {
      page.ended = loaded.ended;
      page.shown = loaded.message;
      if (loaded.title) page.panel.title = loaded.title;
    }
    void page.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const { panel } of [...this.pages.values()]) panel.dispose();
    this.pages.clear();
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The page skeleton: uPlot, the shared stylesheet and helpers (media/page.css, media/pageKit.js), then `script`. */
function pageHtml(webview: vscode.Webview, media: vscode.Uri, script: string): string {
  const uri = (...parts: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(media, ...parts)).toString();
  const csp = [`default-src 'none'`, `script-src ${webview.cspSource}`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource}`, `font-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('vendor', 'uPlot.min.css')}">
<link rel="stylesheet" href="${uri('page.css')}">
<title>MLOps</title>
</head>
<body>
<main id="page"><p class="muted">Loading...</p></main>
<script src="${uri('vendor', 'uPlot.iife.min.js')}"></script>
<script src="${uri('pageKit.js')}"></script>
<script src="${uri(script)}"></script>
</body>
</html>`;
}

// Bundles the extension client and the language server (+ CLI) with esbuild.
// Only the CLI opens the SQLite store: its bundle carries better-sqlite3's JavaScript, and the
// native module is copied beside it (core/store/store.ts loads it from there), so the .vsix needs
// no node_modules.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true,
  external: ['vscode'], logLevel: 'warning',
  define: { MLOPS_VERSION: JSON.stringify(pkg.version) },
};
await Promise.all([
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'client/out/extension.js' }),
  // Whitespace and syntax minified, names kept: less to load, readable stack traces.
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'server/out/server.js', minifyWhitespace: true, minifySyntax: true }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'server/out/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  // The snapshot hashing threads (core/snapshots/hashPool.ts loads it from its own directory).
  esbuild.build({ ...common, entryPoints: ['server/src/core/snapshots/hashWorker.ts'], outfile: 'server/out/hashWorker.js', minifyWhitespace: true, minifySyntax: true }),
  // The helper thread that stats files with the walking thread on big trees (core/snapshots/walk.ts).
  esbuild.build({ ...common, entryPoints: ['server/src/core/snapshots/statWorker.ts'], outfile: 'server/out/statWorker.js', minifyWhitespace: true, minifySyntax: true }),
]);
// Copied beside, then renamed over: a CLI still running with the old file mapped must not see it change.
copyFileSync('node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'server/out/better_sqlite3.node.tmp');
renameSync('server/out/better_sqlite3.node.tmp', 'server/out/better_sqlite3.node');
// The run page's chart library, served to its webview from the extension (never from a CDN).
mkdirSync('media/vendor', { recursive: true });
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(`node_modules/uplot/dist/${f}`, `media/vendor/${f}`);

#!/usr/bin/env bash
# End-to-end tests: the packaged .vsix installed in a real VS Code (code-server 4.100.3 = VS Code
# 1.100.3, plain Node 20 extension host) driven by Debian's headless Chromium (playwright-core).
#   1. scripts/e2e-tools.sh (apt packages, code-server + playwright-core in .vscode-e2e/, reused)
#   2. npm run package (build + .vsix), tsc of the tests
#   3. code-server --install-extension mlops-workbench.vsix into a throw-away profile; check its files
#   4. code-server on 127.0.0.1:<free port>, own user-data/extensions/XDG dirs, own process group
#   5. the mocha suite inside the extension host (test/e2e/extensionHostRunner.js + suite/)
#   6. the UI test through the browser (test/e2e/ui.test.js), screenshots in test-results/e2e/
# Exits non-zero when anything fails (and prints the tail of the code-server log).
# env: E2E_PORT (default: a free port), E2E_SKIP_BUILD=1 (reuse the built .vsix), E2E_ONLY=ext|ui,
#      E2E_KEEP=1 (keep the temporary folder), VERBOSE=1 (browser console)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/.vscode-e2e"
CS="$TOOLS/node_modules/.bin/code-server"
RESULTS="$ROOT/test-results/e2e"
VSIX="$ROOT/mlops-workbench.vsix"
EXT_ID="mlops-workbench.mlops-workbench"
T0=$(date +%s)
step() { echo "== [e2e $(( $(date +%s) - T0 ))s] $*"; }
rc=0
fail() { rc=1; echo "e2e: FAIL: $*" >&2; exit 1; }

cd "$ROOT"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
step "tools"
bash "$ROOT/scripts/e2e-tools.sh"

if [ "${E2E_SKIP_BUILD:-}" != 1 ] || [ ! -f "$VSIX" ]; then
  step "build + package (npm run package)"
  rm -f "$VSIX"
  if ! npm run --silent package >"$RESULTS/package.log" 2>&1; then cat "$RESULTS/package.log"; fail "npm run package"; fi
  grep -E 'DONE|WARNING|ERROR' "$RESULTS/package.log" || true
fi
[ -f "$VSIX" ] || fail "no $VSIX after npm run package"
step "compile the tests (tsc -p .)"
npx tsc -p .
SUITE="$ROOT/out/test/e2e/suite/index.js"
[ -f "$SUITE" ] || fail "no $SUITE"

RUN="$(mktemp -d /tmp/mlops-e2e.XXXXXX)"
mkdir -p "$RUN/ud/User" "$RUN/ext" "$RUN/xdg-config" "$RUN/xdg-data" "$RUN/xdg-cache" "$RUN/devhost"
cat > "$RUN/ud/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false, "workbench.tips.enabled": false,
  "workbench.enableExperiments": false, "chat.commandCenter.enabled": false,
  "files.autoSave": "off", "editor.wordBasedSuggestions": "off", "git.openRepositoryInParentFolders": "never" }
JSON
export XDG_CONFIG_HOME="$RUN/xdg-config" XDG_DATA_HOME="$RUN/xdg-data" XDG_CACHE_HOME="$RUN/xdg-cache"

# Fresh copies of the sample workspace: one for the extension-host suite (which writes its own
# broken files), one for the UI test with the broken fixture as broken.pipeline.yaml.
cp -r "$ROOT/sample" "$RUN/ws-ext"
cp -r "$ROOT/sample" "$RUN/ws-ui"
rm -rf "$RUN"/ws-*/.mlops/cache "$RUN"/ws-*/.mlops/mlops.db* "$RUN"/ws-*/data/*.snapshot
if [ -f "$ROOT/test/fixtures/broken-pipeline.yaml" ]; then
  cp "$ROOT/test/fixtures/broken-pipeline.yaml" "$RUN/ws-ui/broken.pipeline.yaml"
else # the fixture is the sample pipeline with the typo needz: in a stage
  sed '0,/^\( *\)needs:/s//\1needz:/' "$ROOT/sample/pipeline.yaml" > "$RUN/ws-ui/broken.pipeline.yaml"
fi
grep -q 'needz:' "$RUN/ws-ui/broken.pipeline.yaml" || fail "broken.pipeline.yaml has no needz:"

step "install the .vsix (code-server --install-extension)"
"$CS" --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" --install-extension "$VSIX" >"$RUN/install.log" 2>&1 ||
  { cat "$RUN/install.log"; fail "code-server --install-extension $VSIX"; }
VERSION="$(node -p "require('$ROOT/package.json').version")"
INSTALLED="$RUN/ext/$EXT_ID-$VERSION"
for f in package.json client/out/extension.js server/out/server.js server/out/cli.js media/mlops.svg; do
  [ -f "$INSTALLED/$f" ] || { ls -R "$RUN/ext" | head -40; fail "the installed extension lacks $f"; }
done
"$CS" --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" --list-extensions --show-versions 2>/dev/null | grep -qx "$EXT_ID@$VERSION" ||
  fail "code-server --list-extensions does not show $EXT_ID@$VERSION"
echo "installed $EXT_ID@$VERSION in $INSTALLED"

PORT="${E2E_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
step "start code-server on 127.0.0.1:$PORT"
MLOPS_E2E_EXTENSIONS_DIR="$RUN/ext" setsid "$CS" \
  --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" "$RUN/ws-ui" </dev/null >"$RUN/code-server.log" 2>&1 &
CS_PID=$!
# code-server answers /healthz once it listens (plain node: no curl needed)
healthy() { node -e 'require("http").get(process.argv[1],(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' "http://127.0.0.1:$PORT/healthz"; }
cleanup() {
  kill -TERM -- "-$CS_PID" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$CS_PID" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "---- code-server log (tail; full log in $RESULTS/code-server.log)"
    tail -40 "$RUN/code-server.log" || true
    cp "$RUN/code-server.log" "$RESULTS/code-server.log" 2>/dev/null || true
    find "$RUN/ud/logs" -name '*.log' -newer "$RUN/install.log" 2>/dev/null | while read -r f; do
      case "$f" in */remoteexthost.log|*/exthost.log|*/MLOps.log) echo "---- ${f#"$RUN"/} (tail)"; tail -25 "$f";; esac
    done
  fi
  if [ "$rc" -eq 0 ] && [ "${E2E_KEEP:-}" != 1 ]; then rm -rf "$RUN"; else echo "e2e: artifacts kept in $RUN"; fi
}
trap cleanup EXIT
trap 'rc=130; exit 130' INT TERM
up=""
for _ in $(seq 1 300); do
  if healthy; then up=1; break; fi
  kill -0 "$CS_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$up" ] || { rc=1; fail "code-server did not come up on port $PORT"; }

export NODE_PATH="$TOOLS/node_modules" CS_BASE="http://127.0.0.1:$PORT" RESULTS
ext_passed=0; ext_failed=0; ui_passed=0; ui_failed=0
if [ "${E2E_ONLY:-ext}" = ext ] || [ -z "${E2E_ONLY:-}" ]; then
  step "mocha suite inside the VS Code extension host (the installed .vsix)"
  set +e
  # extensionTestsPath needs an extensionDevelopmentPath: an empty folder, so the extension under
  # test is the one installed from the .vsix (the suite checks where it was loaded from).
  WS="$RUN/ws-ext" EXT_DEV="$RUN/devhost" EXT_TESTS="$SUITE" node "$ROOT/test/e2e/extensionHostRunner.js" 2>&1 | tee "$RUN/ext-host.log"
  ext_rc=${PIPESTATUS[0]}
  set -e
  ext_line="$(grep -E '^extension-host: [0-9]+ passed, [0-9]+ failed' "$RUN/ext-host.log" | tail -1 || true)"
  if [ -n "$ext_line" ]; then
    ext_passed="$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$ext_line")"; ext_failed="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$ext_line")"
  fi
  if [ "$ext_rc" -ne 0 ]; then rc=1; [ "$ext_failed" -gt 0 ] || ext_failed=1; fi
  cp "$RUN/ext-host.log" "$RESULTS/ext-host.log"
fi
if [ "${E2E_ONLY:-ui}" = ui ] || [ -z "${E2E_ONLY:-}" ]; then
  step "UI test in the browser (Explorer, Problems panel, quick fix, MLOps view)"
  if WS="$RUN/ws-ui" SHOTS="$RESULTS" node "$ROOT/test/e2e/ui.test.js"; then ui_passed=1; else ui_failed=1; rc=1; fi
fi
step "done: rc=$rc, screenshots in ${RESULTS#"$ROOT"/}/"
echo "E2E: $(( ext_passed + ui_passed )) passed, $(( ext_failed + ui_failed )) failed"
exit $rc

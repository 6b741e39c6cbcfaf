#!/usr/bin/env bash
# `npm start`: try MLOps Workbench in a real VS Code in your browser, with one command.
#   - installs the tools (scripts/e2e-tools.sh: chromium, code-server 4.100.3... reused when present),
#   - `npm ci` when node_modules is missing, builds and packages the extension (.vsix),
#   - installs the .vsix into a persistent code-server profile in .vscode-e2e/profile,
#   - opens a copy of sample/ in .vscode-e2e/workspace (copied once; your edits are kept),
#   - serves VS Code on http://127.0.0.1:${PORT:-8080} (no password: it listens on this machine only).
# Stays in the foreground; Ctrl+C stops it. Remote machine? `ssh -L 8080:127.0.0.1:8080 HOST`.
# Start over with the sample: rm -rf .vscode-e2e/workspace
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.vscode-e2e"
CS="$TOOLS/node_modules/.bin/code-server"
PROFILE="$TOOLS/profile"
WS="$TOOLS/workspace"
PORT="${PORT:-8080}"
say() { echo "[start] $*"; }
cd "$ROOT"

bash "$ROOT/scripts/e2e-tools.sh"
if [ ! -d "$ROOT/node_modules" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
say "build + package the extension"
npm run --silent package >/dev/null
say "packaged $(ls -l --block-size=K "$ROOT/mlops-workbench.vsix" | awk '{print $5}') mlops-workbench.vsix"

mkdir -p "$PROFILE/user-data/User" "$PROFILE/extensions" "$PROFILE/xdg-config" "$PROFILE/xdg-data"
export XDG_CONFIG_HOME="$PROFILE/xdg-config" XDG_DATA_HOME="$PROFILE/xdg-data"
if [ ! -f "$PROFILE/user-data/User/settings.json" ]; then
  cat > "$PROFILE/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "security.workspace.trust.enabled": false,
  "git.openRepositoryInParentFolders": "never"
}
JSON
fi
say "install the .vsix into $PROFILE"
"$CS" --user-data-dir "$PROFILE/user-data" --extensions-dir "$PROFILE/extensions" \
  --install-extension "$ROOT/mlops-workbench.vsix" --force >"$PROFILE/install.log" 2>&1 ||
  { cat "$PROFILE/install.log"; echo "[start] could not install the extension" >&2; exit 1; }

if [ ! -d "$WS" ]; then
  say "copy sample/ to $WS (once: your edits there are kept)"
  cp -r "$ROOT/sample" "$WS"
fi

if node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close())' "$PORT"; then :; else
  echo "[start] port $PORT on 127.0.0.1 is in use; choose another: PORT=8081 npm start" >&2
  exit 1
fi

URL="http://127.0.0.1:$PORT/?folder=$WS"
setsid "$CS" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$PROFILE/user-data" --extensions-dir "$PROFILE/extensions" "$WS" </dev/null >"$PROFILE/code-server.log" 2>&1 &
CS_PID=$!
# code-server answers /healthz once it listens (plain node: no curl needed)
healthy() { node -e 'require("http").get(process.argv[1],(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' "http://127.0.0.1:$PORT/healthz"; }
stop() { kill -TERM -- "-$CS_PID" 2>/dev/null || true; sleep 0.5; kill -KILL -- "-$CS_PID" 2>/dev/null || true; }
trap stop EXIT
trap 'echo; say "stopping"; exit 0' INT TERM
for _ in $(seq 1 300); do
  healthy && break
  kill -0 "$CS_PID" 2>/dev/null || { cat "$PROFILE/code-server.log"; echo "[start] code-server stopped" >&2; exit 1; }
  sleep 0.1
done
cat <<EOF

  MLOps Workbench is running in VS Code (code-server) at:

      $URL

  Open pipeline.yaml, params.yaml or clusters.yaml; the MLOps icon is in the activity bar.
  Workspace: $WS   Log: $PROFILE/code-server.log
  Press Ctrl+C to stop.

EOF
rc=0; wait "$CS_PID" || rc=$?
echo "[start] code-server exited ($rc); log tail:" >&2; tail -20 "$PROFILE/code-server.log" >&2
exit "$rc"

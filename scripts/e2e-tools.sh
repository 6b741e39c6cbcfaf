#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm start` need, idempotently (reused when present):
#   - Debian packages: chromium (headless browser), libkrb5-dev + pkg-config (code-server's native
#     kerberos module), ripgrep (VS Code's search; also pre-seeds @vscode/ripgrep's download cache);
#   - code-server 4.100.3 (= VS Code 1.100.3, the last that runs on Node 20) and playwright-core 1
#     into the git-ignored folder .vscode-e2e/.
# Only the npm registry and Debian apt are needed. Run as root (or with the packages already there).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.vscode-e2e"
CS_VERSION=4.100.3
log() { echo "[e2e-tools] $*"; }

# --- Debian packages: only the missing ones, `apt-get update` first when something is missing.
need=()
for p in chromium libkrb5-dev pkg-config ripgrep; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  log "apt packages present"
fi

# --- code-server + playwright-core in .vscode-e2e/ (ignored by git).
cs_ok() {
  [ -x "$TOOLS/node_modules/.bin/code-server" ] &&
  [ "$(node -p "require('$TOOLS/node_modules/code-server/package.json').version" 2>/dev/null)" = "$CS_VERSION" ] &&
  [ -f "$TOOLS/node_modules/playwright-core/package.json" ]
}
if cs_ok; then
  log "code-server $CS_VERSION + playwright-core present in .vscode-e2e/"
else
  log "npm install code-server@$CS_VERSION playwright-core@1 into .vscode-e2e/ (about 80 s)"
  # @vscode/ripgrep's postinstall downloads rg from GitHub, which is not reachable:
  # pre-seed its download cache with Debian's rg so it installs offline.
  RGCACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$RGCACHE"
  tar czf "$RGCACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C /usr/bin rg
  mkdir -p "$TOOLS"
  # keep a user's profile/workspace (npm start) but rebuild the tools
  rm -rf "$TOOLS/node_modules" "$TOOLS/package.json" "$TOOLS/package-lock.json"
  ( cd "$TOOLS" && echo '{"private":true}' > package.json &&
    npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" playwright-core@1 )
  cs_ok || { echo "[e2e-tools] code-server install failed" >&2; exit 1; }
fi
log "ready: code-server $(node -p "require('$TOOLS/node_modules/code-server/package.json').version"), playwright-core $(node -p "require('$TOOLS/node_modules/playwright-core/package.json').version"), $(/usr/bin/chromium --version 2>/dev/null)"

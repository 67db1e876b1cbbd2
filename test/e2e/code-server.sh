#!/usr/bin/env bash
# E2E 2: the packaged extension (.vsix) in real VS Code: code-server 4.100.3 (VS Code 1.100.3, the newest that
# runs on Node 20) from npm, driven by playwright-core with Debian's Chromium (adapted from
# /work/shared/recipes/real-clients/part1-code-server.sh). Opens a temp copy of examples/ketamine, runs
# "Study: Run Analysis" from the command palette, checks the Results panel (Type 3 table, figures), the hover on
# `age`, and saves docs/screenshots/{results-panel,sensitivity,figures,hover}.png.
# Env: PHASES ("trusted untrusted"), VSIX (default packages/vscode/study-vscode.vsix), STUDY_E2E_CACHE (code-server install, reused;
# default /tmp/study-e2e-cache), WORK, PORT (18123), SKIP_APT=1, SCREENSHOTS (default test-output/screenshots; SCREENSHOTS=docs/screenshots refreshes the committed ones).
# Exit 0 = PASS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; REPO="$(cd "$HERE/../.." && pwd)"
VSIX=${VSIX:-$REPO/packages/vscode/study-vscode.vsix}
CACHE=${STUDY_E2E_CACHE:-/tmp/study-e2e-cache}
[ -z "${WORK:-}" ] && OWN_WORK=1 || OWN_WORK=0
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/study-e2e-cs.XXXXXX")}
PORT=${PORT:-18123}
SCREENSHOTS=${SCREENSHOTS:-$REPO/test-output/screenshots}
CS_VERSION=4.100.3
ts() { date +%s.%N; }; dt() { awk -v a="$1" -v b="$(ts)" 'BEGIN{printf "%.1f", b-a}'; }
T_ALL=$(ts)
[ -f "$VSIX" ] || { echo "missing $VSIX: run npm run package"; exit 1; }
mkdir -p "$CACHE/tmp" "$WORK/tmp" "$SCREENSHOTS"

# ---- 1. system packages (idempotent): code-server's native modules, chromium, ripgrep, fonts ----
APT_PKGS="libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config python3 make g++ chromium ripgrep fonts-dejavu-core curl ca-certificates"
MISSING=$(for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$MISSING" ]; then
  [ "${SKIP_APT:-0}" = 1 ] && { echo "missing apt packages: $MISSING"; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
fi

# ---- 2. code-server from npm, cached in $CACHE/cs ----
T=$(ts)
CS="$CACHE/cs/node_modules/.bin/code-server"
if [ ! -x "$CS" ] || ! grep -q "\"version\": \"$CS_VERSION\"" "$CACHE/cs/node_modules/code-server/package.json" 2>/dev/null; then
  # @vscode/ripgrep downloads rg from api.github.com (unreachable): seed its cache with Debian's rg 13.0.0
  RGC="$CACHE/tmp/vscode-ripgrep-cache-1.15.11"; mkdir -p "$RGC"
  tar czf "$RGC/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C /usr/bin rg
  # as root: npm_config_unsafe_perm for code-server's postinstall, npm_config_yes for node-pty's `npx node-gyp`
  TMPDIR="$CACHE/tmp" npm_config_unsafe_perm=true npm_config_yes=true timeout 900 \
    npm install --prefix "$CACHE/cs" --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" > "$CACHE/cs-install.log" 2>&1 \
    || { tail -40 "$CACHE/cs-install.log"; exit 1; }
fi
echo "TIME code-server install: $(dt $T)s"
[ -d "$REPO/node_modules/playwright-core" ] || { echo "playwright-core missing: npm ci"; exit 1; }

# ---- 3. isolated state, workspace copy, settings, install the .vsix, start code-server ----
RUN="$WORK/run"; WS="$WORK/ketamine"
rm -rf "$RUN" "$WS"; mkdir -p "$RUN/ud/User" "$RUN/exts" "$RUN/home" "$WS"
cp "$REPO/examples/ketamine/ketamine.csv" "$REPO/examples/ketamine/ketamine.study" "$WS/"
export TMPDIR="$WORK/tmp" HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share" \
  XDG_CACHE_HOME="$RUN/home/.cache"
cat > "$RUN/ud/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off",
  "workbench.tips.enabled": false, "extensions.ignoreRecommendations": true, "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false, "update.mode": "none", "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden", "workbench.colorTheme": "Default Light Modern",
  "editor.minimap.enabled": false, "editor.hover.delay": 200, "window.commandCenter": false,
  "workbench.editor.enablePreview": false, "files.hotExit": "off", "study.runOnSave": true }
JSON
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN/config.yaml"
CSARGS=(--config "$RUN/config.yaml" --user-data-dir "$RUN/ud" --extensions-dir "$RUN/exts")
T=$(ts)
timeout 120 "$CS" "${CSARGS[@]}" --install-extension "$VSIX" > "$RUN/install.log" 2>&1 || { cat "$RUN/install.log"; exit 1; }
echo "TIME install-extension: $(dt $T)s"
# start code-server in its own process group (setsid) so cleanup also ends the extension host, watcher and LS
CS_PID=
start_cs() { # start_cs WORKSPACE [extra flags...]
  local ws=$1; shift
  setsid "$CS" "${CSARGS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
    --disable-getting-started-override "$@" "$ws" > "$RUN/code-server.log" 2>&1 &
  CS_PID=$!
  for i in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$RUN/code-server.log"; return 1; }
}
cleanup() { [ -n "$CS_PID" ] || return 0; kill -- -"$CS_PID" 2>/dev/null || kill "$CS_PID" 2>/dev/null || true; wait "$CS_PID" 2>/dev/null || true; CS_PID=; }
trap cleanup EXIT
start_cs "$WS" --disable-workspace-trust

# ---- 4. the browser test (trusted workspace) ----
PHASES=${PHASES:-trusted untrusted}
T=$(ts); RC=0
if [[ " $PHASES " == *" trusted "* ]]; then
  CS_URL="http://127.0.0.1:$PORT" WS_DIR="$WS" OUT_DIR="$SCREENSHOTS" FAIL_DIR="$WORK" NODE_PATH="$REPO/node_modules" \
    timeout 600 node "$HERE/code-server-test.cjs" 2>&1 | tee "$WORK/browser-trusted.log" || RC=${PIPESTATUS[0]}
fi
echo "TIME browser test: $(dt $T)s"
logs() {
  echo "--- extension host / Study logs ---"
  find "$RUN/ud/logs" -name 'exthost*.log' -exec tail -30 {} \; 2>/dev/null || true
  find "$RUN/ud/logs" -name '*Study*' -exec tail -30 {} \; 2>/dev/null || true
}
[ $RC = 0 ] || logs
cleanup

# ---- 5. Restricted Mode: an untrusted workspace (a spec with `covariate agee`) ----
T=$(ts); RC2=0
if [[ " $PHASES " == *" untrusted "* ]]; then
WS2="$WORK/untrusted/ketamine"; rm -rf "$WORK/untrusted"; mkdir -p "$WS2"
cp "$REPO/examples/ketamine/ketamine.csv" "$REPO/examples/ketamine/ketamine.study" "$WS2/"
sed -i 's/^    covariate age$/    covariate agee/' "$WS2/ketamine.study"
cp "$RUN/ud/User/settings.json" "$RUN/settings-trusted.json"
node -e 'const f=process.argv[1], s=JSON.parse(require("fs").readFileSync(f,"utf8"));
  Object.assign(s, {"security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "never", "security.workspace.trust.untrustedFiles": "open"});
  require("fs").writeFileSync(f, JSON.stringify(s, null, 2));' "$RUN/ud/User/settings.json"
start_cs "$WS2"
CS_URL="http://127.0.0.1:$PORT" WS_DIR="$WS2" OUT_DIR="$WORK" FAIL_DIR="$WORK" NODE_PATH="$REPO/node_modules" \
  timeout 180 node "$HERE/code-server-untrusted.cjs" 2>&1 | tee "$WORK/browser-untrusted.log" || RC2=${PIPESTATUS[0]}
echo "TIME restricted-mode test: $(dt $T)s"
[ $RC2 = 0 ] || logs
cleanup
fi
[ $RC = 0 ] && RC=$RC2

echo "TIME total: $(dt $T_ALL)s"
if [ $RC = 0 ]; then echo "PASS code-server"; [ $OWN_WORK = 1 ] && rm -rf "$WORK"; else
  # CI shows the tail of the output: repeat the failed checks here
  grep -h -E '\] (FAIL|FAILED:)|checks passed' "$WORK"/browser-*.log 2>/dev/null || true
  echo "FAIL code-server (logs: $RUN)"
fi
exit $RC

#!/usr/bin/env bash
# End-to-end tests as a user would run them (`npm run test:e2e`; CI: after `npm test`):
#   0. build the installable extension: packages/vscode/study-vscode.vsix (esbuild bundles + vsce, offline)
#   1. test/e2e/neovim.sh       the bundled language server in headless Neovim (stdio)           ~2 s
#   2. test/e2e/code-server.sh  the .vsix in real VS Code (code-server 4.100.3 + Chromium)        ~40 s warm, +3-4 min cold
# Installs its own apt packages (neovim, chromium, build deps) and code-server (cached in $STUDY_E2E_CACHE,
# default /tmp/study-e2e-cache) idempotently. Every step is bounded by `timeout`. Exit 0 = all PASS.
# Env: E2E_ONLY=neovim|code-server to run one part; see each script for more.
set -uo pipefail
cd "$(dirname "$0")/../.."
ts() { date +%s.%N; }; dt() { awk -v a="$1" -v b="$(ts)" 'BEGIN{printf "%.1f", b-a}'; }
T0=$(ts); FAIL=(); RAN=0
if [ "${SKIP_APT:-0}" != 1 ] && { ! command -v nvim >/dev/null || ! command -v chromium >/dev/null; }; then
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq || true
fi
echo "== build the extension (.vsix)"
timeout 600 npm run package --silent || { echo "FAIL: npm run package"; exit 1; }
if [ "${E2E_ONLY:-neovim}" = neovim ] || [ -z "${E2E_ONLY:-}" ]; then
  echo "== e2e 1: Neovim + the bundled language server"
  RAN=$((RAN + 1)); timeout 300 bash test/e2e/neovim.sh || FAIL+=(neovim)
fi
if [ "${E2E_ONLY:-code-server}" = code-server ] || [ -z "${E2E_ONLY:-}" ]; then
  echo "== e2e 2: code-server (VS Code 1.100.3) + the .vsix"
  RAN=$((RAN + 1)); timeout 1500 bash test/e2e/code-server.sh || FAIL+=(code-server)
fi
echo "== e2e total: $(dt "$T0")s"
if [ ${#FAIL[@]} -gt 0 ]; then echo "E2E FAILED: ${FAIL[*]}"; fi
echo "e2e: $((RAN - ${#FAIL[@]})) passed, ${#FAIL[@]} failed"
[ ${#FAIL[@]} -eq 0 ]

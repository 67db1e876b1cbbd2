#!/usr/bin/env bash
# E2E 1: the bundled Study language server (packages/vscode/out/server.cjs) in a real LSP client, headless
# Neovim 0.7 (Debian package) over stdio. Opens a temp copy of examples/ketamine with `covariate agee`, checks
# the diagnostic "did you mean 'age'?" and its range, and the hover on the keyword `covariate`.
# Needs: out/server.cjs built (npm run build -w study-vscode). Env: WORK, SKIP_APT=1. Exit 0 = PASS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; REPO="$(cd "$HERE/../.." && pwd)"
[ -z "${WORK:-}" ] && OWN_WORK=1 || OWN_WORK=0
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/study-e2e-nvim.XXXXXX")}
mkdir -p "$WORK"
if ! command -v nvim >/dev/null; then
  [ "${SKIP_APT:-0}" = 1 ] && { echo "nvim missing and SKIP_APT=1"; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq --no-install-recommends neovim >/dev/null
fi
SERVER="$REPO/packages/vscode/out/server.cjs"
[ -f "$SERVER" ] || { echo "missing $SERVER: run npm run build -w study-vscode"; exit 1; }
# a copy of the example (never write into examples/), with a misspelt covariate on line 11
mkdir -p "$WORK/ketamine"; cp "$REPO/examples/ketamine/ketamine.csv" "$REPO/examples/ketamine/ketamine.study" "$WORK/ketamine/"
sed -i 's/^    covariate age$/    covariate agee/' "$WORK/ketamine/ketamine.study"
grep -q '^    covariate agee$' "$WORK/ketamine/ketamine.study" || { echo "could not make the test spec"; exit 1; }
mkdir -p "$WORK/home"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share" \
  XDG_CACHE_HOME="$WORK/home/.cache" XDG_STATE_HOME="$WORK/home/.local/state"
export LSP_CMD="[\"node\",\"$SERVER\",\"--stdio\"]" TEST_FILE="$WORK/ketamine/ketamine.study" RESULT_FILE="$WORK/result.json"
export STUDY_FIT_WORKER="$REPO/packages/vscode/out/fit-worker.cjs"
rm -f "$RESULT_FILE"; RC=0; T0=$(date +%s.%N)
timeout 90 nvim --headless -u NONE -i NONE -n -c "luafile $HERE/nvim-lsp-test.lua" </dev/null || RC=$?
echo "neovim e2e: $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s rc=$RC"
cat "$RESULT_FILE" 2>/dev/null || { echo "no result file"; [ $RC = 0 ] && RC=1; }
if [ $RC = 0 ]; then echo "PASS neovim"; [ $OWN_WORK = 1 ] && rm -rf "$WORK"; else echo "FAIL neovim (lsp.log under $WORK/home)"; fi
exit $RC

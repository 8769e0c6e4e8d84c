#!/usr/bin/env bash
# Headless end-to-end tests of the Neovim plugin against the real `agentls serve`.
#   editors/nvim/run-tests.sh [tests/test_x.lua ...]
# Environment: NVIM (default: nvim, installed from Debian if missing),
#              AGENTLS (default: the checkout's .venv/bin/agentls, else agentls on PATH),
#              TEST_TIMEOUT seconds per test file (default 90).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

nvim_bin=${NVIM:-nvim}
if ! command -v "$nvim_bin" >/dev/null 2>&1; then
  if [ "$nvim_bin" != nvim ]; then
    echo "run-tests.sh: NVIM=$nvim_bin not found" >&2
    exit 2
  fi
  echo "run-tests.sh: installing Debian's neovim" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq neovim >&2
fi

if [ -n "${AGENTLS:-}" ]; then
  agentls=$AGENTLS
elif [ -x "$root/.venv/bin/agentls" ]; then
  agentls="$root/.venv/bin/agentls"
elif command -v agentls >/dev/null 2>&1; then
  agentls=$(command -v agentls)
else
  echo "run-tests.sh: agentls not found (make venv, or put agentls on PATH)" >&2
  exit 2
fi

# Isolate Neovim and git from the user's configuration and state.
scratch=$(mktemp -d /tmp/agentls-nvim-tests.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data"
export XDG_STATE_HOME="$scratch/state" XDG_CACHE_HOME="$scratch/cache"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
export AGENTLS_CMD="$agentls"
timeout_s=${TEST_TIMEOUT:-90}

if [ $# -gt 0 ]; then
  tests=("$@")
else
  tests=("$here"/tests/test_*.lua)
fi

# Every test but test_plugin.lua talks to the server: say so once, clearly, if it is missing.
for test in "${tests[@]}"; do
  if [ "$(basename "$test")" != test_plugin.lua ] && ! "$agentls" serve --help >/dev/null 2>&1; then
    echo "run-tests.sh: '$agentls serve' is not available (needed by $(basename "$test"))" >&2
    exit 2
  fi
done

echo "Neovim: $("$nvim_bin" --version | head -1); server: $agentls"
passed=0
failed=0
for test in "${tests[@]}"; do
  log="$scratch/$(basename "$test").log"
  start=$(date +%s%N)
  status=0
  timeout --kill-after=5 "$timeout_s" "$nvim_bin" --headless -u NONE -i NONE -n \
    -S "$test" >"$log" 2>&1 </dev/null || status=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  took="$((ms / 1000)).$((ms % 1000 / 100))"
  if [ "$status" = 0 ] && grep -q '^ok - ' "$log"; then
    passed=$((passed + 1))
    echo "$(grep '^ok - ' "$log") (${took}s)"
  else
    failed=$((failed + 1))
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
      echo "not ok - $(basename "$test"): killed after ${timeout_s}s (TEST_TIMEOUT)"
    else
      echo "not ok - $(basename "$test") (exit $status, ${took}s)"
    fi
    sed 's/^/    /' "$log"
  fi
done
echo "nvim: $passed passed, $failed failed"
[ "$failed" = 0 ]

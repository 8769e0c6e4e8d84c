#!/usr/bin/env bash
# Screen captures of the sessions buffer, the compare view, the review buffer and
# a review diff tab, as a terminal shows them (Neovim in tmux, 120x30, with
# colours), for the docs and for review:
#   editors/nvim/tests/capture.sh
#     -> test-output/nvim/{sessions,compare,review,review-diff}-screen.{ansi,txt}
# Environment: NVIM (default nvim), AGENTLS (default the checkout's .venv/bin/agentls).
# Not part of the test suite: the headless tests check the same buffers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
nvim_bin=${NVIM:-nvim}
agentls=${AGENTLS:-$root/.venv/bin/agentls}
out=${AGENTLS_TEST_OUTPUT:-$root/test-output/nvim}
command -v tmux >/dev/null || { echo "capture.sh: needs tmux" >&2; exit 2; }
mkdir -p "$out"

scratch=$(mktemp -d /tmp/agentls-nvim-capture.XXXXXX)
session="agentls-capture-$$"
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data"
export XDG_STATE_HOME="$scratch/state" XDG_CACHE_HOME="$scratch/cache"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com

# The repository: alpha committed line 10 and claims docs/**, beta changed the same
# line (unsaved to git: dirty), notes is a research fork of beta.
bash "$here/fixture.sh" "$scratch/w" >/dev/null
w="$scratch/w"
sed -i 's/^line 10$/alpha 10/' "$w/alpha/app.txt"
git -C "$w/alpha" commit -qam "alpha: line 10"
"$agentls" -C "$w/repo" claim alpha 'docs/**' >/dev/null
"$agentls" -C "$w/repo" priority alpha 2 >/dev/null
sed -i 's/^line 10$/beta 10/' "$w/beta/app.txt"
"$agentls" -C "$w/beta" fork notes >/dev/null

cat >"$scratch/init.lua" <<EOF
vim.opt.runtimepath:prepend('$root/editors/nvim')
vim.cmd('runtime plugin/agentls.lua')
vim.o.swapfile = false
vim.o.termguicolors = true
vim.cmd('syntax on')
require('agentls').setup({ cmd = { '$agentls', 'serve' } })
EOF

keys() { tmux send-keys -t "$session" "$@"; }
wait_for() { # text, seconds
  for _ in $(seq 1 $(($2 * 10))); do
    if tmux capture-pane -t "$session" -p | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "capture.sh: timed out waiting for '$1'" >&2
  tmux capture-pane -t "$session" -p >&2
  exit 1
}
capture() {
  tmux capture-pane -t "$session" -p -e >"$out/$1.ansi"
  tmux capture-pane -t "$session" -p >"$out/$1.txt"
  echo "wrote $out/$1.txt (.ansi with colours)"
}

tmux new-session -d -s "$session" -x 120 -y 30 \
  "cd '$w/alpha' && '$nvim_bin' -u '$scratch/init.lua' -i NONE -n app.txt"
wait_for "app.txt" 10
sleep 3 # the server attaches and reports
keys ":AgentLS" Enter
wait_for "Research (1)" 20
keys ":call search('^. alpha ')" Enter
keys "="
wait_for "claims: docs/**" 10
capture sessions-screen

keys "q" ":lua require('agentls.diff').open(require('agentls.client').clients()[1], 'alpha', 'beta', 'app.txt', 10)" Enter
wait_for "agentls://beta/app.txt" 20
sleep 0.5
capture compare-screen
keys ":tabclose" Enter

# The review sweep: alpha's diff tab at app.txt (base left, current right).
keys ":AgentLS review" Enter
wait_for "Queue (" 20
wait_for "files (" 20
capture review-screen
keys "gg" ":call search('^      M  app.txt')" Enter
keys Enter
wait_for "file 1/" 20
sleep 0.5
capture review-diff-screen
keys ":qall!" Enter

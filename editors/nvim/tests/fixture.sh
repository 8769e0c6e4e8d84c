#!/usr/bin/env bash
# Builds a real repository with two extra worktrees for the Neovim tests:
#   DIR/repo   main   app.txt ("line 1".."line 40"), README.md
#   DIR/alpha  branch alpha, from main
#   DIR/beta   branch beta, from main
# Usage: fixture.sh DIR
set -euo pipefail
dir=${1:?usage: fixture.sh DIR}
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
export GIT_CONFIG_NOSYSTEM=1

mkdir -p "$dir/repo"
cd "$dir/repo"
git init -q -b main
git config user.name Test
git config user.email test@example.com
git config commit.gpgsign false
for i in $(seq 1 40); do echo "line $i"; done > app.txt
echo "# fixture" > README.md
git add -A
git commit -q -m "initial"
git worktree add -q -b alpha "$dir/alpha" main
git worktree add -q -b beta "$dir/beta" main

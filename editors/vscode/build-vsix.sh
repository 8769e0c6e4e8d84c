#!/usr/bin/env bash
# Build the extension: esbuild bundle -> dist/extension.js, then `vsce package` (offline)
# -> editors/vscode/agentls-<version>.vsix. Prints the .vsix path on stdout.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
node esbuild.mjs --minify >&2
version="$(node -p 'require("./package.json").version')"
out="agentls-${version}.vsix"
# --no-dependencies: everything is bundled by esbuild; no network is needed.
npx --no-install vsce package --no-dependencies --skip-license --out "$out" >&2
echo "$(pwd)/$out"

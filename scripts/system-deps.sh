#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (idempotent; needs root or sudo).
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v nvim >/dev/null || need+=(neovim)
command -v chromium >/dev/null || need+=(chromium)
command -v stdbuf >/dev/null || need+=(coreutils)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null

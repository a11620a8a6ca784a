#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium for the HTML report's browser
# test, installing Debian's `chromium` package with apt-get when none is found
# (as root, or through passwordless sudo). Exits non-zero with a message on
# stderr when Chromium is missing and cannot be installed; the test then skips
# and says why.
#
#   NETAUDIT_CHROMIUM=$(hack/chromium.sh) go test ./pkg/report -run Browser
#
# NETAUDIT_CHROMIUM, when set to an executable, is used as is.
set -euo pipefail

if [[ -n "${NETAUDIT_CHROMIUM:-}" && -x "${NETAUDIT_CHROMIUM}" ]]; then
  echo "$NETAUDIT_CHROMIUM"
  exit 0
fi
find_chromium() {
  local c
  for c in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}
if find_chromium; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found and apt-get is not available: install Chromium and put it on PATH, or set NETAUDIT_CHROMIUM" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "chromium not found, and installing it needs root (apt-get install chromium): install it, or set NETAUDIT_CHROMIUM" >&2
    exit 1
  fi
fi
echo "installing Debian's chromium package for the browser test (first run only)" >&2
{
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium
} >&2
find_chromium || { echo "apt-get installed chromium, but it is not on PATH" >&2; exit 1; }

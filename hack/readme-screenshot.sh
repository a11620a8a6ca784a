#!/usr/bin/env bash
# Regenerates docs/html-report.png, the README's picture of the HTML report:
# the built plugin audits the demo manifests with -o html, and headless
# Chromium (hack/chromium.sh) opens the page, clicks the web -> db edge and
# takes the screenshot.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin/kubectl-netaudit -f test/e2e/testdata/demo.yaml -o html -q > "$tmp/demo.html"
NETAUDIT_SCREENSHOT_OF="$tmp/demo.html" NETAUDIT_SCREENSHOT_TO="$PWD/docs/html-report.png" \
  go test -count=1 -run '^TestHTMLScreenshot$' ./pkg/report
echo "wrote docs/html-report.png" >&2

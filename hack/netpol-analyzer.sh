#!/usr/bin/env bash
# Builds np-guard's netpol-analyzer (its `netpolicy` command) from the Go
# module proxy, at the version pinned in hack/tools/netpol-analyzer/go.mod,
# and prints the binary's path. `make bench` compares kubectl-netaudit with
# it. The binary is cached outside the clone, keyed by version, so only the
# first run on a machine pays for the build (~2 minutes on 2 cores).
#
# The checksum database does not list netpol-analyzer, so its sums come from
# the pinned go.sum alone (GONOSUMDB for github.com/np-guard).
#
# NETAUDIT_CACHE_DIR overrides the cache root (default: $XDG_CACHE_HOME or ~/.cache).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mod="$here/tools/netpol-analyzer"
version=$(awk '$1=="require" && $2=="github.com/np-guard/netpol-analyzer" {print $3; exit}
  $1=="github.com/np-guard/netpol-analyzer" {print $2; exit}' "$mod/go.mod")
go_version=$(go env GOVERSION)
cache_root=${NETAUDIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netaudit}
dir="$cache_root/tools/netpol-analyzer-${version}_${go_version}_$(go env GOOS)-$(go env GOARCH)"

if [[ -x "$dir/netpolicy" ]]; then
  echo "$dir/netpolicy"
  exit 0
fi

echo "building netpol-analyzer $version into $dir (first run only; ~2 min on 2 cores)" >&2
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
(
  cd "$mod"
  export CGO_ENABLED=0 GOFLAGS=-mod=readonly GONOSUMDB=github.com/np-guard
  go build -trimpath -o "$tmp/netpolicy" github.com/np-guard/netpol-analyzer/cmd/netpolicy
) >&2
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir/netpolicy"

#!/usr/bin/env bash
# Builds krew and its manifest validator with `go install` from the Go module
# proxy, at the pinned version, and prints the folder that holds them:
#
#   krew                     the krew CLI
#   kubectl-krew             a link to it, so kubectl finds it as `kubectl krew`
#   validate-krew-manifest   krew-index's manifest check
#
# The binaries are cached outside the clone, keyed by krew and Go version, so
# only the first run on a machine pays for the build (~1 minute on 2 cores).
#
# NETAUDIT_CACHE_DIR overrides the cache root (default: $XDG_CACHE_HOME or ~/.cache).
set -euo pipefail

krew_version=v0.4.3
go_version=$(go env GOVERSION)
cache_root=${NETAUDIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netaudit}
dir="$cache_root/tools/krew-${krew_version}_${go_version}_$(go env GOOS)-$(go env GOARCH)"

if [[ -x "$dir/krew" && -x "$dir/kubectl-krew" && -x "$dir/validate-krew-manifest" ]]; then
  echo "$dir"
  exit 0
fi

echo "building krew $krew_version and validate-krew-manifest into $dir (first run only)" >&2
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
(
  # Outside any module or workspace, so only krew's own go.mod decides.
  cd "$tmp"
  export CGO_ENABLED=0 GOBIN="$tmp" GOWORK=off
  go install -trimpath \
    "sigs.k8s.io/krew/cmd/krew@$krew_version" \
    "sigs.k8s.io/krew/cmd/validate-krew-manifest@$krew_version"
) >&2
ln -s krew "$tmp/kubectl-krew"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"

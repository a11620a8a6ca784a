#!/usr/bin/env bash
# Builds kube-apiserver and etcd for the e2e tests (envtest) from the Go module
# proxy, at the versions pinned in hack/tools/apiserver/go.mod, and prints the
# folder that holds them. The binaries are cached outside the clone, keyed by
# version, so only the first run on a machine pays for the build (~15 minutes
# on 2 cores); later runs print the folder at once.
#
#   KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/e2e/...
#
# NETAUDIT_CACHE_DIR overrides the cache root (default: $XDG_CACHE_HOME or ~/.cache).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mod="$here/tools/apiserver"
k8s_version=$(awk '$1=="k8s.io/kubernetes" {print $2; exit}' "$mod/go.mod")
etcd_version=$(awk '$1=="go.etcd.io/etcd/server/v3" {print $2; exit}' "$mod/go.mod")
go_version=$(go env GOVERSION)
cache_root=${NETAUDIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netaudit}
dir="$cache_root/envtest/kube-apiserver-${k8s_version}_etcd-${etcd_version}_${go_version}_$(go env GOOS)-$(go env GOARCH)"

if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then
  echo "$dir"
  exit 0
fi

echo "building kube-apiserver $k8s_version and etcd $etcd_version into $dir (first run only; ~15 min on 2 cores)" >&2
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
(
  cd "$mod"
  export CGO_ENABLED=0 GOFLAGS=-mod=readonly
  # Both at once: each one's single-threaded link runs while the other
  # compiles. No debug information: nothing debugs them, and linking it is
  # a good part of kube-apiserver's link time.
  go build -trimpath -ldflags='-s -w' -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver &
  apiserver=$!
  go build -trimpath -ldflags='-s -w' -o "$tmp/etcd" go.etcd.io/etcd/server/v3 &
  etcd=$!
  wait "$apiserver"
  wait "$etcd"
) >&2
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"

#!/usr/bin/env bash
# `make bench`: scale benchmarks of kubectl-netaudit, outside `make test`.
#
#  1. Go benchmarks (test/bench): decoding, engine build, full matrix and full
#     audit at 1k, 10k and 50k pods and on 10k bare pods, with ns/op,
#     allocations and peak heap; and decode throughput per input shape
#     (pkg/inventory BenchmarkDecodeShape: MB/s and MB per CPU second).
#  2. The built binary end to end (test/bench/cmd/benchrun): the audit from
#     YAML and JSON manifests at 1k/10k/50k/100k pods; the audit and the
#     matrix of 10k bare pods (each its own workload); the engine as pods
#     double under fixed workloads; one file per input shape (YAML documents,
#     a YAML List, a JSON stream, a JSON List) of the 100k-pod cluster and of
#     ConfigMaps alone, with peak memory; np-guard's netpol-analyzer `list` next to
#     ours on the same 5k-pod manifests, with their verdicts compared; a live
#     envtest API server holding 10k pods, then one holding 100k pods (the
#     objects written straight into its etcd: see BENCH_LIVE_LOAD), audited next to
#     `kubectl get namespaces,pods,networkpolicies -A -o json` on it; and
#     where each audit's time went (--timings: decode or fetch, build,
#     verdicts, checks, print).
#
# Expect about 35 minutes on 2 cores once kube-apiserver, etcd and
# netpol-analyzer are cached (hack/envtest-assets.sh, hack/netpol-analyzer.sh;
# the first run builds them), an estimate from its parts; much of it
# generates and writes the 100k-pod manifests.
# Results go to stdout and to $BENCH_OUT/bench-results.txt.
#
# Knobs (environment): BENCH_OUT (default: a temp folder), BENCH_SIZES
# (default 1000,10000,50000,100000), BENCH_BARE_PODS (default 10000; 0
# skips), BENCH_LIVE_PODS (default 10000,100000; a comma-separated list loads
# one server per size; 0 skips the live part), BENCH_LIVE_LOAD (etcd, the
# default: objects are written straight into envtest's etcd, about a minute
# per 50,000 objects; api: created through the API server, which takes about
# 20 minutes for 100,000 pods), BENCH_NP_PODS
# (default 5000; 0 skips netpol-analyzer), BENCH_SHAPE_PODS (default
# 100000; 0 skips the pods in one file per shape), BENCH_SHAPE_CONFIGMAPS
# (default 10000,100000; empty skips), BENCH_RUNS (default 3),
# BENCH_GO=0 skips the Go benchmarks.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/netaudit-bench.XXXXXX")}
mkdir -p "$out"
sizes=${BENCH_SIZES:-1000,10000,50000,100000}
bare_pods=${BENCH_BARE_PODS:-10000}
live_pods=${BENCH_LIVE_PODS:-10000,100000}
live_load=${BENCH_LIVE_LOAD:-etcd}
np_pods=${BENCH_NP_PODS:-5000}
runs=${BENCH_RUNS:-3}
shape_pods=${BENCH_SHAPE_PODS:-100000}
shape_cms=${BENCH_SHAPE_CONFIGMAPS-10000,100000}
results="$out/bench-results.txt"

echo "bench: results in $results" >&2
: >"$results"

if [[ "${BENCH_GO:-1}" != 0 ]]; then
  echo "bench: Go benchmarks (go test -run '^$' -bench . ./test/bench/)" >&2
  go_sizes=""
  [[ ",$sizes," == *",50000,"* ]] || go_sizes=small
  BENCH_SIZES=$go_sizes go test -run '^$' -bench . -benchtime 3x -timeout 30m ./test/bench/ | tee -a "$results"
  echo "bench: decode throughput per input shape (go test -run '^$' -bench DecodeShape ./pkg/inventory/)" >&2
  go test -run '^$' -bench DecodeShape -benchtime 3x ./pkg/inventory/ | tee -a "$results"
fi

echo "bench: building bin/kubectl-netaudit and the harness" >&2
make -s build
go build -o "$out/benchrun" ./test/bench/cmd/benchrun

args=(-bin "$root/bin/kubectl-netaudit" -sizes "$sizes" -bare-pods "$bare_pods" -runs "$runs" -live-pods "$live_pods" -live-load "$live_load" -np-pods "$np_pods" -shape-pods "$shape_pods" -shape-configmaps "$shape_cms" -workdir "$out/work")
if [[ "$np_pods" != 0 ]]; then
  args+=(-netpolicy "$(hack/netpol-analyzer.sh)")
fi
if [[ "$live_pods" != 0 && -n "$live_pods" ]]; then
  KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh)
  export KUBEBUILDER_ASSETS
  command -v kubectl >/dev/null || { echo "bench: kubectl is not on PATH; it is the live fetch baseline (or BENCH_LIVE_PODS=0)" >&2; exit 1; }
fi
"$out/benchrun" "${args[@]}" | tee -a "$results"
rm -rf "$out/work"
echo "bench: results in $results" >&2

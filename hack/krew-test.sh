#!/usr/bin/env bash
# Tests installing kubectl-netaudit with krew, offline (`make krew`, part of
# `make test`):
#
#   1. builds the release archive for this machine's platform only
#      (PLATFORMS=host hack/dist.sh, with VERSION from make, compressed with
#      gzip -1 instead of the release's -9: 5 s less) into a temp folder,
#      and the manifest for it from plugins/krew.yaml
#      (hack/krew-manifest.sh -k: the other platforms keep their entries, with
#      the uri their archive would have);
#   2. checks that manifest and the committed plugins/krew.yaml with krew-index's
#      validate-krew-manifest (-skip-install: its install step downloads the
#      uri; step 5 installs from the local archive instead);
#   3. checks that plugins/krew.yaml is the generated manifest apart from the
#      version and the sha256 sums, which change with every build;
#   4. checks that the manifest has exactly the release platforms, and that
#      each platform's bin and files are what hack/dist.sh packs for its OS
#      (so every platform's entry is checked without cross-compiling it);
#   5. runs `kubectl krew install --manifest --archive` for every archive built
#      (KREW_OS/KREW_ARCH, as validate-krew-manifest does) into a temp
#      KREW_ROOT, and checks the linked bin, LICENSE and completion helper;
#   6. installs the archive for this machine's platform, runs
#      `kubectl netaudit --version` through kubectl's plugin discovery and
#      expects the built version, and runs the installed completion helper.
#      (`kubectl krew list` and `uninstall` want a cloned plugin index, which
#      needs the network, so they are not run.)
#
#   hack/krew-test.sh [DIST_DIR]
#
# With DIST_DIR (e.g. dist after `make dist VERSION=vX.Y.Z`; `make dist-check`)
# the archives there are tested instead of a fresh host one: all six platforms
# must be there, each is installed with krew (step 5), and if their version is
# plugins/krew.yaml's spec.version, the committed manifest must match them byte
# for byte: the release check before uploading.
#
# krew never touches the network here: --manifest skips the plugin index, and
# --archive replaces the download (its sha256 is still checked). The upgrade
# check is off for `go install`ed krew builds anyway; KREW_NO_UPGRADE_CHECK=1
# makes sure of it. krew and the validator are built once by hack/krew-tools.sh.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
start=$SECONDS
passed=0

ok() {
  passed=$((passed + 1))
  echo "krew: ok   $*"
}
fail() {
  echo "krew: FAIL $*" >&2
  exit 1
}
# run LOG CMD...: runs CMD with output in LOG, and shows LOG if CMD fails.
run() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1 </dev/null; then
    sed 's/^/    /' "$log" >&2
    return 1
  fi
}

command -v kubectl >/dev/null ||
  fail "kubectl is not on PATH; the test installs the plugin with kubectl krew and runs it through kubectl"
tools=$("$here/krew-tools.sh")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KREW_NO_UPGRADE_CHECK=1

# 1. archives and the manifest for them
if [[ $# -gt 0 ]]; then
  dist=$(cd "$1" && pwd)
  given_dist=1
else
  dist=$tmp/dist
  given_dist=
  echo "krew: building the release archive for this platform into a temp folder (PLATFORMS=host DIST_GZIP_LEVEL=1 hack/dist.sh)"
  run "$tmp/dist.log" env DIST_DIR="$dist" PLATFORMS=host DIST_GZIP_LEVEL=1 "$here/dist.sh" || fail "hack/dist.sh failed"
  sed 's/^/    /' "$tmp/dist.log"
fi
[[ -f $dist/sha256sums.txt ]] || fail "$dist/sha256sums.txt not found; run 'make dist'"
mkdir -p "$tmp/generated" "$tmp/committed"
generated=$tmp/generated/netaudit.yaml
committed=$tmp/committed/netaudit.yaml
keep=(-k)
[[ -z $given_dist ]] || keep=()
run "$tmp/manifest.log" "$here/krew-manifest.sh" "${keep[@]}" -d "$dist" -o "$generated" "$root/plugins/krew.yaml" ||
  fail "hack/krew-manifest.sh cannot write a manifest for $dist from plugins/krew.yaml"
# validate-krew-manifest wants the file named after the plugin, as in krew-index.
cp "$root/plugins/krew.yaml" "$committed"
version=$(awk '/^  version:/ {print $2}' "$generated")
committed_version=$(awk '/^  version:/ {print $2}' "$committed")
ok "hack/krew-manifest.sh wrote the manifest for $dist ($version)"

# 2. krew-index's validator
run "$tmp/validate-generated.log" "$tools/validate-krew-manifest" -manifest "$generated" -skip-install ||
  fail "validate-krew-manifest rejects the manifest generated for the archives"
ok "validate-krew-manifest accepts the generated manifest"
run "$tmp/validate-committed.log" "$tools/validate-krew-manifest" -manifest "$committed" -skip-install ||
  fail "validate-krew-manifest rejects plugins/krew.yaml"
ok "validate-krew-manifest accepts plugins/krew.yaml ($committed_version)"

# 3. the committed manifest has not drifted from what the scripts produce
normalize() { # FILE VERSION
  sed -e "s|${2//./\\.}|VERSION|g" -e 's|^\( *sha256:\) [0-9a-f]\{64\}$|\1 SHA256|' "$1"
}
if ! diff -u <(normalize "$committed" "$committed_version") <(normalize "$generated" "$version") >"$tmp/drift.diff"; then
  sed 's/^/    /' "$tmp/drift.diff" >&2
  fail "plugins/krew.yaml differs from the generated manifest in more than version and sha256 (- committed, + generated); run 'make dist krew-manifest'"
fi
ok "plugins/krew.yaml matches the generated manifest apart from version and sha256"
if [[ -n $given_dist && $version == "$committed_version" ]]; then
  cmp -s "$committed" "$generated" ||
    fail "plugins/krew.yaml is for $committed_version but its sha256 sums are not those of $dist; run 'make krew-manifest'"
  ok "plugins/krew.yaml is exactly the manifest for $dist"
fi

# 4. every release platform is in the manifest, naming the files its archive holds
# One "os/arch bin from..." line per platform entry.
entries=$(awk '
function value(s) { sub(/^[^:]*:[ \t]*/, "", s); gsub(/["\047]/, "", s); sub(/[ \t\r]+$/, "", s); return s }
function flush() { if (n) print os "/" arch, bin, from; os = arch = bin = from = ""; n = 0 }
/^  platforms:/ { in_p = 1; next }
in_p && /^  - / { flush(); n = 1 }
in_p && /^[^ ]/ { in_p = 0 }
in_p && /^ +os:/ { os = value($0) }
in_p && /^ +arch:/ { arch = value($0) }
in_p && /^ +bin:/ { bin = value($0) }
in_p && /^ +- from:/ { from = from " " value($0) }
END { flush() }
' "$generated" | sort)
want_platforms=$("$here/dist.sh" --platforms | sort)
[[ $(cut -d' ' -f1 <<<"$entries") == "$want_platforms" ]] ||
  fail "the manifest's platforms are $(cut -d' ' -f1 <<<"$entries" | tr '\n' ' ')but hack/dist.sh builds $(tr '\n' ' ' <<<"$want_platforms")"
while read -r platform bin from; do
  mapfile -t files < <("$here/dist.sh" --files "${platform%/*}")
  [[ $bin == "${files[0]}" ]] || fail "$platform: the manifest's bin is $bin, the archive's binary is ${files[0]}"
  # shellcheck disable=SC2086 # one word per file
  got=$(printf '%s\n' $from | sort | tr '\n' ' ')
  want=$(printf '%s\n' "${files[@]}" | sort | tr '\n' ' ')
  [[ $got == "$want" ]] || fail "$platform: the manifest installs files ${got}but the archive holds ${want}"
done <<<"$entries"
ok "the manifest has the $(wc -l <<<"$entries") release platforms, each naming its archive's binary and files"

# 5. every archive built installs with krew
if [[ -n $given_dist ]]; then
  got=$(awk '{print $2}' "$dist/sha256sums.txt" | sed -E 's/^kubectl-netaudit_[^_]+_([a-z0-9]+)_([a-z0-9]+)\..*/\1\/\2/' | sort)
  [[ $got == "$want_platforms" ]] ||
    fail "$dist has archives for $(tr '\n' ' ' <<<"$got")but a release needs $(tr '\n' ' ' <<<"$want_platforms")"
fi
name_re='^kubectl-netaudit_(v[^_]+)_([a-z0-9]+)_([a-z0-9]+)\.(tar\.gz|zip)$'
host_os=$(go env GOOS) host_arch=$(go env GOARCH)
host_archive=
while read -r _ name; do
  [[ $name =~ $name_re ]] || fail "unexpected archive name $name"
  os=${BASH_REMATCH[2]} arch=${BASH_REMATCH[3]}
  if [[ $os == "$host_os" && $arch == "$host_arch" ]]; then
    host_archive=$dist/$name
  fi
  kr=$tmp/krew-$os-$arch
  run "$tmp/install-$os-$arch.log" env KREW_ROOT="$kr" KREW_OS="$os" KREW_ARCH="$arch" PATH="$kr/bin:$tools:$PATH" \
    kubectl krew install --manifest="$generated" --archive="$dist/$name" ||
    fail "$os/$arch: kubectl krew install --archive=$name failed"
  store=$kr/store/netaudit/$version
  bin=kubectl-netaudit
  [[ $os != windows ]] || bin=kubectl-netaudit.exe
  [[ -L $kr/bin/$bin && -x $kr/bin/$bin ]] || fail "$os/$arch: krew did not link $bin into \$KREW_ROOT/bin"
  [[ -f $store/LICENSE ]] || fail "$os/$arch: no LICENSE in $store"
  if [[ $os != windows ]]; then
    [[ -x $store/kubectl_complete-netaudit ]] || fail "$os/$arch: no kubectl_complete-netaudit in $store"
  fi
  ok "$os/$arch: krew installs $name"
done <"$dist/sha256sums.txt"

# 6. the plugin for this machine, through kubectl
[[ -n $host_archive ]] || fail "no archive for $host_os/$host_arch in $dist"
kr=$tmp/krew
export KREW_ROOT=$kr PATH="$kr/bin:$tools:$PATH"
run "$tmp/install.log" kubectl krew install --manifest="$generated" --archive="$host_archive" ||
  fail "kubectl krew install --archive=$(basename "$host_archive") failed"
[[ $(command -v kubectl-netaudit) == "$kr/bin/kubectl-netaudit" ]] ||
  fail "kubectl-netaudit on PATH is $(command -v kubectl-netaudit), not krew's"
got=$(kubectl netaudit --version 2>&1) || fail "kubectl netaudit --version failed: $got"
[[ $got == "kubectl-netaudit $version" ]] ||
  fail "kubectl netaudit --version printed \"$got\", want \"kubectl-netaudit $version\""
ok "kubectl netaudit --version after krew install: $got"
# What `kubectl krew list` and `upgrade` read (list itself wants a plugin index).
grep -q "^  version: $version\$" "$kr/receipts/netaudit.yaml" 2>/dev/null ||
  fail "no receipt for netaudit $version in \$KREW_ROOT/receipts"
ok "krew keeps a receipt for netaudit $version"
# The helper kubectl runs to complete `kubectl netaudit <TAB>`; cobra ends its
# answer with a ":<directive>" line.
helper=$kr/store/netaudit/$version/kubectl_complete-netaudit
"$helper" "" >"$tmp/complete.out" 2>"$tmp/complete.err" </dev/null ||
  fail "the installed kubectl_complete-netaudit failed: $(cat "$tmp/complete.err")"
[[ $(tail -n 1 "$tmp/complete.out") == :* ]] ||
  fail "the installed kubectl_complete-netaudit did not answer like cobra's __complete: $(cat "$tmp/complete.out")"
ok "the installed kubectl_complete-netaudit completes through kubectl netaudit __complete"

echo "krew: all $passed checks passed in $((SECONDS - start))s"

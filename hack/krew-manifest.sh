#!/usr/bin/env bash
# Writes a krew manifest for the archives in a dist folder: a copy of MANIFEST
# (default plugins/krew.yaml) with spec.version and each platform's uri and
# sha256 taken from DIST_DIR (default dist/, as `make dist` leaves it). Every
# other line is kept as it is, so the description, caveats, bin and files are
# edited by hand in plugins/krew.yaml and only these three fields are generated.
#
#   hack/krew-manifest.sh [-k] [-d DIST_DIR] [-o OUT] [MANIFEST]
#
# OUT defaults to MANIFEST (rewritten in place: `make krew-manifest`).
# `make dist` runs this to write dist/netaudit.yaml.
#
# It fails when a platform in the manifest has no archive in DIST_DIR, when an
# archive has no platform in the manifest, when the archives disagree on the
# version, or when sha256sums.txt does not match the archives.
#
# -k (keep) is for a DIST_DIR with only some platforms' archives (the install
# test builds the host's only): a platform with no archive gets the uri its
# archive would have (the same naming rule) and keeps MANIFEST's sha256, so
# the manifest still has every platform to validate. Never for a release.
#
# Releasing vX.Y.Z: tag it, `make dist krew-manifest` on the tag, upload
# dist/kubectl-netaudit_* and dist/sha256sums.txt to the GitHub release vX.Y.Z,
# commit plugins/krew.yaml, and offer it to krew-index as plugins/netaudit.yaml.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
release_base=https://github.com/kubectl-netaudit/kubectl-netaudit/releases/download

usage() {
  echo "usage: $0 [-k] [-d DIST_DIR] [-o OUT] [MANIFEST]" >&2
  exit 2
}

dist=$root/dist
out=
keep=0
while getopts 'kd:o:h' opt; do
  case $opt in
    k) keep=1 ;;
    d) dist=$OPTARG ;;
    o) out=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -le 1 ]] || usage
manifest=${1:-$root/plugins/krew.yaml}
out=${out:-$manifest}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

sums=$dist/sha256sums.txt
if [[ ! -f $sums ]]; then
  echo "krew-manifest: $sums not found; run 'make dist' first" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One "os arch uri sha256" line per archive, checked against the files.
version=
name_re='^kubectl-netaudit_(v[^_]+)_([a-z0-9]+)_([a-z0-9]+)\.(tar\.gz|zip)$'
while read -r sum name; do
  name=${name#\*}
  if [[ ! $name =~ $name_re ]]; then
    echo "krew-manifest: $sums: unexpected archive name $name" >&2
    exit 1
  fi
  v=${BASH_REMATCH[1]} os=${BASH_REMATCH[2]} arch=${BASH_REMATCH[3]}
  if [[ -n $version && $v != "$version" ]]; then
    echo "krew-manifest: $dist holds archives of two versions: $version and $v" >&2
    exit 1
  fi
  version=$v
  actual=$(sha256 "$dist/$name" | cut -d' ' -f1)
  if [[ $actual != "$sum" ]]; then
    echo "krew-manifest: $name: sha256 is $actual, $sums says $sum" >&2
    exit 1
  fi
  echo "$os $arch $release_base/$version/$name $sum" >>"$work/platforms"
done <"$sums"
if [[ -z $version ]]; then
  echo "krew-manifest: $sums lists no archives" >&2
  exit 1
fi

# The manifest's layout is the one plugins/krew.yaml has: spec.version at two
# spaces, and in each platform the selector (os, arch) before uri and sha256.
awk -v version="$version" -v file="$manifest" -v quote="'" -v keep="$keep" -v base="$release_base" '
function fail(msg) { print "krew-manifest: " file ":" FNR ": " msg > "/dev/stderr"; failed = 1; exit 1 }
function value(s) { sub(/^[^:]*:[ \t]*/, "", s); gsub(/"/, "", s); gsub(quote, "", s); sub(/[ \t\r]+$/, "", s); return s }
function indent(s) { match(s, /^ */); return substr(s, 1, RLENGTH) }
NR == FNR { uri[$1 "/" $2] = $3; sum[$1 "/" $2] = $4; next }
/^  version:/ { print "  version: " version; versions++; next }
/^  platforms:/ { inplatforms = 1 }
inplatforms && /^  - / { os = ""; arch = "" }
inplatforms && /^ +os:/ { os = value($0) }
inplatforms && /^ +arch:/ { arch = value($0) }
inplatforms && /^ +uri:/ {
  k = os "/" arch
  if (os == "" || arch == "") fail("uri before the platform selector'"'"'s os and arch")
  if (!(k in uri) && keep) {
    print indent($0) "uri: " base "/" version "/kubectl-netaudit_" version "_" os "_" arch ".tar.gz"; next
  }
  if (!(k in uri)) fail("no archive for " k " in the dist folder")
  print indent($0) "uri: " uri[k]; uris[k]++; next
}
inplatforms && /^ +sha256:/ {
  k = os "/" arch
  if (!(k in sum) && keep) { print; next }
  if (!(k in sum)) fail("no archive for " k " in the dist folder")
  print indent($0) "sha256: " sum[k]; sums[k]++; next
}
{ print }
END {
  if (failed) exit 1
  if (versions != 1) { print "krew-manifest: " file ": want one spec.version line at two spaces, found " versions + 0 > "/dev/stderr"; exit 1 }
  for (k in uri) {
    if (uris[k] != 1 || sums[k] != 1) {
      print "krew-manifest: " file ": want one platform with uri and sha256 for " k ", found " uris[k] + 0 " uri and " sums[k] + 0 " sha256" > "/dev/stderr"
      exit 1
    }
  }
}
' "$work/platforms" "$manifest" >"$work/manifest"

mkdir -p "$(dirname "$out")"
cp "$work/manifest" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "krew-manifest: wrote $out for $version" >&2

#!/usr/bin/env bash
# Builds the release archives, one per platform, into dist/ (or $DIST_DIR):
#
#   kubectl-netaudit_<version>_<os>_<arch>.tar.gz   linux, darwin, windows on amd64 and arm64
#   sha256sums.txt                                  sha256sum --check format
#   netaudit.yaml                                   plugins/krew.yaml with this version's uri and sha256
#
# Each archive holds the binary (kubectl-netaudit, or kubectl-netaudit.exe on
# windows), LICENSE, and on linux and darwin the kubectl_complete-netaudit
# helper. The helper is a POSIX sh script: Windows cannot run it, and kubectl
# on Windows looks for an executable with a PATHEXT extension, so it is left
# out there.
#
# All archives are tar.gz, the windows ones too: krew reads tar.gz on every
# platform, Windows 10 and later ship tar, and one format keeps the bytes
# reproducible with one set of tools.
#
# The version: VERSION (make passes `git describe --tags --always --dirty`, else
# "dev"). krew needs a semantic version with a leading v, and the release
# download URL contains it, so a VERSION that is a vX.Y.Z[-pre][+build] tag is
# used as it is; anything else becomes v0.0.0-<VERSION>, with characters
# semver does not allow turned into '-' (0a337ea-dirty -> v0.0.0-0a337ea-dirty,
# dev -> v0.0.0-dev). That one version is stamped into the binaries, named in
# the archives and written into netaudit.yaml, so `kubectl netaudit --version`,
# `kubectl krew list` and the file names agree.
#
# Reproducible: the same tree, Go toolchain and VERSION give byte-identical
# archives (CGO_ENABLED=0, -trimpath, -buildvcs=false, default GOAMD64/GOARM64;
# tar entries sorted, owned by 0:0, with fixed modes and mtime; gzip -n). The
# mtime is $SOURCE_DATE_EPOCH, else the HEAD commit's time.
#
# Needs GNU tar (gtar on macOS), gzip and sha256sum or shasum.
#
# DIST_GZIP_LEVEL (1-9, default 9: the release's level) trades archive size
# for time. The install test (`make krew`) builds at 1: gzip -9 of the binary
# takes about 5 s of a `make test`, gzip -1 under 1 s, and krew reads both
# alike. Its archive is never compared with a released one; `make dist` and
# `make dist-check` use the default.
#
# PLATFORMS (space-separated os/arch, or "host" for `go env GOOS`/`GOARCH`)
# builds only those archives; the install test (`make krew`) builds the host's
# only, the release (`make dist`, then `make dist-check`) all six.
#
#   hack/dist.sh --files OS   prints the files an OS's archive holds, the
#                             binary first (what the krew manifest must name)
#   hack/dist.sh --platforms  prints the release platforms, one os/arch a line
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
module=github.com/kubectl-netaudit/kubectl-netaudit
all_platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)

# archive_files OS prints the binary's name, then the other files of the
# archive for OS, one a line.
archive_files() {
  if [[ $1 == windows ]]; then
    printf '%s\n' kubectl-netaudit.exe LICENSE
  else
    printf '%s\n' kubectl-netaudit LICENSE kubectl_complete-netaudit
  fi
}

if [[ ${1:-} == --platforms ]]; then
  printf '%s\n' "${all_platforms[@]}"
  exit 0
fi
if [[ ${1:-} == --files ]]; then
  [[ $# -eq 2 ]] || { echo "usage: $0 --files OS" >&2; exit 2; }
  archive_files "$2"
  exit 0
fi

platforms=("${all_platforms[@]}")
case ${PLATFORMS:-} in
  '') ;;
  host) platforms=("$(go env GOOS)/$(go env GOARCH)") ;;
  *)
    read -r -a platforms <<<"$PLATFORMS"
    for p in "${platforms[@]}"; do
      [[ " ${all_platforms[*]} " == *" $p "* ]] ||
        { echo "dist: PLATFORMS names $p; the release platforms are ${all_platforms[*]}" >&2; exit 2; }
    done
    ;;
esac

out=${DIST_DIR:-$root/dist}
version=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}

# release_version prints $1 if it is a semantic version with a leading v, else
# v0.0.0-<$1 made into one semver pre-release identifier>.
release_version() {
  local num='(0|[1-9][0-9]*)' id='(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)'
  local semver="^v$num\\.$num\\.$num(-$id(\\.$id)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?\$"
  if [[ $1 =~ $semver ]]; then
    echo "$1"
    return
  fi
  local pre
  pre=$(printf '%s' "$1" | tr -c '0-9A-Za-z-' '-')
  [[ -n $pre ]] || pre=dev
  # An all-digit identifier must not start with 0; prefix it the way git
  # describe prefixes abbreviated hashes.
  [[ ! $pre =~ ^0[0-9]*$ ]] || pre="g$pre"
  echo "v0.0.0-$pre"
}

find_tar() {
  local t
  for t in gtar tar; do
    if command -v "$t" >/dev/null && "$t" --version 2>/dev/null | grep -q 'GNU tar'; then
      echo "$t"
      return
    fi
  done
  echo "dist: GNU tar is needed (for --sort=name, --mtime, --owner); on macOS: brew install gnu-tar" >&2
  return 1
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

tar=$(find_tar)
gzip_level=${DIST_GZIP_LEVEL:-9}
if [[ ! $gzip_level =~ ^[1-9]$ ]]; then
  echo "dist: DIST_GZIP_LEVEL must be 1 to 9, not '$gzip_level'" >&2
  exit 2
fi
release=$(release_version "$version")
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out"

echo "dist: version $release (VERSION=$version), mtime @$epoch, $(go env GOVERSION)" >&2
for platform in "${platforms[@]}"; do
  os=${platform%/*} arch=${platform#*/}
  stage="$work/$os-$arch"
  mkdir -p "$stage"
  mapfile -t files < <(archive_files "$os")
  exe=${files[0]}
  # In C order: --sort=name sorts folder contents, not the names given.
  mapfile -t files < <(printf '%s\n' "${files[@]}" | sort)

  (
    cd "$root"
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOAMD64=v1 GOARM64=v8.0 \
      go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X $module/pkg/version.Version=$release" \
      -o "$stage/$exe" ./cmd/kubectl-netaudit
  )
  cp "$root/LICENSE" "$stage/LICENSE"
  chmod 0644 "$stage/LICENSE"
  chmod 0755 "$stage/$exe"
  if [[ $os != windows ]]; then
    cp "$root/hack/kubectl_complete-netaudit" "$stage/kubectl_complete-netaudit"
    chmod 0755 "$stage/kubectl_complete-netaudit"
  fi

  archive="kubectl-netaudit_${release}_${os}_${arch}.tar.gz"
  "$tar" --create --file=- --directory="$stage" --format=ustar --sort=name \
    --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -- "${files[@]}" |
    gzip "-$gzip_level" -n >"$work/out/$archive"
  echo "dist: built $archive" >&2
done

(cd "$work/out" && sha256 kubectl-netaudit_*) >"$work/out/sha256sums.txt"
if [[ ${#platforms[@]} -eq ${#all_platforms[@]} ]]; then
  "$here/krew-manifest.sh" -d "$work/out" -o "$work/out/netaudit.yaml" "$root/plugins/krew.yaml"
else
  # Not a release: the platforms not built keep plugins/krew.yaml's sha256.
  echo "dist: only ${platforms[*]}; netaudit.yaml has the other platforms' sha256 from plugins/krew.yaml" >&2
  "$here/krew-manifest.sh" -k -d "$work/out" -o "$work/out/netaudit.yaml" "$root/plugins/krew.yaml"
fi

# Replace only what this script writes, so a DIST_DIR holding other files
# keeps them and archives of an older version do not linger.
mkdir -p "$out"
rm -f "$out"/kubectl-netaudit_* "$out/sha256sums.txt" "$out/netaudit.yaml"
mv "$work/out"/* "$out/"

cd "$out"
for f in kubectl-netaudit_* sha256sums.txt netaudit.yaml; do
  printf '%-60s %9d bytes\n' "$f" "$(wc -c <"$f")"
done
echo "dist: $release in $out"

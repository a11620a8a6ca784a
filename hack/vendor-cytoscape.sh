#!/usr/bin/env bash
# Vendors the graph library of the HTML report (-o html) into
# pkg/report/web/vendor: cytoscape.js and its fcose layout with the two
# packages fcose needs, at the versions pinned below, from the npm registry.
# `npm pack` checks each tarball against the registry's integrity hash; the
# hashes are also recorded in pkg/report/web/vendor/VERSIONS so a review sees
# any change. All four packages are MIT licensed; their licence files are
# copied beside them, and the report embeds them as comments.
#
# To update: change a version below, run hack/vendor-cytoscape.sh, open a
# report (go test ./pkg/report -run Browser), and commit the folder.
set -euo pipefail

packages=(
  cytoscape@3.35.0:dist/cytoscape.min.js
  layout-base@2.0.1:layout-base.js
  cose-base@2.2.0:cose-base.js
  cytoscape-fcose@2.2.0:cytoscape-fcose.js
)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/../pkg/report/web/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/*
{
  echo "# Vendored by hack/vendor-cytoscape.sh from the npm registry; do not edit."
  echo "# package@version file sha512-integrity"
} > "$out/VERSIONS"
for p in "${packages[@]}"; do
  spec=${p%%:*} file=${p#*:}
  name=${spec%@*}
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$tmp/$name"
  tar -xzf "$tmp/${name}-${spec#*@}.tgz" -C "$tmp/$name"
  cp "$tmp/$name/package/$file" "$out/$name.js"
  cp "$tmp/$name/package/LICENSE" "$out/$name.LICENSE"
  # The script is inlined in <script>: it must not close the element.
  if grep -qi '</script' "$out/$name.js"; then
    echo "$name.js contains </script: it cannot be inlined" >&2
    exit 1
  fi
  echo "$spec $name.js $(npm view "$spec" dist.integrity)" >> "$out/VERSIONS"
done
ls -l "$out" >&2

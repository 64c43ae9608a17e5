#!/usr/bin/env bash
# Fetches a pinned axe-core from the npm registry (npm pack) into
# e2e/testdata, with its license. Only the end-to-end tests load it (they
# inject it into the page); the app never embeds or serves it.
set -euo pipefail
axe=${1:?axe-core version}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "axe-core@$axe" >/dev/null
tar xzf "axe-core-$axe.tgz"
out="$root/e2e/testdata"
mkdir -p "$out"
cp package/axe.min.js "$out/axe-core-$axe.min.js"
cp package/LICENSE "$out/axe-core-$axe.LICENSE"
echo "vendored axe-core $axe into $out"

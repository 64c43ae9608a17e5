#!/usr/bin/env bash
# Fetches pinned htmx and htmx-ext-sse from the npm registry (npm pack) and
# copies the minified files and their licenses into assets/static/vendor.
set -euo pipefail
htmx=${1:?htmx version}
sse=${2:?sse extension version}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "htmx.org@$htmx" "htmx-ext-sse@$sse" >/dev/null
mkdir h s
tar xzf "htmx.org-$htmx.tgz" -C h
tar xzf "htmx-ext-sse-$sse.tgz" -C s
out="$root/assets/static/vendor"
mkdir -p "$out"
cp h/package/dist/htmx.min.js "$out/htmx-$htmx.min.js"
cp h/package/LICENSE "$out/htmx-$htmx.LICENSE"
cp s/package/dist/sse.min.js "$out/htmx-ext-sse-$sse.min.js"
cp s/package/LICENSE "$out/htmx-ext-sse-$sse.LICENSE"
echo "vendored htmx $htmx and htmx-ext-sse $sse into $out"

#!/usr/bin/env bash
# Regenerates the templ views and fails when the committed *_templ.go differ.
set -euo pipefail
cd "$(dirname "$0")/.."
go tool templ generate >/dev/null
stale=$(git status --porcelain -- '*_templ.go')
if [ -n "$stale" ]; then
  echo "$stale"
  echo "generated *_templ.go files are stale: run 'go tool task generate' and commit them" >&2
  exit 1
fi
echo "generated templ code is fresh"

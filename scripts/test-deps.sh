#!/usr/bin/env bash
# Makes sure the programs the tests start are present: memcached (sessions),
# Chromium and a CJK font (end-to-end tests), chattr (e2fsprogs: readiness
# tests make the trains database read-only under a running app), PostgreSQL 15
# (the trains contract tests run every store test on it too) and HAProxy
# (the load balancer of the multi-instance setup). On Debian as root it installs
# the missing ones; elsewhere it names them and fails.
set -euo pipefail
missing=()
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chattr >/dev/null 2>&1 || missing+=(e2fsprogs)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then missing+=(fonts-noto-cjk); fi
[ ${#missing[@]} -eq 0 ] && { echo "test deps: all present"; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
  exit 0
fi
echo "test deps missing: ${missing[*]} — install these packages (Debian: apt-get install ${missing[*]}) and rerun" >&2
exit 1

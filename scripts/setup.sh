#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on a fresh Debian machine.
# Idempotent: packages already present are skipped quickly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=/opt/swift/usr/bin:$PATH
command -v swift >/dev/null || { echo "setup: Swift toolchain not found (expected /opt/swift)" >&2; exit 1; }
mapfile -t pkgs < <(grep -v '^\s*#' "$here/apt-packages.txt" | grep -v '^\s*$')
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq || echo "setup: apt-get update reported errors (a mirror may be syncing); installing from the lists we have" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for hook in "$here"/setup.d/*.sh; do
    [ -e "$hook" ] && bash "$hook"
done
echo "setup: ok"

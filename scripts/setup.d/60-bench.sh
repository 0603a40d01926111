#!/usr/bin/env bash
# Benchmark tools (bench/): Kea's perfdhcp (package kea-admin) and a C compiler for the malloc
# counting shim. Kept out of scripts/apt-packages.txt so only machines that run bench/ pay for it;
# CI runs it because Tests/ci.d/70-bench-smoke.sh smoke-tests the benchmarks. Idempotent.
set -euo pipefail
missing=()
for p in kea-admin gcc libc6-dev tcpdump iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.d/60-bench: installing ${missing[*]}"
    apt-get update -qq || echo "setup.d/60-bench: apt-get update reported errors (mirror sync?), installing anyway" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v perfdhcp >/dev/null || [ -x /usr/sbin/perfdhcp ] || { echo "setup.d/60-bench: perfdhcp missing" >&2; exit 1; }

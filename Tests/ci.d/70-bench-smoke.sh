#!/usr/bin/env bash
# Smoke test of the benchmark programs in bench/: a short run of each against the release build.
# It only proves that they work — it fails if a benchmark crashes or measures nothing (zero
# completed DHCP exchanges, no lease, no mesh packets counted, no memory figures) — and never
# judges speed. Needs root (namespaces) and perfdhcp (scripts/setup.d/60-bench.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:/usr/sbin:/sbin:$PATH
command -v perfdhcp >/dev/null || bash scripts/setup.d/60-bench.sh
timeout 600 bash bench/run-all.sh --quick --check

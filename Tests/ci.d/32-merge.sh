#!/usr/bin/env bash
# Merge by lease count, lease handoff and static leases with real clients in namespaces
# (Tests/integration/merge.sh, root only, about 20 s). With DDHCPD_C=<path of a C ddhcpd> its
# second phase runs against the real C daemon, else against our daemon in --test-c-wire mode.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export PATH=/opt/swift/usr/bin:$PATH
if [ "$(id -u)" -ne 0 ]; then
    echo "32-merge: needs root (network namespaces)" >&2
    exit 1
fi
swift build 2>&1 | tail -n 1
timeout --kill-after=10 120 bash Tests/integration/merge.sh

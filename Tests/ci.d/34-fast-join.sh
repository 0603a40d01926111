#!/usr/bin/env bash
# Fast join and restart survival (docs/fast-join.md) in network namespaces with real udhcpc
# clients (root only): join within 2 s, kill -9 + respawn with the state image, images that do not
# fit (corrupt, truncated, another pool or block size), a reboot without image, only C peers
# (DDHCPD_C=<C ddhcpd>, else our daemon with --test-c-wire), a 1,024-block table in pages.
# About 85 s; bounded to 150 s, cleans up after itself (Tests/integration/lib.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export PATH=/opt/swift/usr/bin:$PATH
if [ "$(id -u)" -ne 0 ]; then
    echo "34-fast-join: needs root (network namespaces)" >&2
    exit 1
fi
swift build 2>&1 | tail -n 1
timeout --kill-after=10 150 bash Tests/integration/fast-join.sh

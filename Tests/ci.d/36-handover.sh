#!/usr/bin/env bash
# Block handover and reserved blocks with real udhcpc clients in namespaces
# (Tests/integration/handover.sh, root only): a roamed client's block moves to its new node
# and no block is ever OURS at two nodes; a wholly reserved block is never claimed. About 15 s.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export PATH=/opt/swift/usr/bin:$PATH
if [ "$(id -u)" -ne 0 ]; then
    echo "36-handover: needs root (network namespaces)" >&2
    exit 1
fi
swift build 2>&1 | tail -n 1
timeout --kill-after=10 90 bash Tests/integration/handover.sh

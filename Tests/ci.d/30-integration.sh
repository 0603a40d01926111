#!/usr/bin/env bash
# Namespace integration tests of the daemon (root only): CLI and start-up, control socket,
# a 3-node mesh with real DHCP clients, restart. Each suite is bounded and cleans up after
# itself (trap EXIT in Tests/integration/lib.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
if [ "$(id -u)" -ne 0 ]; then
    echo "30-integration: needs root (network namespaces)" >&2
    exit 1
fi
swift build 2>&1 | tail -n 1
failed=0
for suite in cli control mesh restart; do
    start=$(date +%s)
    if timeout --kill-after=10 150 bash "Tests/integration/$suite.sh"; then
        echo "--- $suite: ok ($(( $(date +%s) - start )) s)"
    else
        echo "--- $suite: FAILED ($(( $(date +%s) - start )) s)"
        failed=$((failed + 1))
    fi
done
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Namespace integration tests of the daemon (root only): CLI and start-up, control socket,
# a 3-node mesh with real DHCP clients, restart, the lease file and hotplug events, a DISCOVER
# flood (about 55 s) and kill -9 chaos on a 5-node mesh (about 70 s). Each suite is bounded and
# cleans up after itself (trap EXIT in Tests/integration/lib.sh).
set -uo pipefail
source "$(dirname "$0")/../lib/root-suite.sh"
root_suite 30-integration
failed=0
# run NAME SECONDS CMD… — one bounded suite.
run() {
    local name=$1 limit=$2 start
    start=$(date +%s)
    shift 2
    if timeout --kill-after=10 "$limit" "$@"; then
        echo "--- $name: ok ($(( $(date +%s) - start )) s)"
    else
        echo "--- $name: FAILED ($(( $(date +%s) - start )) s)"
        failed=$((failed + 1))
    fi
}
for suite in cli control mesh restart scale leasefile flood chaos; do
    run "$suite" 150 bash "Tests/integration/$suite.sh"
done
# The same sources built in Embedded Swift mode (what ships) pass the suites as well.
mkdir -p /var/tmp/ddhcpd-tests
emb=$(mktemp -d /var/tmp/ddhcpd-tests/embedded.XXXXXX)
trap 'rm -rf "$emb"' EXIT
run embedded-build 300 bash Tests/integration/build-embedded.sh "$emb"
for suite in cli control mesh; do
    DDHCPD="$emb/ddhcpd" run "$suite (Embedded build)" 150 bash "Tests/integration/$suite.sh"
done
[ "$failed" -eq 0 ]

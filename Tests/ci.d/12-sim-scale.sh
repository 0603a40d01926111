#!/usr/bin/env bash
# The 200-node simulation (gluon timers, 1 % loss, clients joining and roaming, a split and a
# merge) once, in a release build of the tests: every harness invariant is checked throughout,
# and the run prints its figures (SIMSCALE line). About 2 min on 2 cores, mostly the build; the
# run itself takes about 8 s (35 times longer in the debug build of `swift test`). Longer runs
# and soaks: scripts/soak.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp /tmp/ddhcpd-sim-scale.XXXXXX.log)
trap 'rm -f "$log"' EXIT
swift build -c release --build-tests -Xswiftc -enable-testing >"$log" 2>&1 || { cat "$log"; exit 1; }
bin=$(swift build -c release --show-bin-path)/ddhcpdPackageTests.xctest
if timeout 300 "$bin" --testing-library swift-testing --filter 'SimulationScale/twoHundredNodes' >"$log" 2>&1 &&
   grep -q "ok=1" "$log"; then
    grep -E "^SIMSCALE|Test run" "$log"
else
    cat "$log"
    exit 1
fi

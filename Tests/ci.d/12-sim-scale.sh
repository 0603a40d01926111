#!/usr/bin/env bash
# The 200-node simulation (gluon timers, 1 % loss, clients joining and roaming, a split and a
# merge) for two seeds, in a release build of the tests: every harness invariant is checked
# throughout, and each run prints its figures (SIMSCALE line). Built without runtime exclusivity
# checks, as the shipped Embedded Swift binary is (they were a third of the simulation's time).
# About 2.5 min on 2 cores, mostly the build; the two runs take 3-5 s each, in parallel (since
# D-200; 14 s before). Longer runs and soaks: scripts/soak.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp /tmp/ddhcpd-sim-scale.XXXXXX.log)
trap 'rm -f "$log"' EXIT
swift build -c release --build-tests -Xswiftc -enable-testing -Xswiftc -enforce-exclusivity=unchecked >"$log" 2>&1 || { cat "$log"; exit 1; }
bin=$(swift build -c release --show-bin-path)/ddhcpdPackageTests.xctest
if timeout 300 "$bin" --testing-library swift-testing --filter 'SimulationScale/twoHundredNodes' >"$log" 2>&1 &&
   [ "$(grep -c "^SIMSCALE .*ok=1" "$log")" -eq 2 ]; then
    grep -E "^SIMSCALE|Test run" "$log"
else
    cat "$log"
    exit 1
fi

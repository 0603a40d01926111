#!/usr/bin/env bash
# Host build and unit/simulation tests of the core (Swift Testing). The whole log is kept;
# on failure all of it is printed (simulation failures carry seed, replay command and trace).
set -uo pipefail
log=$(mktemp /tmp/ddhcpd-swift-test.XXXXXX.log)
trap 'rm -f "$log"' EXIT
swift build >"$log" 2>&1 || { cat "$log"; exit 1; }
if swift test --parallel >"$log" 2>&1; then
    grep -E "^(✔|✘|◇).*(Suite|Test run)|passed|failed" "$log" | grep -v "^✔ Test " | tail -n 40
else
    cat "$log"
    exit 1
fi

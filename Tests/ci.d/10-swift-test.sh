#!/usr/bin/env bash
# Host build and unit/simulation tests of the core (Swift Testing). The whole log is kept;
# on failure all of it is printed (simulation failures carry seed, replay command and trace).
set -uo pipefail
log=$(mktemp /tmp/ddhcpd-swift-test.XXXXXX.log)
trap 'rm -f "$log"' EXIT
swift build >"$log" 2>&1 || { cat "$log"; exit 1; }
# The residency tests ask the kernel which pages of this process are resident, so other tests
# allocating at the same time in the same process can make them fail: they run alone, after.
resident='untouchedLeaseTablesStayNonResident|untouchedBlockEntriesStayNonResident|requestCacheOptionListsStayNonResidentUntilUsed'
if swift test --parallel --skip "$resident" >"$log" 2>&1 &&
   swift test --filter "$resident" >>"$log" 2>&1; then
    grep -E "^(✔|✘|◇).*(Suite|Test run)|passed|failed" "$log" | grep -v "^✔ Test " | tail -n 40
else
    cat "$log"
    exit 1
fi

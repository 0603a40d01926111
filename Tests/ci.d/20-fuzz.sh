#!/usr/bin/env bash
# libFuzzer smoke: every fuzz target (DHCP, mesh, control, command line, whole node) 10 s from
# the committed seed corpus with AddressSanitizer; any crash or invariant failure fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec nice Tests/Fuzz/run.sh ci "${DDHCP_FUZZ_SECONDS:-10}"

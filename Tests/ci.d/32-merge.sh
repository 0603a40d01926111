#!/usr/bin/env bash
# Merge by lease count, lease handoff and static leases with real clients in namespaces
# (Tests/integration/merge.sh, root only, about 20 s). With DDHCPD_C=<path of a C ddhcpd> its
# second phase runs against the real C daemon, else against our daemon in --test-c-wire mode.
set -uo pipefail
source "$(dirname "$0")/../lib/root-suite.sh"
root_suite 32-merge
timeout --kill-after=10 120 bash Tests/integration/merge.sh

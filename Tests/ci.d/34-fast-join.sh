#!/usr/bin/env bash
# Fast join and restart survival (docs/fast-join.md) in network namespaces with real udhcpc
# clients (root only): join within 2 s, kill -9 + respawn with the state image, images that do not
# fit (corrupt, truncated, another pool or block size), a reboot without image, only C peers
# (DDHCPD_C=<C ddhcpd>, else our daemon with --test-c-wire), a 1,024-block table in pages.
# About 85 s; bounded to 150 s, cleans up after itself (Tests/integration/lib.sh).
set -uo pipefail
source "$(dirname "$0")/../lib/root-suite.sh"
root_suite 34-fast-join
timeout --kill-after=10 150 bash Tests/integration/fast-join.sh

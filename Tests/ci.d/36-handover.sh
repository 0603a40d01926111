#!/usr/bin/env bash
# Block handover and reserved blocks with real udhcpc clients in namespaces
# (Tests/integration/handover.sh, root only): a roamed client's block moves to its new node
# and no block is ever OURS at two nodes; a wholly reserved block is never claimed. About 15 s.
set -uo pipefail
source "$(dirname "$0")/../lib/root-suite.sh"
root_suite 36-handover
timeout --kill-after=10 90 bash Tests/integration/handover.sh

#!/usr/bin/env bash
# Merge by lease count, lease handoff and static leases with real clients (busybox udhcpc)
# (docs/protocol.md#merge-by-lease-count, #handover, #reservations; D-80, D-81, D-84).
#
# One block of 8 addresses (10.0.0.0/29, S = 8; 10.0.0.1 is the server identifier, 10.0.0.7 a
# reserved address with a static lease). The two nodes start partitioned (node 1's mesh link
# off the bridge), so both own the one block:
#   node 0 (id …01): clients a0, b0 → 10.0.0.0, 10.0.0.2 (two active leases)
#   node 1 (id …ff): clients a1, b1, c1 → .0, .2, .3; a1 and b1 release: one active lease (.3)
# After the heal C's rule would hand the block to node 1 (larger id); ours keeps it at node 0
# (more active leases). Node 1 hands c1's lease over, so a new client on node 0 does not get
# .3 and c1's renewal through node 1 is acknowledged: nobody is NAKed. The static client st
# gets 10.0.0.7 from node 0, roams to node 1 (which owns nothing now) and renews it there.
# Phase 2 repeats the merge with node 1 as a C node: the C daemon $DDHCPD_C if given (C's
# all-zero id: node 0 keeps the block by C's rule), else our daemon with --test-c-wire (larger
# id: node 1 keeps it, C's rule stays toward a node without counts); the mesh converges and the
# clients of the node that keeps the block are never NAKed.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

# Lease time 120 s: no client renews on its own during the test (T1 = 60 s), so the winner can
# know the loser's lease only from the handoff.
BASE=(-L -N 10.0.0.0/29 -b 3 -B 8 -t 2 -o 51:4:0.0.0.120 -v)
OURS=("${BASE[@]}" --reserve 10.0.0.7 --static-lease "02:00:00:00:00:77,10.0.0.7")
ID0=0000000000000001 ID1=00000000000000ff

mesh_create
for i in 0 1; do node_create "$i"; done
partition() { ip -n "$HUB" link set s1 nomaster; }
heal() { ip -n "$HUB" link set s1 master srv; }
for c in a0 b0 d0 st; do client_create "$c" 0; done
for c in a1 b1 c1; do client_create "$c" 1; done
ip -n "$NS-st" link set "${IFP}st" address 02:00:00:00:00:77

no_nak() { local c; for c in "$@"; do [ "$(count_events "$c" '^nak')" -eq 0 ] || fail "client $c was NAKed: $(events "$c" | tr '\n' ';')"; done; }
owns() { owned "$1" | grep -qx 0; }
# Block 0 listed, and not as OURS (an unanswered control request is not "not owned").
not_owns() { local t; t=$(blocks "$1") && grep -q '^0 ' <<<"$t" && ! grep -q '^0 4 ' <<<"$t"; }
start_one() { client_start "$1" udhcpc; wait_for 20 has_address "$1" || fail "client $1 got no address"; }
renewed() { events_grew "$1" "^renew $2\$" "$3"; }
renew_check() {  # renew_check CLIENT — renews and must keep its address
    local c=$1 a before
    a=$(client_address "$c")
    before=$(count_events "$c" "^renew $a\$")
    client_renew "$c"
    wait_for 10 renewed "$c" "$a" "$before" || fail "client $c did not renew $a: $(events "$c" | tr '\n' ';')"
}
stop_all() {
    local c i
    for c in "${!CLIENT_PID[@]}"; do client_stop "$c"; unset "CLIENT_PID[$c]"; done
    for i in "${!DAEMON_PID[@]}"; do daemon_stop "$i"; done
    rm -f "$WORK"/*.events
}

# ---- phase 1: two of our nodes ----------------------------------------------------------
partition
daemon_start 0 "${OURS[@]}" -I "$ID0"
daemon_start 1 "${OURS[@]}" -I "$ID1"
wait_for 15 owns 0 || fail "node 0 owns no block"
wait_for 15 owns 1 || fail "node 1 owns no block"
for c in a0 b0; do start_one "$c"; done
for c in a1 b1 c1; do start_one "$c"; done
A1=$(client_address c1)
log "partitioned: a0=$(client_address a0) b0=$(client_address b0) a1=$(client_address a1) b1=$(client_address b1) c1=$A1"
[ "$A1" = 10.0.0.3 ] || fail "c1 got $A1, the scenario needs 10.0.0.3"
client_release a1
client_release b1
unset "CLIENT_PID[a1]" "CLIENT_PID[b1]"
# Each side compares the count it last announced (D-80): let node 1 announce its new count
# (refresh every B/4 = 2 s) before the heal.
sleep 4
# The static client, on node 0, before the merge.
start_one st
[ "$(client_address st)" = 10.0.0.7 ] || fail "static client got $(client_address st), want 10.0.0.7"
pass "partition: both nodes own block 0; node 0 has 2 active leases, node 1 one (10.0.0.3); static lease served"

c1_renewals=$(count_events c1 '^renew')
heal
wait_for 20 not_owns 1 || fail "node 1 still owns block 0 after the merge: $(blocks 1 | head -3)"
owns 0 || fail "node 0 lost block 0 (C's rule; it has more active leases)"
handed() { [ "$(lease_state 0 "$A1")" = "leased $(client_mac c1)" ]; }
wait_for 10 handed || fail "node 0 lists $A1 as '$(lease_state 0 "$A1")': node 1's lease was not handed over"
[ "$(count_events c1 '^renew')" -eq "$c1_renewals" ] || fail "c1 renewed during the merge: node 0 may know its lease from the renewal, not from the handoff"
pass "merge: node 0 (smaller id, more leases) keeps block 0; node 1 handed c1's lease to it"

start_one d0
[ "$(client_address d0)" != "$A1" ] || fail "new client d0 on node 0 got c1's address $A1"
for c in c1 a0 b0; do renew_check "$c"; done
[ "$(client_address c1)" = "$A1" ] || fail "c1 lost its address"
no_nak a0 b0 c1 d0
pass "after the merge: d0 got $(client_address d0), c1 renewed $A1 through node 1, no client NAKed"

client_move st 1
renew_check st
[ "$(client_address st)" = 10.0.0.7 ] || fail "static client lost 10.0.0.7 after roaming"
grep -q "10.0.0.7" <<<"$(events st)" || true
no_nak st
pass "static client roamed to node 1 (no block) and renewed 10.0.0.7 there"

# ---- phase 2: node 1 is a C node ----------------------------------------------------------
stop_all
client_move st 0
partition
daemon_start 0 "${BASE[@]}" -I "$ID0"
if [ -n "${DDHCPD_C:-}" ]; then
    log "phase 2 with the C daemon $DDHCPD_C"
    NETNS_DAEMON_ENV=(NODE=1)
    netns_daemon_start "$NS-n1" "$DDHCPD_C" "$CTL" "$WORK/ctl1" "$WORK/d1.log" -i server0 -c client0 "${BASE[@]}" \
        || fail "the C daemon does not answer on its control socket"
    NETNS_DAEMON_ENV=()
    DAEMON_PID[1]=$NETNS_DAEMON_PID
    keeper=0
else
    log "phase 2 with our daemon in --test-c-wire mode (set DDHCPD_C for the C daemon)"
    daemon_start 1 "${BASE[@]}" -I "$ID1" --test-c-wire
    keeper=1
fi
wait_for 15 owns 0 || fail "phase 2: node 0 owns no block"
wait_for 15 owns 1 || fail "phase 2: node 1 owns no block"
for c in a0 b0; do start_one "$c"; done
start_one c1
heal
loser=$((1 - keeper))
wait_for 25 not_owns "$loser" || fail "phase 2: node $loser still owns block 0"
owns "$keeper" || fail "phase 2: node $keeper (C's rule) does not own block 0"
if [ "$keeper" = 0 ]; then keep_clients=(a0 b0); else keep_clients=(c1); fi
for c in "${keep_clients[@]}"; do renew_check "$c"; done
no_nak "${keep_clients[@]}"
pass "phase 2: with a C node C's rule stays (node $keeper keeps block 0), the mesh converged, its clients renewed without NAK"

#!/usr/bin/env bash
# Block handover and reserved blocks with real udhcpc clients (docs/protocol.md#handover,
# #reservations; D-83, D-86).
#
# Pool 10.0.0.0/27 in 4 blocks of 8 (-b 3). Block 3 (10.0.0.24/29) is wholly reserved and
# 10.0.0.9 is reserved inside block 1; every node wants 8 spare leases, so the two nodes
# compete for every claimable block.
#   1. A monitor reads both block tables every 50 ms for the whole test: block 3 is never
#      owned, claimed or being claimed by anyone, and no block is OURS at both nodes in the
#      same sample.
#   2. Client r gets a lease at node 0, the only lease of its block; r roams to node 1 and
#      renews there: node 0 moves the block to node 1 (HANDOFF with TRANSFER), r keeps its
#      address without a NAK, and afterwards node 0 gives no address of that block to a new
#      client. During the transfer node 1's ACKs and announcements are dropped (ip6tables in
#      its namespace) for 8 s, so node 0 never hears that node 1 took the block: it must not
#      lease from it meanwhile, nor take it back when its HANDOFFs stay unanswered (the
#      monitor would see the block OURS at both nodes).
#   3. No client ever gets a reserved address.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
NETNS_CLIENT_PREFIX_LEN=27

# B = 30 s: node 1's claims outlive the 8 s without its announcements.
ARGS=(-L -N 10.0.0.0/27 -b 3 -s 8 -B 30 -t 2 -o 51:4:0.0.0.60 -v --reserve 10.0.0.24/29 --reserve 10.0.0.9)

mesh_create
for i in 0 1; do node_create "$i"; done
for i in 0 1; do daemon_start "$i" "${ARGS[@]}" -I "000000000000000$((i + 1))"; done

# 1. The monitor: "sample node block state" lines, one sample number per round.
monitor() {
    local n=0 i
    while :; do
        n=$((n + 1))
        for i in 0 1; do blocks "$i" 2>/dev/null | awk -v n=$n -v i="$i" '{print n, i, $1, $2}'; done
        sleep 0.05
    done
}
monitor >"$WORK/tables" 2>/dev/null &
MONITOR=$!; BG_PIDS+=("$MONITOR")
check_tables() {
    local bad
    bad=$(awk '$3 == 3 && $4 != 0' "$WORK/tables" | head -n 3)
    [ -z "$bad" ] || fail "the reserved block 3 was taken: $bad (sample node block state)"
    bad=$(awk '$4 == 4 { if (seen[$1 " " $3]++) print "sample " $1 ": block " $3 " OURS at both nodes" }' "$WORK/tables" | head -n 3)
    [ -z "$bad" ] || fail "two owners: $bad"
    [ "${1:-}" != final ] || [ "$(awk 'END {print $1 + 0}' "$WORK/tables")" -gt 10 ] || fail "the monitor read no block tables"
}

wait_for 15 owns_block 0 || fail "node 0 owns no block"
wait_for 15 owns_block 1 || fail "node 1 owns no block"
wait_for 10 tables_agree 0 1 || fail "the block tables do not agree: $(tables_agree 0 1)"
check_tables

# 2. r at node 0, the only lease of its block.
client_create r 0; client_start r udhcpc
wait_for 20 has_address r || fail "r got no address"
A=$(client_address r); X=$(block_of "$A" 8)
owned 0 | grep -qx "$X" || fail "r's address $A is not in a block of node 0 ($(owned 0 | tr '\n' ' '))"
wait_for 10 tables_agree 0 1 || fail "the block tables do not agree: $(tables_agree 0 1)"
check_tables
pass "r got $A from node 0 (block $X)"

# Node 1's ACKs (0x31, 28 bytes: 76 as IPv6 packet) and multicasts (UPDATECLAIM) are dropped;
# its RENEWLEASE (44 bytes) passes.
drop() { ip netns exec "$NS-n1" ip6tables "$1" OUTPUT -p udp --dport 1234 -j DROP
         ip netns exec "$NS-n1" ip6tables "$1" OUTPUT -p udp --dport 1235 -m length --length 76 -j DROP; }
drop -A || fail "ip6tables in node 1's namespace failed"
client_move r 1
before=$(count_events r "^renew $A\$")
client_renew r
took() { owned 1 | grep -qx "$X"; }
wait_for 10 took || fail "node 1 did not take block $X: node 0 owns $(owned 0 | tr '\n' ' '), node 1 $(owned 1 | tr '\n' ' ')"
sleep 8   # node 0 resends its HANDOFF every second, 6 times, and hears nothing
drop -D
check_tables
moved() { owned 1 | grep -qx "$X" && ! owned 0 | grep -qx "$X"; }
wait_for 10 moved || fail "block $X did not move to node 1: node 0 owns $(owned 0 | tr '\n' ' '), node 1 $(owned 1 | tr '\n' ' ')"
grep -q "Handing block $X to node" "$WORK/d0.log" || fail "node 0 did not log handing block $X over"
if ! wait_for 10 events_grew r "^renew $A\$" "$before"; then
    client_renew r
    wait_for 10 events_grew r "^renew $A\$" "$before" || fail "r could not renew $A at node 1: $(events r | tr '\n' ';')"
fi
[ "$(client_address r)" = "$A" ] || fail "r lost $A"
[ "$(count_events r '^nak')" -eq 0 ] || fail "r was NAKed"
[ "$(lease_state 1 "$A")" = "leased $(client_mac r)" ] || fail "node 1 lists $A as '$(lease_state 1 "$A")'"
check_tables
pass "r roamed to node 1 and renewed $A; block $X moved to node 1 with r's lease (node 1's ACKs and announcements lost for 8 s)"

# Node 0 no longer leases from block X: new clients at node 0 get addresses of other blocks.
for c in p0 q0; do client_create "$c" 0; client_start "$c" udhcpc; done
for c in p0 q0; do wait_for 20 has_address "$c" || fail "$c got no address at node 0"; done
for c in p0 q0; do
    a=$(client_address "$c")
    [ "$(block_of "$a" 8)" != "$X" ] || fail "node 0 leased $a of block $X after handing it over"
done
check_tables
pass "node 0 serves new clients from other blocks: p0=$(client_address p0) q0=$(client_address q0)"

# 3. No reserved address to anyone; the tables over the whole run.
sleep 1
kill "$MONITOR" 2>/dev/null; wait "$MONITOR" 2>/dev/null || true
addrs=$(for c in r p0 q0; do client_address "$c"; done)
for a in $addrs; do
    case $a in 10.0.0.9|10.0.0.2[4-9]|10.0.0.3[01]) fail "a client got the reserved address $a" ;; esac
done
[ -z "$(sort <<<"$addrs" | uniq -d)" ] || fail "duplicate addresses: $addrs"
check_tables final
samples=$(awk 'END {print $1}' "$WORK/tables")
pass "over $samples samples of both tables: block 3 (reserved) never taken, no block OURS at both nodes; no reserved address leased"

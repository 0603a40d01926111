#!/usr/bin/env bash
# A DISCOVER flood from random MACs on node 0 of a 2-node mesh (docs/protocol.md#flood-policy,
# docs/decisions.md D-100, D-101): 250 DISCOVERs/s for FLOOD_SECONDS (default 20 s, 5,000 MACs)
# while new udhcpc clients join node 0 every 3 s and a known client renews. Every new client
# must be bound within NEW_CLIENT_BOUND_MS, the renewal must keep its address and be answered
# within the same bound, and node 0's block count must be back to what its clients need within
# two needless timeouts after the flood's offers ended (D-101: one; C drops one block per needless
# timeout). Prints each client's latency, the renewal's, and node 0's block count every second.
# About 45 s (Tests/ci.d/30-integration.sh).
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

RATE=${FLOOD_RATE:-250}
SECONDS_FLOOD=${FLOOD_SECONDS:-20}
BOUND_MS=${NEW_CLIENT_BOUND_MS:-5000}
NEEDLESS=10
# S = 4 (64 blocks), spare 2, B = 8 s, T = 2 s, lease 60 s, needless timeout 10 s.
ARGS=(-L -b 2 -B 8 -t 2 -n "$NEEDLESS" -N 10.0.0.0/24 -o 51:4:0.0.0.60 ${FLOOD_DAEMON_ARGS:-})

mesh_create
for i in 0 1; do node_create "$i"; done
for i in 0 1; do daemon_start "$i" "${ARGS[@]}"; done
for i in 0 1; do wait_for 15 owns_block "$i" || fail "node $i owns no block"; done
client_create known 0; client_start known udhcpc
client_create k1 1; client_start k1 udhcpc
wait_for 20 has_address known || fail "known client got no address"
wait_for 20 has_address k1 || fail "client of node 1 got no address"
known_addr=$(client_address known)
# A burst of clients on node 0 before the flood fills its blocks (so the flood's DISCOVERs find
# no offer to take over and make node 0 claim); they and the newcomers leave after the flood,
# which leaves node 0 with several surplus blocks to release.
BURST=(${FLOOD_BURST:-b0 b1 b2 b3 b4 b5})
for c in "${BURST[@]}"; do client_create "$c" 0; client_start "$c" udhcpc; done
for c in "${BURST[@]}"; do wait_for 20 has_address "$c" || fail "burst client $c got no address"; done
owned_count() { owned 0 | wc -l; }
before=$(owned_count)
pass "2 nodes, known clients bound ($known_addr on node 0), ${#BURST[@]} more on node 0; node 0 owns $before blocks"

# Node 0's block count once a second, in the background, into $WORK/blocks.log ("T COUNT").
t0=$(date +%s)
(
    while true; do
        echo "$(( $(date +%s) - t0 )) $(owned_count 2>/dev/null || echo '?')" >>"$WORK/blocks.log"
        sleep 1
    done
) &
BG_PIDS+=($!)

client_create fl 0
in_ns "$NS-fl" python3 "$ROOT/Tests/integration/flooder.py" "${IFP}fl" "$RATE" "$SECONDS_FLOOD" >"$WORK/flooder.log" 2>&1 &
flooder=$!
BG_PIDS+=("$flooder")
flood_start=$(date +%s%N)
sleep 2

# New clients every 3 s while the flood lasts; latency = start to the first "bound".
newcomers=()
declare -A STARTED=() LATENCY=()
n=0
while [ $(( ($(date +%s%N) - flood_start) / 1000000 )) -lt $(( (SECONDS_FLOOD - 3) * 1000 )) ]; do
    c="new$n"; n=$((n + 1))
    client_create "$c" 0
    STARTED[$c]=$(date +%s%N)
    client_start "$c" udhcpc
    newcomers+=("$c")
    if [ "$n" = 3 ]; then
        # The known client renews in the middle of the flood.
        before_renew=$(count_events known "^renew $known_addr\$")
        renew_started=$(date +%s%N)
        client_renew known
    fi
    for _ in $(seq 30); do
        for c in "${newcomers[@]}"; do
            if [ -z "${LATENCY[$c]:-}" ] && grep -q '^bound ' "$WORK/$c.events" 2>/dev/null; then
                LATENCY[$c]=$(( ($(date +%s%N) - STARTED[$c]) / 1000000 ))
            fi
        done
        if [ -n "${renew_started:-}" ] && [ -z "${renew_ms:-}" ] && events_grew known "^renew $known_addr\$" "$before_renew"; then
            renew_ms=$(( ($(date +%s%N) - renew_started) / 1000000 ))
        fi
        sleep 0.1
    done
done
wait "$flooder" || fail "flooder failed: $(cat "$WORK/flooder.log")"
flood_end=$(date +%s)
for c in "${newcomers[@]}"; do
    wait_for 10 grep -q '^bound ' "$WORK/$c.events" || true
    [ -n "${LATENCY[$c]:-}" ] || { grep -q '^bound ' "$WORK/$c.events" 2>/dev/null && LATENCY[$c]=$(( ($(date +%s%N) - STARTED[$c]) / 1000000 )); } || true
done
log "flood: $(cat "$WORK/flooder.log"); new clients: $(for c in "${newcomers[@]}"; do printf '%s=%s ms ' "$c" "${LATENCY[$c]:-none}"; done)"
renewed=$(count_events known "^renew $known_addr\$")
log "known client renewals during the flood: $((renewed - before_renew)), answered in ${renew_ms:-none} ms (address $(client_address known))"
for c in "${newcomers[@]}"; do
    [ -n "${LATENCY[$c]:-}" ] || fail "new client $c got no lease during the flood: $(events "$c" | tr '\n' ';')"
    [ "${LATENCY[$c]}" -le "$BOUND_MS" ] || fail "new client $c waited ${LATENCY[$c]} ms for a lease (bound $BOUND_MS ms)"
done
[ "$renewed" -gt "$before_renew" ] || fail "the known client's renewal during the flood failed: $(events known | tr '\n' ';')"
[ -n "${renew_ms:-}" ] && [ "$renew_ms" -le "$BOUND_MS" ] || fail "the known client's renewal took ${renew_ms:-over 3 s} ms (bound $BOUND_MS ms)"
[ "$(client_address known)" = "$known_addr" ] || fail "the known client lost $known_addr"
peak=$(awk '{print $2}' "$WORK/blocks.log" | sort -n | tail -n 1)
pass "${#newcomers[@]} new clients bound during the flood (max $(printf '%s\n' "${LATENCY[@]}" | sort -n | tail -n 1) ms), the known client renewed; node 0 blocks: $before before, peak $peak"

dups=$(for c in known k1 "${BURST[@]}" "${newcomers[@]}"; do client_address "$c"; done | sed '/^$/d' | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate addresses: $dups"

# After the flood the burst clients and the newcomers release their leases. The offers end 12 s
# after the last DISCOVER; every whole surplus block then goes after one needless timeout
# (D-101), allowed two. C's one block per needless timeout takes a timeout per surplus block.
# Steady count: ceil((clients + spare 2) / 4), plus one for the server identifier's block.
for c in "${BURST[@]}" "${newcomers[@]}"; do client_release "$c"; done
clients=1
steady=$(( (clients + 2 + 3) / 4 + 1 ))
limit=$(( 12 + 2 * NEEDLESS ))
back_in() { [ "$(owned_count)" -le "$steady" ]; }
wait_for "$limit" back_in || fail "node 0 still owns $(owned_count) blocks $limit s after the flood (steady $steady): $(tr '\n' ' ' <"$WORK/blocks.log")"
back=$(( $(date +%s) - flood_end ))
log "node 0 blocks per second since the flood started (t count): $(awk -v s=$(( (flood_start / 1000000000) - t0 )) '$1 >= s' "$WORK/blocks.log" | tr '\n' ' ')"
[ "$(client_address known)" = "$known_addr" ] || fail "the known client lost $known_addr after the flood"
pass "node 0 back to $(owned_count) blocks (steady <= $steady, peak $peak: $((peak - steady)) surplus) ${back} s after the flood (bound $limit s); addresses unique"

#!/usr/bin/env bash
# Crash chaos: a 5-node mesh with two udhcpc clients per node; every round kill -9s a random
# node, roams a random client to a random node, respawns the killed node after a random pause
# (default options: fast join and the state image, docs/fast-join.md) and then checks
#   * the respawned node serves: a new client's DISCOVER gets an OFFER within SERVE_BOUND_S;
#   * every client renews (udhcpc SIGUSR1) within RENEW_BOUND_S and keeps its address (a NAK
#     and a new address counts as a failed renewal: "readdressed");
#   * no address is configured on two clients, and no address is leased to two MACs in the
#     nodes' lease tables;
#   * no node owns more than CHAOS_BLOCK_BOUND blocks (default 5: two clients of its own, a
#     roamer or two and the spare target need 2 blocks of 4; a respawn may hold a few "maybe
#     given" addresses for a lease time; the fixed code reached 2-3 in 60 s runs and 5 once in
#     a 900 s run, the code before D-190/D-191 4-6 within 60 s and 10-19 later). Respawns must not pile up surplus blocks: with the
#     -n 300 default no block is ever released while a node restarts every ~20 s unless its
#     needless timer survives the restart (D-190), and blocks taken back from the table answer
#     must keep the image's leases (D-191). Before those, block counts grew by ~1 per respawn
#     and the pool of 64 ran out after ~100 rounds.
# Rounds run for CHAOS_SECONDS (default 60 s; e.g. CHAOS_SECONDS=900 for a long campaign).
# Prints the figures: rounds, renewals ok / readdressed / failed, duplicates, time to serve,
# most blocks a node owned.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

CHAOS_SECONDS=${CHAOS_SECONDS:-60}
CHAOS_BLOCK_BOUND=${CHAOS_BLOCK_BOUND:-5}
SERVE_BOUND_S=${SERVE_BOUND_S:-5}
RENEW_BOUND_S=${RENEW_BOUND_S:-10}
SEED=${CHAOS_SEED:-$RANDOM}
RANDOM=$SEED
NODES=5
# S = 4 (64 blocks), T = 2 s, lease CHAOS_LEASE_S (default 30 s: udhcpc renews by itself after
# 15 s), B = CHAOS_BLOCK_TIMEOUT (default 4 s: a state image, up to 10 s old, then nearly always
# records a claim timeout that passed before the respawn, the D-191 case; the code before
# D-190/D-191 passed the block bound within 60 s with seed 4414, "round 14: a node owns 6
# blocks", and reached it with 31337; the deterministic check is the simulation test
# SimulationRestart.repeatedRespawnsKeepBlocksBounded).
LEASE_S=${CHAOS_LEASE_S:-30}
BLOCK_TIMEOUT_S=${CHAOS_BLOCK_TIMEOUT:-4}
ARGS=(-b 2 -B "$BLOCK_TIMEOUT_S" -t 2 -N 10.0.0.0/24 -o 51:4:$(python3 -c "import sys; n=int(sys.argv[1]); print('.'.join(str(n >> s & 255) for s in (24, 16, 8, 0)))" "$LEASE_S") ${CHAOS_DAEMON_ARGS:-})

mesh_create
for i in $(seq 0 $((NODES - 1))); do node_create "$i"; done
for i in $(seq 0 $((NODES - 1))); do daemon_start "$i" -L "${ARGS[@]}"; done
for i in $(seq 0 $((NODES - 1))); do wait_for 15 owns_block "$i" || fail "node $i owns no block"; done
CLIENTS=()
declare -A AT=()
for i in $(seq 0 $((NODES - 1))); do
    for k in a b; do
        c="$k$i"
        client_create "$c" "$i"
        client_start "$c" udhcpc
        CLIENTS+=("$c"); AT[$c]=$i
    done
    # A probe namespace per node for the "serves again" check (dhcpprobe.py, random MACs).
    client_create "p$i" "$i"
done
for c in "${CLIENTS[@]}"; do wait_for 30 has_address "$c" || fail "client $c got no address"; done
pass "$NODES nodes, ${#CLIENTS[@]} udhcpc clients bound (seed $SEED)"

# events_since NAME LINE — the client's event lines after line LINE.
events_since() { events "$1" | tail -n +"$(( $2 + 1 ))"; }

# duplicate_addresses — addresses configured on more than one client (every IPv4 address of
# each client interface, not only the first).
duplicate_addresses() {
    local c
    for c in "${CLIENTS[@]}"; do
        ip -n "$NS-$c" -4 -o addr show dev "$IFP$c" | awk '{split($4, a, "/"); print a[1]}' | sort -u
    done | sort | uniq -d | tr '\n' ' '
}

# lease_conflicts — addresses that two nodes' tables lease to different MACs (running nodes).
lease_conflicts() {
    local i
    for i in $(seq 0 $((NODES - 1))); do
        [ -n "${DAEMON_PID[$i]:-}" ] || continue
        ctl "$i" -j -e 2>/dev/null || echo '{"leases": []}'
    done | python3 -c '
import json, sys
dec, text, pos, owners = json.JSONDecoder(), sys.stdin.read(), 0, {}
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    for l in doc["leases"]:
        if l["state"] == "leased":
            owners.setdefault(l["address"], set()).add(l["mac"])
print(" ".join("%s=%s" % (a, "/".join(sorted(m))) for a, m in sorted(owners.items()) if len(m) > 1))'
}

max_blocks=0
rounds=0 renew_ok=0 readdressed=0 renew_failed=0 dup_rounds=0 conflict_rounds=0
serve_ms=() failures=()
start=$(date +%s)
while [ $(( $(date +%s) - start )) -lt "$CHAOS_SECONDS" ]; do
    rounds=$((rounds + 1))
    victim=$((RANDOM % NODES))
    roamer=${CLIENTS[$((RANDOM % ${#CLIENTS[@]}))]}
    to=$((RANDOM % NODES))
    daemon_kill "$victim"
    client_move "$roamer" "$to"; AT[$roamer]=$to
    sleep "$((RANDOM % 3)).$((RANDOM % 10))"
    t0=$(date +%s%N) round_serve=none
    daemon_start "$victim" "${ARGS[@]}"
    # Serves again: a DISCOVER from a new MAC on the respawned node's LAN gets an OFFER.
    if PROBE_TIMEOUT=$SERVE_BOUND_S in_ns "$NS-p$victim" python3 "$ROOT/Tests/integration/dhcpprobe.py" "${IFP}p$victim" discover \
        >>"$WORK/probe.log" 2>&1; then
        round_serve=$(( ($(date +%s%N) - t0) / 1000000 )); serve_ms+=("$round_serve")
    else
        failures+=("round $rounds: node $victim gave no OFFER within $SERVE_BOUND_S s of its respawn")
    fi
    # Every client renews now; each must be ACKed its address again within the bound.
    declare -A MARK=() BEFORE=()
    for c in "${CLIENTS[@]}"; do
        MARK[$c]=$(events "$c" | wc -l); BEFORE[$c]=$(client_address "$c")
        kill -USR1 "${CLIENT_PID[$c]}"
    done
    deadline=$(( $(date +%s) + RENEW_BOUND_S ))
    pending=("${CLIENTS[@]}")
    while [ ${#pending[@]} -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
        sleep 0.2
        still=()
        for c in "${pending[@]}"; do
            events_since "$c" "${MARK[$c]}" | grep -qE '^(renew|bound) ' || still+=("$c")
        done
        pending=("${still[@]}")
    done
    for c in "${CLIENTS[@]}"; do
        last=$(events_since "$c" "${MARK[$c]}" | grep -E '^(renew|bound) ' | tail -n 1 | awk '{print $2}')
        if [ -z "$last" ] || [ "$(client_address "$c")" != "$last" ]; then
            renew_failed=$((renew_failed + 1))
            failures+=("round $rounds: $c (on node ${AT[$c]}, had ${BEFORE[$c]:-none}) not renewed: $(events_since "$c" "${MARK[$c]}" | tr '\n' ';')")
        elif [ "$last" = "${BEFORE[$c]}" ]; then
            renew_ok=$((renew_ok + 1))
        else
            readdressed=$((readdressed + 1))
            failures+=("round $rounds: $c (on node ${AT[$c]}) lost ${BEFORE[$c]:-none}, now $last")
        fi
    done
    dups=$(duplicate_addresses)
    [ -z "$dups" ] || { dup_rounds=$((dup_rounds + 1)); failures+=("round $rounds: address on two clients: $dups"); }
    conflicts=$(lease_conflicts)
    [ -z "$conflicts" ] || { conflict_rounds=$((conflict_rounds + 1)); failures+=("round $rounds: leased to two MACs: $conflicts"); }
    per_node=$(for i in $(seq 0 $((NODES - 1))); do owned "$i" | wc -l; done | tr '\n' ' ')
    for n in $per_node; do
        [ "$n" -le "$max_blocks" ] || max_blocks=$n
        [ "$n" -le "$CHAOS_BLOCK_BOUND" ] || failures+=("round $rounds: a node owns $n blocks (bound $CHAOS_BLOCK_BOUND): $per_node")
    done
    log "round $rounds: killed node $victim, $roamer roamed to node $to, serve $round_serve ms; renewals so far ok $renew_ok readdressed $readdressed failed $renew_failed; blocks owned per node: $per_node"
done
sorted=$(printf '%s\n' "${serve_ms[@]}" | sort -n)
n=${#serve_ms[@]}
median=$( [ "$n" -gt 0 ] && sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted" || echo none)
max=$( [ "$n" -gt 0 ] && tail -n 1 <<<"$sorted" || echo none)
log "chaos figures: seed $SEED, $rounds rounds in $(( $(date +%s) - start )) s, $NODES nodes, ${#CLIENTS[@]} clients;" \
    "renewals ok $renew_ok, readdressed $readdressed, failed $renew_failed;" \
    "rounds with an address on two clients $dup_rounds, with an address leased to two MACs $conflict_rounds;" \
    "time to serve after respawn median $median ms, max $max ms ($n of $rounds);" \
    "most blocks owned by one node $max_blocks (bound $CHAOS_BLOCK_BOUND)"
[ ${#failures[@]} -eq 0 ] || fail "$(printf '%s\n' "${failures[@]}")"
[ "$rounds" -ge 2 ] || fail "only $rounds rounds ran"
pass "$rounds kill -9 rounds: every respawned node served, every renewal answered, no duplicate address, at most $max_blocks blocks per node"

#!/usr/bin/env bash
# Three daemons on one mesh link, each with its own client LAN, real DHCP clients (busybox
# udhcpc, ISC dhclient, dhcpcd): leases, uniqueness, block tables, renewals, roaming, release,
# INFORM, hooks.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

HOOK=$(hook_script)
# S = 4 addresses per block (64 blocks), B = 8 s (refresh every 2 s), T = 2 s, lease 20 s
# (clients renew after 10 s).
ARGS=(-L -b 2 -B 8 -t 2 -N 10.0.0.0/24 -o 51:4:0.0.0.20 -H "$HOOK" -v)

mesh_create
for i in 0 1 2; do node_create "$i"; done
# Node 2 sends RENEWLEASE addresses big-endian (-E be, like ath79 C nodes); the others use the
# default little-endian order and must accept both (docs/decisions.md D-02).
daemon_start 0 "${ARGS[@]}"
daemon_start 1 "${ARGS[@]}"
daemon_start 2 "${ARGS[@]}" -E be
for i in 0 1 2; do
    wait_for 15 owns_block "$i" || fail "node $i owns no block"
done
declare -A ID=()
for i in 0 1 2; do ID[$i]=$(node_id "$i"); done
{ [ "${ID[0]}" != "${ID[1]}" ] && [ "${ID[1]}" != "${ID[2]}" ] && [ "${ID[0]}" != "${ID[2]}" ]; } \
    || fail "node ids not distinct: ${ID[*]}"
grep -q "node=0 endlearning" "$WORK/hooks.log" || fail "no endlearning hook at start with -L"
pass "3 nodes own blocks; ids ${ID[*]}; endlearning hook ran"

# Two clients per node, each client program on two different nodes.
declare -A HOME_NODE=([ua]=0 [xb]=0 [pc]=1 [ud]=1 [xe]=2 [pf]=2)
declare -A KIND=([ua]=udhcpc [xb]=dhclient [pc]=dhcpcd [ud]=udhcpc [xe]=dhclient [pf]=dhcpcd)
CLIENTS=(ua xb pc ud xe pf)
for c in "${CLIENTS[@]}"; do client_create "$c" "${HOME_NODE[$c]}"; done
for c in "${CLIENTS[@]}"; do client_start "$c" "${KIND[$c]}"; done
for c in "${CLIENTS[@]}"; do
    wait_for 30 has_address "$c" || fail "client $c (${KIND[$c]}) got no address"
done
declare -A ADDR=()
for c in "${CLIENTS[@]}"; do ADDR[$c]=$(client_address "$c"); done
log "addresses: $(for c in "${CLIENTS[@]}"; do printf '%s(%s@%s)=%s ' "$c" "${KIND[$c]}" "${HOME_NODE[$c]}" "${ADDR[$c]}"; done)"
dups=$(printf '%s\n' "${ADDR[@]}" | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate addresses: $dups"
for c in "${CLIENTS[@]}"; do
    a=${ADDR[$c]} n=${HOME_NODE[$c]}
    [[ $a == 10.0.0.* ]] || fail "$c got $a outside the pool"
    [ "${a##*.}" != 1 ] || fail "$c got the server identifier 10.0.0.1 (D-27)"
    owned "$n" | grep -qx "$(block_of "$a")" || fail "$c's address $a is not in a block of node $n"
    grep -q "node=$n lease $a $(client_mac "$c")" "$WORK/hooks.log" \
        || fail "no 'lease $a $(client_mac "$c")' hook on node $n"
    [ "$(lease_state "$n" "$a")" = "leased $(client_mac "$c")" ] \
        || fail "node $n lists $a as '$(lease_state "$n" "$a")', want leased to $(client_mac "$c")"
done
pass "6 clients (udhcpc, dhclient, dhcpcd) got unique addresses from their node's blocks; lease hooks"

# Every node sees every other node's blocks as CLAIMED (2) with the right owner id.
wait_for 10 tables_agree 0 1 2 || fail "block tables disagree: $(tables_agree 0 1 2)"
pass "each node shows the others' blocks as claimed (state 2) by the right owner"

# Renewals keep the address (dhclient renews by itself at T1 = 10 s).
for c in ua ud pc pf; do client_renew "$c"; done
renewed() {
    local c
    for c in "${CLIENTS[@]}"; do
        [ "$(count_events "$c" "^(renew|RENEW|REBIND) ${ADDR[$c]}\$")" -ge 1 ] || return 1
    done
}
wait_for 20 renewed || fail "not every client renewed: $(for c in "${CLIENTS[@]}"; do echo "$c: $(events "$c" | tr '\n' ';')"; done)"
for c in "${CLIENTS[@]}"; do [ "$(client_address "$c")" = "${ADDR[$c]}" ] || fail "$c changed address on renew"; done
pass "all clients renewed and kept their addresses"

# Clients restarted without a release get their address back: udhcpc by DISCOVER (the
# server offers the client's existing lease, D-23), dhclient and dhcpcd by INIT-REBOOT.
for c in ud xb pf; do client_stop "$c"; done
for c in ud xb pf; do client_start "$c" "${KIND[$c]}"; done
for c in ud xb pf; do
    wait_for 20 has_address "$c" || fail "restarted client $c (${KIND[$c]}) got no address"
    [ "$(client_address "$c")" = "${ADDR[$c]}" ] \
        || fail "restarted client $c (${KIND[$c]}) got $(client_address "$c"), had ${ADDR[$c]}"
done
pass "restarted udhcpc, dhclient and dhcpcd clients got their previous addresses back"

# Roaming: ua (udhcpc, node 0) and pc (dhcpcd, node 1) move to node 2's LAN. Their renewals
# reach node 2, which forwards them to the owner (RENEWLEASE) and ACKs on its LEASEACK.
for c in ua pc; do client_move "$c" 2; done
# dhclient has no renew command: xe (node 2) moves to node 0 and renews at T1 by itself.
client_move xe 0
roamed() { grep -q "node=2 lease ${ADDR[$1]} $(client_mac "$1")" "$WORK/hooks.log"; }
ip netns exec "$HUB" tcpdump --immediate-mode -U -n -i s2 -w "$WORK/mesh.pcap" udp port 1235 >"$WORK/tcpdump.log" 2>&1 &
BG_PIDS+=($!)
wait_for 5 grep -q listening "$WORK/tcpdump.log" || fail "tcpdump did not start"
renewlease_sent=$(counter 2 direct.send_renewlease)
leaseack_sent=$(( $(counter 0 direct.send_leaseack) + $(counter 1 direct.send_leaseack) ))
for c in ua pc; do
    client_renew "$c"
    wait_for 15 roamed "$c" || fail "node 2 did not ACK roaming client $c (${ADDR[$c]})"
    [ "$(client_address "$c")" = "${ADDR[$c]}" ] || fail "roaming client $c lost its address"
done
# Node 2 now has a lease table for the foreign blocks it forwarded for (leases column not "-").
for c in ua pc; do
    b=$(block_of "${ADDR[$c]}")
    ctl 2 -b | awk -F'\t' -v b="$b" '$1 == b && $2 == 2 && $5 != "-" {found=1} END {exit !found}' \
        || fail "node 2 has no forwarded lease for block $b: $(ctl 2 -b | grep "^$b	")"
done
roamed_to_0() { grep -q "node=0 lease ${ADDR[xe]} $(client_mac xe)" "$WORK/hooks.log"; }
wait_for 15 roamed_to_0 || fail "node 0 did not ACK roaming dhclient xe (${ADDR[xe]}): $(events xe | tr '\n' ';')"
[ "$(client_address xe)" = "${ADDR[xe]}" ] || fail "roaming dhclient xe lost its address"
[ "$(counter 2 direct.send_renewlease)" -ge $((renewlease_sent + 2)) ] || fail "node 2 sent no RENEWLEASE for the roaming clients"
[ "$(( $(counter 0 direct.send_leaseack) + $(counter 1 direct.send_leaseack) ))" -ge $((leaseack_sent + 2)) ] \
    || fail "the owners sent no LEASEACK"
[ "$(lease_state 0 "${ADDR[ua]}")" = "leased $(client_mac ua)" ] || fail "owner node 0 does not keep ua's lease (D-10)"
be=$(python3 -c 'import socket, sys; print(socket.inet_aton(sys.argv[1]).hex())' "${ADDR[ua]}")
captured_be() { python3 "$ROOT/Tests/integration/renewlease.py" "$WORK/mesh.pcap" | grep -qx "$be"; }
wait_for 3 captured_be || fail "no big-endian RENEWLEASE for ${ADDR[ua]} ($be) from node 2: $(python3 "$ROOT/Tests/integration/renewlease.py" "$WORK/mesh.pcap" | tr '\n' ' ')"
pass "roaming udhcpc, dhcpcd (to node 2, RENEWLEASE big-endian with -E be) and dhclient (to node 0) kept their addresses via LEASEACK"

# INFORM: answered with an ACK, inform hook with the client's address.
client_create in 2
out=$(in_ns "$NS-in" python3 "$ROOT/Tests/integration/dhcpprobe.py" "${IFP}in" inform 10.0.0.77 02:11:22:33:44:55) \
    || fail "no answer to DHCPINFORM"
[[ $out == "ACK yiaddr=0.0.0.0 server=10.0.0.1" ]] || fail "INFORM answer: $out"
wait_for 3 grep -q "node=2 inform 10.0.0.77 02:11:22:33:44:55" "$WORK/hooks.log" || fail "no inform hook"
pass "DHCPINFORM answered with ACK; inform hook"

# Relayed DISCOVER (giaddr set): the OFFER goes to the relay agent's port 67 (D-21).
ip -n "$NS-in" addr add 10.0.0.250/24 dev "${IFP}in"
out=$(in_ns "$NS-in" python3 "$ROOT/Tests/integration/dhcpprobe.py" "${IFP}in" relay 10.0.0.250 10.0.0.1) \
    || fail "relay agent got no OFFER on port 67"
[[ $out == OFFER\ yiaddr=10.0.0.* ]] || fail "relayed DISCOVER answer: $out"
ip -n "$NS-in" addr flush dev "${IFP}in"
pass "relayed DISCOVER answered to the relay agent's port 67 ($out)"

# Garbage on the DHCP port is dropped; the node still serves. (The offers above may have used
# up node 2's block: then it claims another one first, hence the longer wait.)
in_ns "$NS-in" python3 "$ROOT/Tests/integration/dhcpprobe.py" "${IFP}in" garbage >/dev/null
out=$(PROBE_TIMEOUT=10 in_ns "$NS-in" python3 "$ROOT/Tests/integration/dhcpprobe.py" "${IFP}in" discover) \
    || fail "no OFFER after garbage"
[[ $out == OFFER\ yiaddr=10.0.0.* ]] || fail "DISCOVER answer: $out"
kill -0 "${DAEMON_PID[2]}" || fail "node 2 died on malformed DHCP packets"
pass "malformed DHCP packets dropped, DISCOVER still answered ($out)"

# Release: the lease is freed on the owner; the release hook gets the real address (D-18).
for c in xb ud pf; do client_release "$c"; done
for c in xb ud pf; do
    n=${HOME_NODE[$c]}
    wait_for 5 grep -q "node=$n release ${ADDR[$c]} $(client_mac "$c")" "$WORK/hooks.log" \
        || fail "no 'release ${ADDR[$c]}' hook on node $n for $c (${KIND[$c]})"
    [ "$(lease_state "$n" "${ADDR[$c]}")" = free ] || fail "${ADDR[$c]} still listed on node $n after release"
done
pass "dhclient, udhcpc and dhcpcd releases freed their leases; release hooks carry the address"

# Hooks ran with stdin from /dev/null and no blocked signals, and left no zombies (D-32).
[ "$(sort -u "$WORK/hookenv.log")" = "stdin=/dev/null SigBlk:0000000000000000" ] \
    || fail "hook environment: $(sort -u "$WORK/hookenv.log")"
sleep 0.5
for i in 0 1 2; do
    zombies=$(ps --ppid "${DAEMON_PID[$i]}" -o stat= | grep -c '^Z' || true)
    [ "$zombies" -eq 0 ] || fail "daemon $i has $zombies zombie children"
done
pass "$(wc -l <"$WORK/hookenv.log") hook runs: stdin /dev/null, no blocked signals, no zombies"

for i in 0 1 2; do kill -0 "${DAEMON_PID[$i]}" || fail "daemon $i died"; done
! grep -qE 'FATAL|ERROR' "$WORK"/d*.log || fail "errors logged: $(grep -E 'FATAL|ERROR' "$WORK"/d*.log)"
pass "daemons alive, no errors logged"

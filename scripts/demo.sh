#!/usr/bin/env bash
# Demo: builds ddhcpd, starts a 3-node mesh in network namespaces with real DHCP clients
# (busybox udhcpc, ISC dhclient, dhcpcd), prints who got which address and every node's block
# table, roams one client to another node, then removes everything. Needs root; ~1 minute.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces)" >&2; exit 1; }
echo "== building"
swift build 2>&1 | tail -n 1
ln -sf ddhcpd .build/debug/ddhcpdctl

# Namespaces, daemons, clients and their clean-up (trap EXIT) come from the test library.
# shellcheck source=Tests/integration/lib.sh
source Tests/integration/lib.sh
( sleep 120; echo "demo: time limit reached" >&2; kill -TERM $$ ) 2>/dev/null &
BG_PIDS+=($!)

echo "== mesh: 3 nodes on one link (ff02::1234), pool 10.0.0.0/24 in blocks of 4"
mesh_create
for i in 0 1 2; do node_create "$i"; done
for i in 0 1 2; do
    daemon_start "$i" -L -b 2 -B 20 -t 2 -N 10.0.0.0/24 -o 51:4:0.0.0.60 -H "$(hook_script)"
done
for i in 0 1 2; do wait_for 15 owns_block "$i" || fail "node $i owns no block"; done

declare -A NODE=([a]=0 [b]=0 [c]=1 [d]=1 [e]=2 [f]=2)
declare -A PROG=([a]=udhcpc [b]=dhclient [c]=dhcpcd [d]=udhcpc [e]=dhclient [f]=dhcpcd)
for c in a b c d e f; do client_create "$c" "${NODE[$c]}"; client_start "$c" "${PROG[$c]}"; done
for c in a b c d e f; do wait_for 30 has_address "$c" || fail "client $c got no address"; done
# Nodes that started a moment later learn the others' blocks at their next refresh (B/4 = 5 s).
wait_for 10 tables_agree 0 1 2 || fail "block tables disagree: $(tables_agree 0 1 2)"

echo
echo "== who got which address"
printf '%-7s %-9s %-5s %-13s %s\n' client program node address MAC
for c in a b c d e f; do
    printf '%-7s %-9s %-5s %-13s %s\n' "$c" "${PROG[$c]}" "${NODE[$c]}" "$(client_address "$c")" "$(client_mac "$c")"
done
for i in 0 1 2; do
    echo
    echo "== ddhcpdctl -b on node $i (state 4 = ours, 2 = claimed by the owner shown; FREE rows left out)"
    ctl "$i" -b | awk -F'\t' 'NF != 6 || $2 != 0'
done

echo
addr=$(client_address a)
echo "== roaming: client a ($addr, udhcpc) moves from node 0's LAN to node 2's and renews"
client_move a 2
client_renew a
if wait_for 15 grep -q "node=2 lease $addr" "$WORK/hooks.log"; then
    echo "   node 2 forwarded the renewal to node 0 (RENEWLEASE/LEASEACK) and ACKed: a keeps $(client_address a)"
else
    echo "   roaming renewal not seen within 15 s" >&2
fi
echo
echo "== hook calls"
sed 's/^/   /' "$WORK/hooks.log"
echo
echo "== cleaning up"

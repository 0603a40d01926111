#!/usr/bin/env bash
# 24 clients (busybox udhcpc) start at once on 3 nodes: every node claims several blocks
# concurrently; all addresses are unique and come from their node's own blocks; no block is
# owned twice. After every client released its lease, each node drops its surplus empty
# blocks (needless timeout) down to one, and the others let them expire.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

mesh_create
for i in 0 1 2; do node_create "$i"; done
for i in 0 1 2; do daemon_start "$i" -L -b 2 -B 8 -t 2 -n 3 -N 10.0.0.0/24 -o 51:4:0.0.0.60 -v; done
CLIENTS=()
for i in 0 1 2; do
    for k in 0 1 2 3 4 5 6 7; do client_create "s$i$k" "$i"; CLIENTS+=("s$i$k"); done
done
start=$(date +%s)
for c in "${CLIENTS[@]}"; do client_start "$c" udhcpc; done
for c in "${CLIENTS[@]}"; do wait_for 40 has_address "$c" || fail "client $c got no address"; done
took=$(( $(date +%s) - start ))

addrs=$(for c in "${CLIENTS[@]}"; do client_address "$c"; done)
dups=$(sort <<<"$addrs" | uniq -d | tr '\n' ' ')
[ -z "$dups" ] || fail "duplicate addresses: $dups"
for c in "${CLIENTS[@]}"; do
    a=$(client_address "$c") n=${c:1:1}
    owned "$n" | grep -qx "$(block_of "$a")" || fail "$c has $a, not in a block of node $n ($(owned "$n" | tr '\n' ' '))"
done
all_owned=$(for i in 0 1 2; do owned "$i"; done)
[ -z "$(sort <<<"$all_owned" | uniq -d)" ] || fail "blocks owned by two nodes: $(sort <<<"$all_owned" | uniq -d | tr '\n' ' ')"
wait_for 10 tables_agree 0 1 2 || fail "block tables disagree: $(tables_agree 0 1 2)"
pass "24 clients got unique addresses in ${took}s from $(wc -w <<<"$all_owned") blocks ($(for i in 0 1 2; do printf 'node %s: %s; ' "$i" "$(owned "$i" | tr '\n' ' ')"; done))"

# Everyone releases: the leases become free, surplus blocks are dropped after -n 3 s.
for c in "${CLIENTS[@]}"; do kill -USR2 "${CLIENT_PID[$c]}"; done
one_block_each() { local i; for i in 0 1 2; do [ "$(owned "$i" | wc -l)" -eq 1 ] || return 1; done; }
wait_for 20 one_block_each || fail "surplus blocks not dropped: $(for i in 0 1 2; do printf 'node %s: %s; ' "$i" "$(owned "$i" | tr '\n' ' ')"; done)"
# The dropped blocks expire at the others (nothing is sent, docs/protocol.md#transitions) within B =
# 8 s.
only_current() {
    local i j b
    for i in 0 1 2; do
        for b in $(blocks "$i" | awk '$2 == 2 {print $1}'); do
            for j in 0 1 2; do owned "$j" | grep -qx "$b" && continue 2; done
            return 1
        done
    done
}
wait_for 15 only_current || fail "dropped blocks still claimed somewhere"
wait_for 5 tables_agree 0 1 2 || fail "block tables disagree: $(tables_agree 0 1 2)"
pass "after the releases every node keeps one block; the dropped ones expired everywhere"

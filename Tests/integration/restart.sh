#!/usr/bin/env bash
# A daemon killed (SIGKILL) and restarted with a learning phase rejoins the mesh with the
# same node id, while the other nodes keep serving their clients throughout.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

HOOK=$(hook_script)
COMMON=(-b 2 -B 8 -t 2 -N 10.0.0.0/24 -o 51:4:0.0.0.20 -H "$HOOK" -v)

mesh_create
for i in 0 1 2; do node_create "$i"; done
for i in 0 1 2; do daemon_start "$i" -L "${COMMON[@]}"; done
for i in 0 1 2; do wait_for 15 owns_block "$i" || fail "node $i owns no block"; done
id1=$(node_id 1)
for i in 0 1 2; do client_create "u$i" "$i"; client_start "u$i" udhcpc; done
for i in 0 1 2; do wait_for 20 has_address "u$i" || fail "client u$i got no address"; done
a0=$(client_address u0); a2=$(client_address u2)
old1=$(owned 1 | tr '\n' ' ')
pass "3 nodes serving; node 1 ($id1) owns $old1"

daemon_kill 1
# The others keep serving: renewals and a new client on node 0.
kill -USR1 "${CLIENT_PID[u0]}"
wait_for 10 grep -q "^renew $a0\$" "$WORK/u0.events" || fail "u0 could not renew while node 1 was down"
client_create v0 0; client_start v0 udhcpc
wait_for 20 has_address v0 || fail "new client on node 0 got no address while node 1 was down"
pass "node 1 killed; node 0 renews and serves new clients"

# Restart with a learning phase of B = 8 s as C does it (no table request, no state image;
# both are tested in fast-join.sh): it learns the table first, claims nothing.
: >"$WORK/hooks.before"; grep -c "node=1 endlearning" "$WORK/hooks.log" >"$WORK/hooks.before" || true
started=$(date +%s)
daemon_start 1 --no-fast-join --no-state-file "${COMMON[@]}"
[ "$(node_id 1)" = "$id1" ] || fail "node id changed across restart: $(node_id 1) vs $id1"
learned() { blocks 1 | awk -v o="$(node_id 0)" '$2 == 2 && $3 == o' | grep -q .; }
wait_for 6 learned || fail "restarted node 1 did not learn node 0's blocks during its learning phase"
[ -z "$(owned 1)" ] || fail "node 1 claimed blocks during its learning phase"
learning_over() { [ "$(grep -c 'node=1 endlearning' "$WORK/hooks.log")" -gt "$(cat "$WORK/hooks.before")" ]; }
wait_for 15 learning_over \
    || fail "no endlearning hook after the learning phase"
learning=$(( $(date +%s) - started ))
[ "$learning" -ge 7 ] || fail "learning phase ended after $learning s, want about 8"
wait_for 15 owns_block 1 || fail "node 1 owns no block after learning"
pass "node 1 restarted with the same id, learned for ${learning}s, then claimed $(owned 1 | tr '\n' ' ')"

# The others see node 1's new blocks as its claims; node 1 serves again; nothing duplicates.
seen() { local b; for b in $(owned 1); do blocks "$1" | grep -qx "$b 2 $id1" || return 1; done; }
wait_for 10 seen 0 || fail "node 0 does not see node 1's new blocks"
wait_for 10 seen 2 || fail "node 2 does not see node 1's new blocks"
client_create v1 1; client_start v1 udhcpc
wait_for 20 has_address v1 || fail "new client on the restarted node got no address"
# The old client of node 1 renews: NAKed or ACKed, it ends up with a lease of node 1.
kill -USR1 "${CLIENT_PID[u1]}"
in_node1() { local a; a=$(client_address u1); [ -n "$a" ] && owned 1 | grep -qx "$(block_of "$a")"; }
wait_for 25 in_node1 || fail "u1 ($(client_address u1)) did not end up with a lease of node 1 ($(owned 1 | tr '\n' ' '))"
addrs=$(for c in u0 u1 u2 v0 v1; do client_address "$c"; done | tr '\n' ' ')
[ -z "$(tr ' ' '\n' <<<"$addrs" | sed '/^$/d' | sort | uniq -d)" ] || fail "duplicate addresses: $addrs"
{ [ "$(client_address u0)" = "$a0" ] && [ "$(client_address u2)" = "$a2" ]; } || fail "clients of nodes 0/2 lost their addresses"
pass "node 1 rejoined: its blocks are seen by all, it serves new and old clients, addresses unique ($addrs)"

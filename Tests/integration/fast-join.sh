#!/usr/bin/env bash
# Fast join and restart survival (docs/fast-join.md) with real udhcpc clients and gluon's timers
# (-t 15 -B 300, learning phase on):
#   1. a node joining a mesh with one of our nodes serves its first lease within 2 s;
#      the same node with --no-fast-join serves nothing for the learning phase (C's rule);
#   2. kill -9 and respawn with the same command line: the old client renews and keeps its
#      address, a new client is served within 2 s, no address twice;
#   3. respawn with a corrupt state image: one log line, and the node still takes its old
#      blocks back from its peers' table answers (as after a reboot), so the old client keeps
#      its address and no new client gets one of them.
# Prints the measured times.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

GLUON=(-b 2 -t 15 -B 300 -N 10.0.0.0/24 -o 51:4:0.0.0.60)
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# served_within NAME SINCE_MS — prints the ms from SINCE_MS until the client has an address.
served_after() { local since=$2; wait_for 20 has_address "$1" || return 1; echo $(( $(ms) - since )); }

mesh_create
for i in 0 1 2; do node_create "$i"; done
# Node 0: a running mesh node (no learning phase and -t 4, so that the test need not wait
# 300 + 22 s for it).
daemon_start 0 -L "${GLUON[@]}" -t 4
wait_for 15 owns_block 0 || fail "node 0 owns no block"
client_create u0 0; client_start u0 udhcpc
wait_for 10 has_address u0 || fail "u0 got no address"

# 1. Node 1 joins with gluon's command line; its client is already asking.
client_create u1 1; client_start u1 udhcpc
t0=$(ms)
daemon_start 1 -v -v "${GLUON[@]}"
join_ms=$(served_after u1 "$t0") || fail "the joining node served nothing within 20 s"
[ "$join_ms" -le 2000 ] || fail "first lease ${join_ms} ms after the start, want ≤ 2000"
grep -q "Block table received" "$WORK/d1.log" || fail "node 1 did not log the table answer"
a1=$(client_address u1)
pass "join: first lease ${join_ms} ms after the start ($a1)"

# The C rule for comparison: node 2 with --no-fast-join serves nothing during its learning phase.
client_create u2 2; client_start u2 udhcpc
daemon_start 2 --no-fast-join "${GLUON[@]}"
sleep 5
! has_address u2 || fail "node 2 served with --no-fast-join during its learning phase"
daemon_stop 2
pass "join with --no-fast-join: no lease within 5 s (learning phase of 300 s, as C)"

# 2. kill -9 and respawn (what procd does) with the same command line.
state="$WORK/ctl1.state"
sleep 1.5   # the first image after the lease (written at most 250 ms after a new address)
[ -s "$state" ] || fail "no state image at $state"
daemon_kill 1
t0=$(ms)
daemon_start 1 -v -v "${GLUON[@]}"
grep -q "State image: .* blocks and .* leases taken over" "$WORK/d1.log" || fail "the state image was not used"
client_create v1 1; client_start v1 udhcpc
new_ms=$(served_after v1 "$t0") || fail "no new client served after the respawn"
[ "$new_ms" -le 2000 ] || fail "new client served ${new_ms} ms after the respawn, want ≤ 2000"
renewals=$(count_events u1 "^renew $a1\$")
kill -USR1 "${CLIENT_PID[u1]}"
wait_for 5 events_grew u1 "^renew $a1\$" "$renewals" || fail "u1 could not renew $a1 after the respawn"
[ "$(client_address u1)" = "$a1" ] || fail "u1 lost its address"
addrs=$(for c in u0 u1 v1; do client_address "$c"; done)
[ -z "$(sort <<<"$addrs" | uniq -d)" ] || fail "duplicate addresses: $addrs"
pass "kill -9 + respawn: new client served ${new_ms} ms after the respawn; u1 renewed $a1"

# State image writes while clients renew (udhcpc renews at T1 = 30 s; here every 2 s by USR1).
before=$(grep -c "State image written" "$WORK/d1.log")
t0=$(ms)
for _ in 1 2 3 4 5 6 7 8; do kill -USR1 "${CLIENT_PID[u1]}" "${CLIENT_PID[v1]}"; sleep 2; done
writes=$(( $(grep -c "State image written" "$WORK/d1.log") - before ))
secs=$(( ($(ms) - t0) / 1000 ))
per_min=$(( writes * 60 / secs ))
# At most one per 10 s (D-76), plus one for a write already due when the window opened.
[ "$writes" -le $(( secs / 10 + 1 )) ] || fail "$writes state image writes in $secs s, want ≤ one per 10 s"
pass "state image writes while renewing every 2 s: $writes in $secs s (about ${per_min}/min)"

# 3. A corrupt image: ignored with one line; the peers' answers give the old blocks back.
daemon_kill 1
printf 'DDHS\001garbage' >"$state"
daemon_start 1 -v -v "${GLUON[@]}"
[ "$(grep -c "State image ignored" "$WORK/d1.log")" -eq 1 ] || fail "want one 'State image ignored' line"
wait_for 3 grep -q "was ours before the restart" "$WORK/d1.log" || fail "node 1 did not take its old blocks back"
renewals=$(count_events u1 "^renew $a1\$")
kill -USR1 "${CLIENT_PID[u1]}"
wait_for 5 events_grew u1 "^renew $a1\$" "$renewals" || fail "u1 could not renew $a1 after the respawn without image"
client_create w1 1; client_start w1 udhcpc
wait_for 10 has_address w1 || fail "no new client served after the respawn without image"
addrs=$(for c in u0 u1 v1 w1; do client_address "$c"; done)
[ -z "$(sort <<<"$addrs" | uniq -d)" ] || fail "duplicate addresses: $addrs"
[ "$(block_of "$(client_address w1)")" != "$(block_of "$a1")" ] || fail "w1 got an address of an old block"
pass "corrupt image ignored (one line); old blocks taken back; u1 kept $a1; w1 got $(client_address w1)"
echo "fast-join: join ${join_ms} ms, respawn ${new_ms} ms, ${per_min} image writes/min"

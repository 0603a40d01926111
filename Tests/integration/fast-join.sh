#!/usr/bin/env bash
# Fast join and restart survival (docs/fast-join.md) with real udhcpc clients and gluon's timers
# (-t 15 -B 300, learning phase on):
#   1. a node joining a mesh with one of our nodes serves its first lease within 2 s;
#      the same node with --no-fast-join serves nothing for the learning phase (C's rule);
#   2. kill -9 and respawn with the same command line: the old client renews and keeps its
#      address, a new client is served within 2 s, no address twice;
#   3. respawn with a corrupt state image: one log line, and the node still takes its old
#      blocks back from its peers' table answers (as after a reboot), so the old client keeps
#      its address and no new client gets one of them;
#   4. a state image for another network, for another block size, or truncated: each ignored
#      with one log line naming why;
#   5. a reboot (no state image at all): the peers' table answers name the node's old blocks,
#      it takes them back with their addresses held, the old client renews, a new client gets
#      an address of another block;
#   6. with only C peers nobody answers the table request: the learning phase runs its B
#      seconds as in C (the C daemon from $DDHCPD_C when given, else our daemon with
#      --test-c-wire as the C peer);
#   7. gluon's pool of 1,024 blocks with 64 of them claimed: the table arrives in pages.
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
cp "$state" "$WORK/good.state"
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

# 4. Images that do not fit: each ignored with one line naming why. (The daemons started with
# another pool or block size are foreign to the mesh: their datagrams are dropped.)
ignored_once() {  # ignored_once REASON ARGS… — start node 1 with ARGS, one "ignored: REASON" line
    local reason=$1 before; shift
    before=$(grep -c "State image" "$WORK/d1.log" || true)
    daemon_start 1 -v -v "$@"
    local lines; lines=$(tail -n +"$((before + 1))" <(grep "State image" "$WORK/d1.log"))
    daemon_kill 1
    [ "$(grep -c "State image ignored: $reason" <<<"$lines")" -eq 1 ] \
        || fail "want one 'State image ignored: $reason' line, got: $lines"
    ! grep -q "taken over" <<<"$lines" || fail "an image that does not fit was used: $lines"
}
old_blocks=$(owned 1)
daemon_kill 1
cp "$WORK/good.state" "$state"
ignored_once "written for another network or block size" "${GLUON[@]}" -N 10.0.1.0/24
cp "$WORK/good.state" "$state"
ignored_once "written for another network or block size" "${GLUON[@]}" -b 3
head -c 60 "$WORK/good.state" >"$state"
ignored_once "truncated" "${GLUON[@]}"
pass "state images for another network, another block size, truncated: each ignored with one line"

# 5. A reboot: no image. The old blocks come back from the peers' answers, their addresses held.
rm -f "$state"
taken_back=$(grep -c "was ours before the restart" "$WORK/d1.log")
daemon_start 1 -v -v "${GLUON[@]}"
took_back() { [ "$(grep -c "was ours before the restart" "$WORK/d1.log")" -gt "$taken_back" ]; }
wait_for 3 took_back || fail "after the reboot node 1 did not take its old blocks back"
renewals=$(count_events u1 "^renew $a1\$")
kill -USR1 "${CLIENT_PID[u1]}"
wait_for 5 events_grew u1 "^renew $a1\$" "$renewals" || fail "u1 could not renew $a1 after the reboot"
client_create x1 1; client_start x1 udhcpc
wait_for 10 has_address x1 || fail "no new client served after the reboot"
for b in $old_blocks; do
    [ "$(block_of "$(client_address x1)")" != "$b" ] || fail "x1 got $(client_address x1) of the old block $b"
done
addrs=$(for c in u0 u1 v1 w1 x1; do client_address "$c"; done)
[ -z "$(sort <<<"$addrs" | uniq -d)" ] || fail "duplicate addresses: $addrs"
pass "reboot (no image): old blocks $(tr '\n' ' ' <<<"$old_blocks")taken back and held; u1 renewed $a1; x1 got $(client_address x1)"

# 6. Only C peers: nobody answers, the learning phase runs (B = 10 s here).
for c in "${!CLIENT_PID[@]}"; do client_stop "$c"; unset "CLIENT_PID[$c]"; done
for i in "${!DAEMON_PID[@]}"; do daemon_stop "$i"; done
SHORT=(-b 2 -t 2 -B 10 -N 10.0.0.0/24 -o 51:4:0.0.0.60)
if [ -n "${DDHCPD_C:-}" ]; then
    NETNS_DAEMON_ENV=(NODE=0)
    netns_daemon_start "$NS-n0" "$DDHCPD_C" "$CTL" "$WORK/ctl0" "$WORK/c0.log" -i server0 -c client0 -L "${SHORT[@]}" \
        || fail "the C daemon does not answer on its control socket"
    NETNS_DAEMON_ENV=(); DAEMON_PID[0]=$NETNS_DAEMON_PID; peer="the C daemon"
else
    daemon_start 0 -L --test-c-wire "${SHORT[@]}"; peer="our daemon with --test-c-wire"
fi
wait_for 15 owns_block 0 || fail "the C peer owns no block"
client_create y2 2; client_start y2 udhcpc
t0=$(ms)
daemon_start 2 -v "${SHORT[@]}"
sleep 8
! has_address y2 || fail "with only C peers node 2 served within 8 s (learning phase B = 10 s)"
! grep -q "Block table received" "$WORK/d2.log" || fail "node 2 got a table answer from a C peer"
c_ms=$(served_after y2 "$t0") || fail "node 2 served nothing after its learning phase"
grep -q "No table answer from our nodes" "$WORK/d2.log" || fail "node 2 did not log the fallback"
pass "only C peers ($peer): no table answer, first lease after the learning phase, ${c_ms} ms after the start"
# 7. A table of 1,024 blocks (gluon's pool, -N /20 -b 2) in pages: node 0 owns 64 blocks
# (255 spare leases), more than one page of 44 entries. Node 0's claims were announced before
# node 1 started and are refreshed only every B/4 = 75 s, so node 1 knows them right after the
# join only from the pages.
for i in "${!DAEMON_PID[@]}"; do daemon_stop "$i"; done
POOL20=(-N 10.0.0.0/20 -b 2 -t 15 -B 300 -o 51:4:0.0.0.60)
daemon_start 0 -L "${POOL20[@]}" -t 2 -s 255  # -t 2: its 64 claims in about 3 s
all_claimed() { [ "$(owned 0 | wc -l)" -ge 64 ]; }
wait_for 15 all_claimed || fail "node 0 owns $(owned 0 | wc -l) blocks, want 64"
sleep 1
rm -f "$WORK/ctl1.state"
joined() { grep -q "Block table received" "$WORK/d1.log"; }
: >"$WORK/d1.log"
daemon_start 1 -v -v "${POOL20[@]}"
wait_for 3 joined || fail "node 1 got no complete table of 1,024 blocks"
[ "$(blocks 1 | wc -l)" -ge 1024 ] || fail "node 1 lists $(blocks 1 | wc -l) blocks, want 1,024"
wait_for 2 tables_agree 1 0 || fail "after the join node 1 does not know node 0's 64 blocks: $(tables_agree 1 0)"
pass "a 1,024-block table with 64 claimed blocks arrived in pages: node 1 knows all of node 0's blocks at its join"
echo "fast-join: join ${join_ms} ms, respawn ${new_ms} ms, ${per_min} image writes/min"

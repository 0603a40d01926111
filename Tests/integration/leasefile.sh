#!/usr/bin/env bash
# The lease file and hotplug events (docs/protocol.md#lease-file, D-51, D-52): two nodes, each
# with --lease-file and --hotplug-call. Checked: the dnsmasq line format with the client's host
# name (option 12), lowercase MAC and the expiry in seconds since the epoch; only the owner of
# a lease lists it and reports it (a roaming client's renewal through another node is an
# `update` at the owner only); `hotplug-call dhcp` with ACTION add/update/remove, MACADDR,
# IPADDR, HOSTNAME as OpenWrt's dnsmasq dhcp-script passes them; host names that could break a
# line are not stored; a burst of leases costs few writes (measured), each a new file renamed
# into place; no write without a change; expiry removes; the file goes at shutdown.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
PROBE="$ROOT/Tests/integration/leaseprobe.py"

# The stand-in for OpenWrt's /sbin/hotplug-call: one line per call, with what it was given.
cat >"$WORK/hotplug-call" <<EOF
#!/bin/sh
echo "node=\$NODE \$* ACTION=\$ACTION MACADDR=\$MACADDR IPADDR=\$IPADDR HOSTNAME=\$HOSTNAME" >>"$WORK/hotplug.log"
EOF
chmod +x "$WORK/hotplug-call"
touch "$WORK/hotplug.log"

mesh_create
for i in 1 2; do
    node_create "$i"
    daemon_start "$i" -L -b 5 -B 20 -t 2 -N 10.0.0.0/24 -o 51:4:0.0.1.44 -o 54:4:10.0.0.1 -v -v \
        --lease-file "$WORK/leases$i" --hotplug-call="$WORK/hotplug-call"
done
for i in 1 2; do wait_for 15 owns_block "$i" || fail "node $i owns no block"; done
for i in 1 2; do
    wait_for 2 test -f "$WORK/leases$i" || fail "node $i wrote no lease file at start"
    [ ! -s "$WORK/leases$i" ] || fail "node $i's first lease file is not empty: $(cat "$WORK/leases$i")"
done
pass "an empty lease file at start"

client_create c 1
probe() { ip netns exec "$NS-c" python3 "$PROBE" "${IFP}c" "$@"; }
# line I MAC — node I's lease-file line for MAC (empty if none).
line() { grep " $2 " "$WORK/leases$1" 2>/dev/null || true; }
listed() { [ -n "$(line "$1" "$2")" ]; }
unlisted() { [ -z "$(line "$1" "$2")" ]; }
# hotplug REGEX — the hotplug lines matching REGEX.
hotplug() { grep -E -- "$1" "$WORK/hotplug.log" || true; }
has_hotplug() { [ -n "$(hotplug "$1")" ]; }
writes() { grep -c 'lease file written' "$WORK/d$1.log" || true; }

M1=02:11:11:11:11:01
A1=$(probe lease "$M1" laptop-1 | awk '$1 == "ACK" {print $2}')
[ -n "$A1" ] || fail "no lease for $M1"
t=$(date +%s)
wait_for 7 listed 1 "$M1" || fail "lease of $M1 not in node 1's lease file: $(cat "$WORK/leases1")"
read -r expiry mac ip name id <<<"$(line 1 "$M1")"
{ [ "$mac" = "$M1" ] && [ "$ip" = "$A1" ] && [ "$name" = laptop-1 ] && [ "$id" = '*' ]; } \
    || fail "lease line: $(line 1 "$M1")"
{ [ "$expiry" -ge $((t + 300 - 3)) ] && [ "$expiry" -le $((t + 300 + 1)) ]; } \
    || fail "expiry $expiry is not about now + 300 s ($((t + 300)))"
[ "$(wc -l <"$WORK/leases1")" -eq 1 ] || fail "node 1 lists more than one lease: $(cat "$WORK/leases1")"
[ -z "$(line 2 "$M1")" ] || fail "node 2 lists node 1's lease"
wait_for 3 has_hotplug "^node=1 dhcp ACTION=add MACADDR=$M1 IPADDR=$A1 HOSTNAME=laptop-1$" \
    || fail "no add event: $(cat "$WORK/hotplug.log")"
[ -z "$(hotplug "^node=2")" ] || fail "node 2 reported node 1's lease: $(hotplug "^node=2")"
pass "lease line '$(line 1 "$M1")' (expiry now + $((expiry - t)) s), add event, owner only"

# A renewal without option 12 keeps the name.
probe renew "$M1" "$A1" >/dev/null || fail "renewal of $A1 not acknowledged"
wait_for 3 has_hotplug "^node=1 dhcp ACTION=update MACADDR=$M1 IPADDR=$A1 HOSTNAME=laptop-1$" \
    || fail "no update event: $(cat "$WORK/hotplug.log")"
pass "renewal: update event, host name kept"

# Names that would break a line are not stored; a trailing NUL is dropped; long names are cut.
M2=02:11:11:11:11:02 M3=02:11:11:11:11:03 M4=02:11:11:11:11:04
A2=$(probe lease "$M2" 'bad\x20name\nx' | awk '$1 == "ACK" {print $2}')
A3=$(probe lease "$M3" 'phone\x00' | awk '$1 == "ACK" {print $2}')
A4=$(probe lease "$M4" "$(printf 'n%.0s' $(seq 40))" | awk '$1 == "ACK" {print $2}')
{ [ -n "$A2" ] && [ -n "$A3" ] && [ -n "$A4" ]; } || fail "no leases for the odd names"
long=$(printf 'n%.0s' $(seq 31))
wait_for 7 listed 1 "$M4" || fail "lease of $M4 not written"
[ "$(line 1 "$M2" | cut -d' ' -f4)" = '*' ] || fail "a name with a space was stored: $(line 1 "$M2")"
[ "$(line 1 "$M3" | cut -d' ' -f4)" = phone ] || fail "trailing NUL: $(line 1 "$M3")"
[ "$(line 1 "$M4" | cut -d' ' -f4)" = "$long" ] || fail "long name not cut at 31 bytes: $(line 1 "$M4")"
awk 'NF != 5 { exit 1 }' "$WORK/leases1" || fail "a lease line without 5 fields: $(cat "$WORK/leases1")"
has_hotplug "^node=1 dhcp ACTION=add MACADDR=$M2 IPADDR=$A2 HOSTNAME=$" || fail "event for the bad name: $(hotplug "$M2")"
pass "host names: unsafe ones not stored, NUL dropped, cut at 31 bytes"

# Roaming: the client renews through node 2, which forwards to the owner (RENEWLEASE): the
# owner reports an update and keeps listing it; node 2 neither lists nor reports it.
before=$(hotplug "^node=1 dhcp ACTION=update MACADDR=$M1" | wc -l)
client_move c 2
probe renew "$M1" "$A1" >/dev/null || fail "renewal through node 2 not acknowledged"
updates() { [ "$(hotplug "^node=1 dhcp ACTION=update MACADDR=$M1 IPADDR=$A1 HOSTNAME=laptop-1$" | wc -l)" -gt "$before" ]; }
wait_for 3 updates \
    || fail "no update at the owner after a renewal through node 2: $(cat "$WORK/hotplug.log")"
sleep 1
[ -z "$(hotplug "^node=2")" ] || fail "node 2 reported a lease of node 1: $(hotplug "^node=2")"
[ -z "$(line 2 "$M1")" ] || fail "node 2 lists node 1's lease after forwarding"
client_move c 1
pass "renewal through another node: update at the owner only"

probe release "$M1" "$A1" 10.0.0.1 >/dev/null
wait_for 3 has_hotplug "^node=1 dhcp ACTION=remove MACADDR=$M1 IPADDR=$A1 HOSTNAME=laptop-1$" \
    || fail "no remove event after RELEASE: $(hotplug "$M1")"
wait_for 7 unlisted 1 "$M1" || fail "released lease still listed"
pass "release: remove event, line gone"

# A burst: 30 clients in 10 s. Writes are at least 5 s apart (at most 3 in 10 s, plus one at
# the end of the burst), each one a new file renamed into place (a new inode every time).
w0=$(writes 1)
: >"$WORK/inodes"
( while :; do stat -c %i "$WORK/leases1" >>"$WORK/inodes" 2>/dev/null; sleep 0.05; done ) &
BG_PIDS+=($!)
watcher=$!
start=$(date +%s%N)
probe burst 02:22:22:22:22 30 10 >"$WORK/burst" || fail "burst: $(cat "$WORK/burst")"
burst_listed() { [ "$(awk '$2 ~ /^02:22:22:22:22:/' "$WORK/leases1" | wc -l)" -eq 30 ]; }
wait_for 7 burst_listed \
    || fail "not every burst lease listed: $(wc -l <"$WORK/leases1") lines"
secs=$(( ($(date +%s%N) - start) / 1000000000 ))
kill "$watcher"
burst_writes=$(( $(writes 1) - w0 ))
inodes=$(sort -u "$WORK/inodes" | wc -l)
[ "$burst_writes" -le $(( secs / 5 + 2 )) ] || fail "$burst_writes lease-file writes in $secs s for 30 leases"
{ [ "$inodes" -ge 2 ] && [ "$inodes" -ge "$burst_writes" ]; } || fail "the file was rewritten in place ($inodes inodes for $burst_writes writes)"
[ "$(hotplug "ACTION=add MACADDR=02:22:22:22:22:" | wc -l)" -eq 30 ] || fail "not one add event per burst lease"
# Nothing changes: nothing is written.
w1=$(writes 1)
sleep 6
[ "$(writes 1)" -eq "$w1" ] || fail "the lease file was written without a change"
pass "30 leases in ${secs} s: $burst_writes writes ($(( burst_writes * 60 / (secs > 0 ? secs : 1) ))/min), each a new inode; none while idle"

# Expiry: a 4-s lease ends 14 s later (lease time + 10 s slack): remove event, line gone.
ctl 1 -l 4 >/dev/null
M5=02:11:11:11:11:05
A5=$(probe lease "$M5" short | awk '$1 == "ACK" {print $2}')
[ -n "$A5" ] || fail "no lease for $M5"
wait_for 7 listed 1 "$M5" || fail "short lease not written"
wait_for 25 has_hotplug "^node=1 dhcp ACTION=remove MACADDR=$M5 IPADDR=$A5 HOSTNAME=short$" \
    || fail "no remove event after expiry: $(hotplug "$M5")"
wait_for 7 unlisted 1 "$M5" || fail "expired lease still listed"
pass "expiry: remove event, line gone"

daemon_stop 1
[ ! -e "$WORK/leases1" ] || fail "the lease file outlived the daemon"
[ ! -e "$WORK/leases1.tmp" ] || fail "a temporary lease file was left behind"
pass "shutdown removes the lease file"

# A hotplug-call that cannot be executed (the exec error comes back from the child) and a hook
# script that does not exist (the shell runs and fails): every lease change logs why, the
# daemon keeps serving, and no child is left a zombie.
printf '#!/bin/sh\n' >"$WORK/not-executable"
chmod -x "$WORK/not-executable"
daemon_start 1 -L -b 5 -B 20 -t 2 -N 10.0.0.0/24 -o 51:4:0.0.1.44 -o 54:4:10.0.0.1 \
    --hotplug-call="$WORK/not-executable" -H "$WORK/no-such-hook"
wait_for 15 owns_block 1 || fail "restarted node 1 owns no block"
for k in 6 7; do
    a=$(probe lease "02:11:11:11:11:0$k" broken-$k | awk '$1 == "ACK" {print $2}')
    [ -n "$a" ] || fail "no lease for client $k with a broken hotplug-call and hook"
done
two_runs() { [ "$(grep -c "cannot run $WORK/not-executable: Permission denied" "$WORK/d1.log")" -ge 2 ]; }
wait_for 3 two_runs || fail "no 'cannot run' line per lease: $(tail -n 5 "$WORK/d1.log")"
wait_for 3 grep -q "no-such-hook" "$WORK/d1.log" || fail "the shell's error for a missing hook is not in the log"
sleep 0.5
zombies=$(ps --ppid "${DAEMON_PID[1]}" -o stat= | grep -c '^Z' || true)
[ "$zombies" -eq 0 ] || fail "$zombies zombie children after failed hooks"
ctl 1 -b >/dev/null || fail "daemon stopped answering after failed hooks"
pass "hotplug-call not executable: '$(grep -m1 "cannot run $WORK/not-executable" "$WORK/d1.log" | sed 's/.*cannot run/cannot run/')' per lease change; missing hook: the shell's error; no zombies"
daemon_stop 1

#!/usr/bin/env bash
# The control socket and ddhcpdctl: C's exact answers, the extensions (-j, -e), malformed and
# random input leaving the daemon serving, a command split over two writes (docs/decisions.md D-31),
# more concurrent clients than connection slots and what ddhcpdctl says when a daemon does not
# answer (D-102), and a -S (no DHCP) node.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
PROBE="$ROOT/Tests/integration/dhcpprobe.py"

mesh_create
node_create 0
node_create 1
daemon_start 0 -L -b 2 -B 8 -t 2
daemon_start 1 -L -S -b 2 -B 8 -t 2
wait_for 10 owns_block 0 || fail "node 0 owns no block"

# --- option store (docs/protocol.md#option-listing), exact bytes
want=$(printf 'DHCP Lease Time: 300\n\nDHCP Disabled: 0\nDHCP Option Store\ncode\tlen\tpayload\n1\t4\t255\t255\t255\t0\t\n2\t4\t0\t0\t0\t0\t\n28\t4\t10\t0\t0\t255\t\n51\t4\t0\t0\t1\t44\t\n54\t4\t10\t0\t0\t1\t\n')
got=$(ctl 0 -d)
[ "$got" = "$want" ] || fail "option store answer differs:
--- got
$got
--- want
$want"
out=$(ctl 0 -o 3:4:10.0.0.1; ctl 0 -l 600; ctl 0 -r 2)
[ -z "$out" ] || fail "set/remove commands printed: $out"
want=$(printf 'DHCP Lease Time: 600\n\nDHCP Disabled: 0\nDHCP Option Store\ncode\tlen\tpayload\n1\t4\t255\t255\t255\t0\t\n28\t4\t10\t0\t0\t255\t\n51\t4\t0\t0\t2\t88\t\n54\t4\t10\t0\t0\t1\t\n3\t4\t10\t0\t0\t1\t\n')
got=$(ctl 0 -d)
[ "$got" = "$want" ] || fail "option store after -o/-l/-r differs:
--- got
$got
--- want
$want"
ctl 1 -d | grep -qx 'DHCP Disabled: 1' || fail "-S node does not report DHCP disabled"
pass "ddhcpdctl -d/-o/-l/-r: exact option store answers"

# --- block table header (docs/protocol.md#block-table): exact first 9 lines, then rows
id0=$(node_id 0)
want=$(printf 'block size/number\t4/64 \n      tentative timeout\t2\n      timeout\t8\n      refresh factor\t4\n      spare leases needed\t2\n      network: 10.0.0.0/24 \nnode id\t%s\nddhcp blocks\nindex\tstate\towner\t\t\tclaim\tleases\ttimeout\n' "$id0")
got=$(ctl 0 -b | head -n 9)
[ "$got" = "$want" ] || fail "block table header differs:
--- got
$got
--- want
$want"
[[ $id0 =~ ^[0-9A-F]{16}$ ]] || fail "node id '$id0' is not 16 uppercase hex digits"
ctl 0 -b | tail -n 1 | grep -qE '^blocks in use: [0-9]+$' || fail "block table footer missing"
b=$(owned 0 | head -n1)
ctl 0 -b | grep -qE "^$b	4	$id0	3	0/0	[0-9]+\$" || fail "own block row format: $(ctl 0 -b | grep "^$b	")"
# The EUI-64 of server0's MAC (D-01).
mac=$(ip -n "$NS-n0" -o link show server0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
eui=$(python3 -c "import sys; m=bytes.fromhex(sys.argv[1].replace(':','')); print((bytes([m[0]^2])+m[1:3]+b'\xff\xfe'+m[3:]).hex().upper())" "$mac")
[ "$id0" = "$eui" ] || fail "node id $id0 is not the EUI-64 $eui of server0's MAC $mac"
pass "ddhcpdctl -b: exact header, row format, node id = EUI-64 of the server MAC"

# --- statistics (docs/protocol.md#statistics) and the JSON/lease extensions
ctl 0 -s | head -n 1 | grep -qE '^mcast.recv_pkg [0-9]+$' || fail "statistics: $(ctl 0 -s | head -n 3)"
ctl 0 -s | grep -qE '^ddhcp.blocks.claimed [0-9]+$' || fail "statistics lack ddhcp.blocks.claimed"
[ "$(ctl 0 -s | grep -c '^block\.[0-9]*\.owner ')" -eq 64 ] || fail "statistics lack one line per block"
ctl 0 -S >/dev/null
ctl 0 -s | grep -qE '^dhcp.recv_pkg 0$' || fail "-S did not reset the counters"
for flags in "-j -b" "-b -j" "-j -s" "-j -e"; do
    # shellcheck disable=SC2086
    ctl 0 $flags | python3 -c 'import json, sys; json.load(sys.stdin)' || fail "ddhcpdctl $flags is not JSON: $(ctl 0 $flags | head -c 300)"
done
ctl 0 -j -b | python3 -c "
import json, sys
d = json.load(sys.stdin)
text = json.dumps(d)
assert '$id0' in text.upper(), 'node id missing from JSON block table'
" || fail "JSON block table lacks the node id"
ctl 0 -e | head -n 1 | grep -qP '^address\tstate\tmac\tblock\towner\texpires$' || fail "lease listing header: $(ctl 0 -e)"
pass "statistics, reset, JSON output (-j -b/-s/-e) and lease listing (-e)"

# --- log level at runtime: INFO lines appear after -v 3 and stop after -v 2
! grep -q '^INFO: ' "$WORK/d0.log" || fail "INFO lines at the default level WARNING"
ctl 0 -v 3
ctl 0 -o 6:4:10.0.0.53
wait_for 3 grep -q '^INFO: Option set: 6:4$' "$WORK/d0.log" || fail "no INFO line after ddhcpdctl -v 3: $(cat "$WORK/d0.log")"
ctl 0 -v 2
ctl 0 -r 6
sleep 0.2
! grep -q 'Option removed' "$WORK/d0.log" || fail "INFO line logged after ddhcpdctl -v 2"
# The shell's own lines follow the same level: more idle connections than the daemon takes
# give a WARNING at level 2, none at level 1.
flood_connections() {
    python3 - "$WORK/ctl0" <<'PY'
import socket, sys, time
socks = []
for _ in range(12):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sys.argv[1])
    socks.append(c)
time.sleep(0.3)
PY
}
drops() { grep -c 'all control connections busy' "$WORK/d0.log" || true; }
ctl 0 -v 1
flood_connections
sleep 0.2
[ "$(drops)" -eq 0 ] || fail "shell WARNING logged at level 1 (ddhcpdctl -v 1)"
ctl 0 -v 2
flood_connections
wait_for 3 test "$(drops)" -gt 0 || fail "no shell WARNING for busy connections at level 2"
pass "ddhcpdctl -v changes the daemon's log level, for the core's lines and the shell's"

# --- more clients than connection slots (docs/decisions.md D-102): 50 ddhcpdctl at once, and
# 20 more while 8 idle clients hold every slot, are all answered (the others wait in the
# backlog instead of being closed unanswered).
concurrent_ctl() {  # N — N ddhcpdctl -b at once; prints "answered refused"
    local n=$1 k pids=() answered=0 refused=0
    for k in $(seq "$n"); do
        { ctl 0 -b >"$WORK/cc$k.out" 2>"$WORK/cc$k.err"; echo $? >"$WORK/cc$k.rc"; } &
        pids+=($!)
    done
    wait "${pids[@]}"
    for k in $(seq "$n"); do
        if [ "$(cat "$WORK/cc$k.rc")" = 0 ] && head -n 1 "$WORK/cc$k.out" | grep -q '^block size/number'; then
            answered=$((answered + 1))
        elif [ "$(cat "$WORK/cc$k.rc")" != 0 ] && grep -q '^ddhcpdctl: ' "$WORK/cc$k.err"; then
            refused=$((refused + 1))  # clearly refused: non-zero and one line saying why
        else
            fail "ddhcpdctl $k of $n: exit $(cat "$WORK/cc$k.rc"), $(wc -c <"$WORK/cc$k.out") bytes out, stderr '$(cat "$WORK/cc$k.err")'"
        fi
    done
    echo "$answered $refused"
}
t0=$(date +%s%N)
read -r answered refused <<<"$(concurrent_ctl 50)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$answered" -eq 50 ] || fail "50 concurrent ddhcpdctl: $answered answered, $refused refused"
python3 - "$WORK/ctl0" >"$WORK/idle.log" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(8):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sys.argv[1])
    socks.append(c)
time.sleep(2)
PY
idle=$!
sleep 0.2
t1=$(date +%s%N)
read -r answered2 refused2 <<<"$(concurrent_ctl 20)"
ms2=$(( ($(date +%s%N) - t1) / 1000000 ))
wait "$idle" || true
[ "$answered2" -eq 20 ] || fail "20 ddhcpdctl behind 8 idle clients: $answered2 answered, $refused2 refused"
pass "50 concurrent ddhcpdctl: all answered in $ms ms; 20 more behind 8 idle connections: all answered in $ms2 ms"

# --- ddhcpdctl says what happened: a peer that closes without answering, one that never answers.
python3 - "$WORK/fake.sock" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
c, _ = s.accept(); c.recv(10); c.close()          # 1: closed without an answer
c, _ = s.accept(); c.recv(10); time.sleep(12)     # 2: silent
PY
fake=$!
BG_PIDS+=("$fake")
wait_for 3 test -S "$WORK/fake.sock" || fail "fake control socket did not appear"
rc=0; err=$("$CTL" -C "$WORK/fake.sock" -b 2>&1 >/dev/null) || rc=$?
[ "$rc" -ne 0 ] && [[ $err == *"closed the connection without an answer"* ]] \
    || fail "ddhcpdctl on a connection closed unanswered: exit $rc, '$err'"
t2=$(date +%s)
rc=0; err2=$("$CTL" -C "$WORK/fake.sock" -s 2>&1 >/dev/null) || rc=$?
[ "$rc" -ne 0 ] && [[ $err2 == *"no answer from"*"within 10 s"* ]] \
    || fail "ddhcpdctl on a silent daemon: exit $rc, '$err2' after $(( $(date +%s) - t2 )) s"
kill "$fake" 2>/dev/null || true
pass "ddhcpdctl exits non-zero with one line: '$err' / '$err2'"

# --- malformed and random input on the control socket
python3 - "$WORK/ctl0" <<'PY' || fail "control fuzzing client failed"
import os, random, socket, sys, time
path = sys.argv[1]
def send(data, close_write=True):
    """One request; returns the answer. The daemon may close early on oversized input."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    out = b""
    try:
        if data:
            s.sendall(data)
        if close_write:
            s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.close()
    return out
# Truncated and malformed known commands.
for data in (b"", b"\x03", b"\x03\x03", b"\x03\x03\x04\x0a", b"\x04", b"\x05", b"\x01extra",
             b"\x02\x00", b"\x06\x06", b"\xff" * 3000, b"\x40", b"\x7f\x00"):
    send(data)
# Random blobs (not starting with set/remove/log-level, which would change the configuration).
random.seed(7)
for _ in range(300):
    data = os.urandom(random.randint(1, 1600))
    if data[0] in (3, 4, 5):
        data = b"\x09" + data[1:]
    send(data, close_write=random.random() < 0.5)
# A client that connects and says nothing must not block others (answered at its deadline).
idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
idle.connect(path)
t = time.time()
assert send(b"\x01").startswith(b"block size/number"), "no block table while a client idles"
assert time.time() - t < 0.5, "block table took %.2fs while a client idles" % (time.time() - t)
idle.close()
# D-31: a command split over two writes is still read whole (sets option 3 = 10.0.0.2).
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(b"\x03\x03")
time.sleep(0.1)
s.sendall(b"\x04\x0a\x00\x00\x02")
s.recv(10)
s.close()
# Many connections at once are all answered (D-31: every pending connection is accepted).
socks = []
for _ in range(6):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.sendall(b"\x02")
    socks.append(c)
for c in socks:
    c.settimeout(5)
    assert c.recv(100).startswith(b"DHCP Lease Time"), "a concurrent client got no answer"
    c.close()
PY
kill -0 "${DAEMON_PID[0]}" || fail "daemon died on control socket input"
ctl 0 -d | grep -qP '^3\t4\t10\t0\t0\t2\t$' || fail "split command not applied: $(ctl 0 -d)"
ctl 0 -b | head -n 1 | grep -q '^block size/number' || fail "block table no longer served"
client_create p 0
out=$(in_ns "$NS-p" python3 "$PROBE" "${IFP}p" discover 02:00:00:00:00:99) || fail "no DHCP OFFER after control fuzzing"
offered=${out#OFFER yiaddr=}; offered=${offered%% *}
ctl 0 -e | grep -qP "^$offered\toffered\t02:00:00:00:00:99\t[0-9]+\t$id0\t[0-9]+\$" \
    || fail "lease listing lacks the offer of $offered: $(ctl 0 -e)"
pass "malformed/random/idle/split/concurrent control input: daemon still serves ($out)"

# --- garbage on the mesh ports (empty, short, truncated, oversized, foreign-pool datagrams)
ll0=$(ip -n "$NS-n0" -6 -o addr show dev server0 scope link | awk '{split($4, a, "/"); print a[1]; exit}')
ip netns exec "$HUB" python3 - "$ll0" <<'PY' || fail "mesh garbage sender failed"
import os, random, socket, struct, sys, time
random.seed(11)
target = sys.argv[1]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"srv")
index = socket.if_nametoindex("srv")
header = bytes(8) + bytes([10, 0, 0, 0, 24, 4])
datagrams = [b"", b"\x01", bytes(15), bytes(16), os.urandom(9000), os.urandom(1501),
             header + b"\x01\x05" + bytes(7),            # UPDATECLAIM count 5, one entry
             header + b"\x02\x01" + bytes(3),            # INQUIRE cut short
             header + b"\x13\x00" + bytes(28),           # RELEASE (19): never valid (D-08)
             header + b"\x10\x00" + bytes(27),           # RENEWLEASE one byte short
             bytes(8) + bytes([192, 168, 0, 0, 24, 4]) + b"\x01\x01" + bytes(7)]  # foreign pool
datagrams += [os.urandom(random.randint(0, 300)) for _ in range(200)]
for d in datagrams:
    s.sendto(d, ("ff02::1234", 1234, 0, index))
    s.sendto(d, (target, 1235, 0, index))
    time.sleep(0.005)  # paced: a daemon under qemu-user must not lose datagrams to a full socket buffer
PY
sleep 0.5
kill -0 "${DAEMON_PID[0]}" || fail "daemon died on garbage from the mesh"
owned 0 | grep -qx "$b" || fail "node 0 lost block $b to garbage"
wait_for 5 bash -c "'$CTL' -C '$WORK/ctl1' -b | grep -qP '^$b\t2\t$id0\t'" || fail "node 1 lost track of block $b"
[ "$(counter 0 mcast.recv_pkg)" -ge 200 ] || fail "node 0 counted $(counter 0 mcast.recv_pkg) multicast datagrams"
pass "garbage on ports 1234/1235 dropped ($(counter 0 mcast.recv_pkg) multicast datagrams counted), blocks unchanged"

# --- -S: no DHCP socket, no claims, but the block table follows the mesh
in_ns "$NS-n1" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"client0")
s.bind(("0.0.0.0", 67))' || fail "-S node holds the DHCP port"
[ -z "$(owned 1)" ] || fail "-S node claimed blocks: $(owned 1)"
wait_for 5 bash -c "'$CTL' -C '$WORK/ctl1' -b | grep -qP '^$b\t2\t$id0\t'" || fail "-S node does not see node 0's block $b"
ctl 1 -b | grep -qP '^      spare leases needed\t0$' || fail "-S node's spare lease target is not 0"
pass "-S: no DHCP socket, no claims, follows the mesh's block table"

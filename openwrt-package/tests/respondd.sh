#!/usr/bin/env bash
# gluon-ddhcpd's respondd provider (gluon-ddhcpd/src/respondd.c) against a running daemon: built
# as gluon builds it (a shared object against json-c and respondd's provider interface, here a
# stand-in header), loaded the way respondd loads /usr/lib/respondd/*.so (dlopen, the
# respondd_providers table) and asked for "statistics": blocks owned, leases in use by state and
# the counters must match what the daemon itself reports (ddhcpdctl -j -s); while no daemon
# answers the provider adds nothing, at once. Needs root (network namespaces) and libjson-c-dev.
# shellcheck source=Tests/integration/lib.sh
source "$(dirname "$0")/../../Tests/integration/lib.sh"
PKG="$ROOT/openwrt-package"
STUB="$PKG/tests/respondd-stub"

gcc -Wall -Werror -shared -fPIC -D_GNU_SOURCE -I "$STUB" -o "$WORK/gluon-ddhcpd.so" \
    "$PKG/gluon-ddhcpd/src/respondd.c" -ljson-c || fail "the provider does not build"
gcc -Wall -Werror -I "$STUB" -o "$WORK/respondd-query" "$STUB/respondd-query.c" -ljson-c -ldl \
    || fail "respondd-query does not build"
query() { DDHCPD_CONTROL_PATH="$WORK/ctl1" "$WORK/respondd-query" "$WORK/gluon-ddhcpd.so" statistics; }

# No daemon: nothing, quickly.
start=$(date +%s%N)
[ "$(query)" = null ] || fail "without a daemon the provider answered $(query)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "the provider took $ms ms without a daemon"
pass "no daemon: no ddhcpd statistics ($ms ms)"

# A daemon that accepts but never answers (stuck): respondd is single-threaded, so the provider
# must give up after its socket timeout (0.5 s) and add nothing.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
conns = []
while True:
    conns.append(s.accept()[0])
' "$WORK/ctl1" &
BG_PIDS+=($!)
wait_for 5 test -S "$WORK/ctl1" || fail "the stuck stand-in did not listen"
start=$(date +%s%N)
out=$(DDHCPD_CONTROL_PATH="$WORK/ctl1" timeout 5 "$WORK/respondd-query" "$WORK/gluon-ddhcpd.so" statistics) \
    || fail "the provider hung on a stuck daemon (killed after 5 s)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$out" = null ] || fail "a stuck daemon produced $out"
[ "$ms" -lt 2000 ] || fail "the provider waited $ms ms for a stuck daemon"
kill "${BG_PIDS[-1]}"
rm -f "$WORK/ctl1"
pass "stuck daemon: no ddhcpd statistics, gave up after $ms ms"

mesh_create
node_create 1
daemon_start 1 -L -b 2 -B 20 -t 2 -N 10.0.0.0/24 -o 54:4:10.0.0.1
wait_for 15 owns_block 1 || fail "node 1 owns no block"
client_create c 1
for k in 1 2 3; do
    ip netns exec "$NS-c" python3 "$ROOT/Tests/integration/leaseprobe.py" "${IFP}c" lease "02:33:33:33:33:0$k" \
        | grep -q '^ACK ' || fail "no lease for client $k"
done
# A DISCOVER that is never confirmed: one offered lease.
ip netns exec "$NS-c" python3 "$ROOT/Tests/integration/dhcpprobe.py" "${IFP}c" discover 02:44:44:44:44:01 \
    | grep -q '^OFFER ' || fail "no offer"

got=$(query)
want=$(ctl 1 -j -s)
python3 - "$got" "$want" <<'PY' || fail "provider answer does not match the daemon: $got"
import json, sys
got, stats = json.loads(sys.argv[1]), json.loads(sys.argv[2])
d = got["ddhcpd"]
assert set(got) == {"ddhcpd"}, got
assert d["leases"] == {"leased": 3, "offered": 1, "free": stats["ddhcp.leases.free"]}, d["leases"]
ours = stats["ddhcp.blocks.ours"]
assert ours >= 1 and d["blocks"]["ours"] == ours, (d["blocks"], ours)
assert d["blocks"]["claimed"] == stats["ddhcp.blocks.claimed"] - ours, d["blocks"]
assert d["blocks"]["free"] == stats["ddhcp.blocks.free"] and d["blocks"]["tentative"] == stats["ddhcp.blocks.tentative"]
counters = {k.replace(".", "_"): v for k, v in stats.items() if isinstance(v, int) and not k.startswith("ddhcp.")}
assert d["counters"] == counters, (d["counters"], counters)
assert d["counters"]["dhcp_send_ack"] == 3 and d["counters"]["dhcp_send_offer"] == 4, d["counters"]
PY
pass "statistics.ddhcpd: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["ddhcpd"]; print("blocks", d["blocks"], "leases", d["leases"], len(d["counters"]), "counters")' "$got")"

daemon_stop 1
[ "$(query)" = null ] || fail "after the daemon stopped the provider answered $(query)"
pass "daemon gone: no ddhcpd statistics"

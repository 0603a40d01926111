#!/usr/bin/env bash
# MIPS (toolchain/mips): builds ddhcpd for mips (big-endian, ath79) and mipsel (ramips) through
# the portable route (Swift -> wasm32 -> wasm2c -> C), then under qemu-user:
#   1. the command line behaves exactly like the native x86_64 build (same output, same status);
#   2. the daemon's integration suites pass on MIPS: cli, control and restart on big-endian mips
#      (daemon and ddhcpdctl), cli on mipsel, and mesh.sh with a mixed mesh (node 1 mips,
#      node 2 mipsel, the others native x86_64: leases, block tables, renewals, roaming,
#      release, INFORM across byte orders);
#   3. our own mixed mesh: busybox udhcpc gets a lease from the mips node (with an -o option),
#      every node sees the others' blocks (native and MIPS ddhcpdctl print the same tables),
#      and a roaming client keeps its address from the mips node to the native to the mipsel;
#   4. the portable source tarball builds without Swift (Debian's mips gcc compiles, zig's
#      soft-float musl links) and runs.
# Every step is bounded in time; namespaces and processes are removed on exit (lib.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
repo=$(pwd)
out=$repo/out
t_start=$(date +%s)
step() { echo "[45-mips $(( $(date +%s) - t_start ))s] $*"; }

for tool in qemu-mips-static qemu-mipsel-static wasm2c wasm-opt mips-linux-gnu-gcc busybox; do
    command -v "$tool" >/dev/null || { echo "45-mips: $tool missing (scripts/setup.sh)" >&2; exit 1; }
done
# The native build to compare with (incremental: 10-swift-test normally built it already).
timeout 900 swift build 2>&1 | tail -n 1

# ---- builds (sizes and times) ----
for arch in mips mipsel; do
    t=$(date +%s)
    timeout 900 bash toolchain/mips/build.sh "$arch" --out "$out"
    size=$(stat -c %s "$out/$arch/ddhcpd")
    step "built $arch: $size bytes in $(( $(date +%s) - t )) s"
    budget=$(awk -v a="$arch" '$1 == a {print $2}' toolchain/budgets.txt 2>/dev/null || true)
    if [ -n "$budget" ] && [ "$size" -gt "$budget" ]; then
        echo "45-mips: FAIL: $arch ddhcpd is $size bytes, budget $budget (toolchain/budgets.txt)" >&2
        exit 1
    fi
done
file "$out/mips/ddhcpd" | grep -q 'MSB executable, MIPS, MIPS32 rel2.*statically linked' ||
    { echo "45-mips: FAIL: out/mips/ddhcpd is not a static big-endian mips32r2 binary" >&2; exit 1; }
file "$out/mipsel/ddhcpd" | grep -q 'LSB executable, MIPS, MIPS32 rel2.*statically linked' ||
    { echo "45-mips: FAIL: out/mipsel/ddhcpd is not a static little-endian mips32r2 binary" >&2; exit 1; }
# A misconfigured host layer must not compile: wasm2c's byte-reversed memory mode, or a byte
# order other than the one asked for (the right configuration compiles).
# Debian's mips gcc with zig's musl headers (as toolchain/mips/build.sh compiles; a build host
# without Swift would use its own target compiler).
zig=/opt/ziglang/ziglang/zig
musl=$("$zig" env | sed -n 's/.*lib_dir = "\(.*\)".*/\1/p')/libc/include
gcc_musl="mips-linux-gnu-gcc -nostdinc -isystem $(mips-linux-gnu-gcc -print-file-name=include)
    -isystem $musl/mips-linux-musl -isystem $musl/generic-musl -isystem $musl/mips-linux-any
    -isystem $musl/any-linux-any -march=mips32r2 -msoft-float"
tree=$(bash toolchain/mips/build.sh source)
# shellcheck disable=SC2086  # gcc_musl is a command line
host_compile() { $gcc_musl -fsyntax-only -I "$tree" "$@" "$tree/rt.c" 2>&1; }
# shellcheck disable=SC2086
host_errors() { $gcc_musl -fsyntax-only -I "$tree" "$@" "$tree/rt.c" 2>&1 || true; }
host_compile -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1 >/dev/null ||
    { echo "45-mips: FAIL: the host layer does not compile for big-endian mips" >&2; exit 1; }
host_errors -DWABT_BIG_ENDIAN=1 | grep -q 'do not build with WABT_BIG_ENDIAN' ||
    { echo "45-mips: FAIL: the host layer compiles with WABT_BIG_ENDIAN=1" >&2; exit 1; }
host_errors -EL -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1 | grep -q 'does not match' ||
    { echo "45-mips: FAIL: the host layer compiles for little-endian while big-endian was asked for" >&2; exit 1; }
step "host layer refuses misconfigured byte orders"
# The import generator stops on a parameter it cannot bound instead of guessing.
gen_dir=$(mktemp -d /tmp/ddhcpd-45-mips-gen.XXXXXX)
printf '#include <stdint.h>\nint32_t ddhcpd_main(int32_t argc, uint8_t **argv);\nint32_t ddhcp_fill(uint8_t *buf);\n' >"$gen_dir/h.h"
printf "/* import: 'env' 'ddhcp_fill' */\nu32 Z_envZ_ddhcp_fill(struct Z_env_instance_t*, u32);\n" >"$gen_dir/w.h"
gen_out=$(python3 toolchain/mips/host/gen-host.py --clang "$(command -v clang)" --wasm-header "$gen_dir/w.h" \
    --header "$gen_dir/h.h" -o "$gen_dir/imports.c" 2>&1) && gen_rc=0 || gen_rc=$?
rm -rf "$gen_dir"
if [ "$gen_rc" -eq 0 ] || ! grep -q 'ddhcp_fill: cannot bound byte pointer buf' <<<"$gen_out"; then
    echo "45-mips: FAIL: gen-host.py accepted an unbounded byte pointer: $gen_out" >&2
    exit 1
fi
step "gen-host.py refuses a byte pointer without a bound"

# The namespace helpers (work directory, cleanup trap, mesh topology) of the integration tests.
DDHCPD=$repo/.build/debug/ddhcpd
source Tests/integration/lib.sh
native=$DDHCPD
# qemu wrappers; `-0` keeps argv[0], so the ddhcpdctl symlink selects the control client.
for arch in mips mipsel; do
    mkdir -p "$WORK/$arch"
    # shellcheck disable=SC2016  # $0 and $@ belong to the wrapper
    printf '#!/bin/sh\nexec qemu-%s-static -0 "$0" "%s" "$@"\n' "$arch" "$out/$arch/ddhcpd" >"$WORK/$arch/ddhcpd"
    chmod +x "$WORK/$arch/ddhcpd"
    ln -s "$WORK/$arch/ddhcpd" "$WORK/$arch/ddhcpdctl"
done
mkdir -p "$WORK/native" && ln -s "$native" "$WORK/native/ddhcpdctl"
# Mixed: the integration library passes NODE=<i> to each daemon; ddhcpdctl (no NODE) is native.
mkdir -p "$WORK/mixed"
cat >"$WORK/mixed/ddhcpd" <<MIXED
#!/bin/bash
case \${NODE:-} in
    1) exec "$WORK/mips/ddhcpd" "\$@" ;;
    2) exec "$WORK/mipsel/ddhcpd" "\$@" ;;
    *) exec -a "\$0" "$native" "\$@" ;;
esac
MIXED
chmod +x "$WORK/mixed/ddhcpd"

# ---- 1. command line: identical to the native build ----
# run BIN ARGS… — "status<TAB>output" of one invocation (10 s at most), without getopt's own
# diagnostic line (its wording is the libc's: glibc natively, musl on MIPS).
run() {
    local rc=0 o
    o=$(timeout 10 "$@" 2>&1) || rc=$?
    printf '%s\t%s' "$rc" "$(grep -vE ': (invalid|unrecognized) option|option requires an argument' <<<"$o")"
}
# (-V is checked against this commit below: SwiftPM caches the revision of the native build.)
cases=(
    "-h" "-X" "-t 1" "-N 10.0.0.0" "-N 10.0.0.0/7" "-N 10.0.0.0/" "-B 0" "-b 8"
    "-o 3:4:10.0.0" "-o 3" "-o 3:4:10.0.0.1:5" "-o 300:1:1" "-o 3:4:10.0.0.1 -o 6:4:1.2.3.4 -N 10.0.0.0/7"
    "-I 0123" "-I 0123456789abcdeF -N 1.2.3.4/33" "-E middle" "-E be -b 8" "-Z"
)
for arch in mips mipsel; do
    for c in "${cases[@]}"; do
        # shellcheck disable=SC2086  # the case is a list of arguments
        want=$(run "$native" $c) got=$(run "$WORK/$arch/ddhcpd" $c)
        [ "$got" = "$want" ] || fail "$arch: 'ddhcpd $c' gave [$got], native gave [$want]"
    done
    for c in "-h" "" "-t 5" "-o 3:4:1.2" "-C $WORK/none -b" "-X"; do
        # shellcheck disable=SC2086
        want=$(run "$WORK/native/ddhcpdctl" $c) got=$(run "$WORK/$arch/ddhcpdctl" $c)
        [ "$got" = "$want" ] || fail "$arch: 'ddhcpdctl $c' gave [$got], native gave [$want]"
    done
    for prog in ddhcpd ddhcpdctl; do
        [ "$(run "$WORK/$arch/$prog" -V)" = "0	Revision: $(git rev-parse HEAD)" ] ||
            fail "$arch: $prog -V does not report this commit: $(run "$WORK/$arch/$prog" -V)"
    done
done
pass "command line (-V, -h, -o, validation, ddhcpdctl) identical to native on mips and mipsel"

# ---- 2. the daemon's integration suites on MIPS ----
# suite NAME DDHCPD — Tests/integration/NAME.sh with that binary, 150 s at most.
suite() {
    local t
    t=$(date +%s)
    DDHCPD=$2 timeout --kill-after=10 150 bash "Tests/integration/$1.sh" >"$WORK/suite-$1.log" 2>&1 ||
        fail "Tests/integration/$1.sh with $2: $(grep -E 'FAIL|ok:' "$WORK/suite-$1.log" | tail -n 3)"
    step "Tests/integration/$1.sh passed with $2 ($(( $(date +%s) - t )) s)"
}
for s in cli control restart; do suite "$s" "$WORK/mips/ddhcpd"; done
suite cli "$WORK/mipsel/ddhcpd"
suite mesh "$WORK/mixed/ddhcpd"
pass "integration suites: cli/control/restart on mips, cli on mipsel, mesh with mips+mipsel+native nodes"

# ---- 3. our mixed mesh: node 1 native x86_64, node 2 mips, node 3 mipsel ----
cat >"$WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
# udhcpc event script: configure the address, record what the server sent.
case $1 in
    bound | renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        echo "$1 ip=$ip serverid=$serverid ntpsrv=$ntpsrv" >>"$LEASES_LOG" ;;
    deconfig) ip addr flush dev "$interface" ;;
    nak) echo "nak" >>"$LEASES_LOG" ;;
esac
exit 0
EOF
chmod +x "$WORK/udhcpc.sh"
mesh_create
for i in 1 2 3; do node_create "$i"; done
# Fast timers (block size 4, tentative 2 s, block timeout 8 s), as Tests/integration/mesh.sh.
fast=(-L -b 2 -B 8 -t 2)
daemon_start 1 "${fast[@]}"
DDHCPD=$WORK/mips/ddhcpd daemon_start 2 "${fast[@]}" -o 42:4:10.0.0.42
DDHCPD=$WORK/mipsel/ddhcpd daemon_start 3 "${fast[@]}"

# lease NAME — start udhcpc for client NAME in the background; wait for its first lease.
lease() {
    local name=$1
    ip netns exec "$NS-$name" env LEASES_LOG="$WORK/lease-$name.log" busybox udhcpc -f -i "$IFP$name" \
        -s "$WORK/udhcpc.sh" -t 10 -T 1 -A 1 -O ntpsrv -p "$WORK/udhcpc-$name.pid" \
        >>"$WORK/udhcpc-$name.log" 2>&1 &
    BG_PIDS+=($!)
    wait_for 30 grep -q '^bound' "$WORK/lease-$name.log" || fail "client $name got no lease"
}
field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$WORK/lease-$1.log" | tail -n 1; }

client_create a 2
lease a
ip_a=$(field a ip)
[[ $ip_a == 10.0.0.* ]] || fail "client a on the mips node got '$ip_a', not an address of 10.0.0.0/24"
[ "$(field a ntpsrv)" = 10.0.0.42 ] || fail "client a did not get option 42 (-o 42:4:10.0.0.42): $(cat "$WORK/lease-a.log")"
pass "udhcpc got $ip_a from the mips node, with the -o option"

# Every node owns a block by now and sees the others' blocks claimed by their owners.
for i in 1 2 3; do wait_for 20 owns_block "$i" || fail "node $i owns no block"; done
for i in 1 2 3; do
    for j in 1 2 3; do
        [ "$i" != "$j" ] || continue
        id=$(node_id "$i")
        for b in $(owned "$i"); do
            wait_for 20 sh -c "'$CTL' -C '$WORK/ctl$j' -b | awk -F'\t' '\$1 == $b && \$3 == \"$id\"' | grep -q ." ||
                fail "node $j does not see block $b of node $i ($id): $(ctl "$j" -b)"
        done
    done
done
# The MIPS control clients print the very same tables as the native one.
for arch_node in mips:2 mipsel:3; do
    arch=${arch_node%:*} i=${arch_node#*:}
    [ "$("$WORK/$arch/ddhcpdctl" -C "$WORK/ctl$i" -b)" = "$(ctl "$i" -b)" ] ||
        fail "$arch ddhcpdctl -b differs from the native one on node $i"
done
pass "nodes see each other's blocks (ddhcpdctl -b, native and mips clients agree)"

# 32-bit Int: addresses far outside the pool (200.0.0.1 - 10.0.0.0 >= 2^31) in DHCP requests
# must be dropped or refused, not trap (Int is 32 bits wide in the wasm32 module).
client_create far 2
cat >"$WORK/far.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.bind(("0.0.0.0", 68))
far = socket.inet_aton("200.0.0.1")
for msg_type, ciaddr in ((1, bytes(4)), (3, bytes(4)), (3, far), (8, far)):
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x4D495053, 0, 0x8000, ciaddr,
                       bytes(4), bytes(4), bytes(4), b"\x02\x4d\x49\x50\x53\x01" + bytes(10), bytes(64), bytes(128))
    opts = bytes([53, 1, msg_type, 50, 4]) + far + bytes([54, 4, 10, 0, 0, 1, 255])
    s.sendto(head + b"\x63\x82\x53\x63" + opts, ("255.255.255.255", 67))
EOF
in_ns "$NS-far" python3 "$WORK/far.py" "${IFP}far" || fail "could not send the far-address requests"
sleep 1
kill -0 "${DAEMON_PID[2]}" 2>/dev/null || fail "the mips node died on requests for 200.0.0.1: $(tail -n 3 "$WORK/d2.log")"
ctl 2 -b >/dev/null || fail "the mips node does not answer after requests for 200.0.0.1"
pass "requests for an address 2^31 beyond the pool are handled on mips (no 32-bit Int trap)"

# Roaming: a client leased on the mips node moves to the native node, then to the mipsel node;
# each renewal (SIGUSR1: unicast REQUEST to the shared server address) keeps its address.
client_create r 2
lease r
ip_r=$(field r ip)
for to in 1 3; do
    client_move r "$to"
    before=$(grep -c . "$WORK/lease-r.log")
    kill -USR1 "$(cat "$WORK/udhcpc-r.pid")"
    wait_for 20 sh -c "[ \$(grep -c . '$WORK/lease-r.log') -gt $before ]" || fail "no renewal after moving to node $to"
    last=$(tail -n 1 "$WORK/lease-r.log")
    [[ $last == renew\ ip=$ip_r\ * ]] || fail "client r had $ip_r, after moving to node $to: '$last'"
    # The new node asked the owner (the mips node) over the mesh.
    [ "$(counter "$to" direct.send_renewlease)" -ge 1 ] || fail "node $to sent no RENEWLEASE for client r"
done
pass "roaming client kept $ip_r: mips node -> native node -> mipsel node"

# ---- 4. the portable source tarball, built without Swift ----
t=$(date +%s)
bash toolchain/mips/make-source-tarball.sh --out "$WORK" >/dev/null
mkdir "$WORK/tarball"
tar -xzf "$WORK/ddhcpd-portable-src.tar.gz" -C "$WORK/tarball"
timeout 300 make -s -C "$WORK/tarball/ddhcpd-portable-src" -j2 CC="${gcc_musl//$'\n'/ }" \
    LINK="$zig cc -target mips-linux-musleabi -mcpu=mips32r2 -Os" >"$WORK/tarball.log" 2>&1 ||
    fail "tarball build: $(grep -v non-abicalls "$WORK/tarball.log" | tail -n 5)"
bin=$WORK/tarball/ddhcpd-portable-src/ddhcpd
file "$bin" | grep -q 'MSB executable, MIPS.*statically linked' || fail "tarball build is not a static big-endian MIPS binary"
[ "$(qemu-mips-static "$bin" -V)" = "Revision: $(git rev-parse HEAD)" ] || fail "tarball binary -V: $(qemu-mips-static "$bin" -V 2>&1)"
pass "source tarball ($(stat -c %s "$WORK/ddhcpd-portable-src.tar.gz") bytes) built with gcc-mips + zig musl in $(( $(date +%s) - t )) s, runs -V"
step "done"

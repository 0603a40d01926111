#!/usr/bin/env bash
# The portable C source release on every gluon architecture, built without Swift and run under
# qemu-user (Tests/ci.d/46-portable.sh launches it; root, about 3 minutes on 2 cores):
#   1. the tarball (toolchain/portable/make-source-tarball.sh) is reproducible: a second build
#      from freshly generated C gives the same sha256; it holds no Swift and no host path; its
#      log limit is the OpenWrt package's default, and its Makefile refuses another;
#   2. a misconfigured host layer does not compile (byte order), and the import generator
#      refuses a pointer it cannot bound;
#   3. the OpenWrt package (openwrt-package/ddhcpd/Makefile, through tools/sdk-shim) builds the
#      tarball, checked against PKG_HASH, with TARGET_CC alone (the SDK stand-in of
#      toolchain/portable/standin-cc.sh) and no Swift toolchain for mips, mipsel, armv5
#      (soft-float), armv7 (hard-float), aarch64, powerpc (32-bit big-endian), i386 and x86_64
#      — a gluon build without Swift takes this route for every target; each binary is static and
#      for the right machine and byte order; a tarball with another sha256 is refused;
#   4. under qemu-user every binary's command line behaves exactly like the native build's: -V
#      (this commit), -h, the option parser's answers and errors, ddhcpdctl;
#   5. one namespace mesh: node 1 the native x86_64 build, nodes 2-9 one per architecture;
#      a busybox udhcpc client on each foreign node gets a lease from that node (with an -o
#      option), big-endian nodes survive requests for addresses 2^31 beyond the pool, and every
#      client roams to the native node and keeps its address there (RENEWLEASE to its owner).
# Every step is bounded in time; namespaces and processes are removed on exit (lib.sh).
# PORTABLE_ARCHES="mips powerpc" runs a subset.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
repo=$(pwd)
t_start=$(date +%s)
step() { echo "[portable $(( $(date +%s) - t_start ))s] $*"; }
die() { echo "portable: FAIL: $*" >&2; exit 1; }
read -ra arches <<<"${PORTABLE_ARCHES:-mips mipsel armv5 armv7 aarch64 powerpc i386 x86_64}"

for tool in wasm2c wasm-opt busybox make qemu-mips-static qemu-arm-static qemu-aarch64-static qemu-ppc-static qemu-i386-static; do
    command -v "$tool" >/dev/null || die "$tool missing (scripts/setup.sh)"
done
# The native build to compare with (incremental: 10-swift-test normally built it already).
timeout 900 swift build 2>&1 | tail -n 1
tmp=$(mktemp -d /var/tmp/ddhcpd-portable.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- 1. the tarball, twice ----
t=$(date +%s)
read -r tarball _ _ _ sha_a < <(bash toolchain/portable/make-source-tarball.sh --out "$tmp/a" | tail -n 1)
step "tarball $(basename "$tarball"): $(stat -c %s "$tarball") bytes, sha256 $sha_a ($(( $(date +%s) - t )) s)"
# Again from scratch (Swift -> wasm -> C regenerated, into another directory).
# shellcheck source=toolchain/embedded-swift.sh
source toolchain/embedded-swift.sh
rm -rf "$repo/.build-portable/gen-L$DDHCPD_RELEASE_LOG_LIMIT" "$repo/.build-portable/src-L$DDHCPD_RELEASE_LOG_LIMIT"
read -r tarball_b _ _ _ sha_b < <(bash toolchain/portable/make-source-tarball.sh --out "$tmp/b" | tail -n 1)
[ "$sha_a" = "$sha_b" ] || die "two tarball builds differ: $sha_a vs $sha_b ($(cmp "$tarball" "$tarball_b" | head -n 1))"
mkdir "$tmp/src"
tar -xzf "$tarball" -C "$tmp/src"
src=$(echo "$tmp"/src/ddhcpd-*)
[ -z "$(find "$src" -name '*.swift')" ] || die "the tarball contains Swift sources"
for f in Makefile VERSION REVISION LOG_LIMIT LICENSE README files/ddhcpd.init files/ddhcpd.config ddhcpd_wasm.c wasm-rt.h; do
    [ -f "$src/$f" ] || die "the tarball lacks $f"
done
[ "$(cat "$src/REVISION")" = "$(git rev-parse HEAD)" ] || die "REVISION is not this commit"
! grep -rlF -e "$repo" -e "$HOME" -e "$(hostname)" "$src" || die "host paths or names in the tarball (files above)"
# The limit the package's menuconfig defaults to; a build asking for another stops at once.
[ "$(cat "$src/LOG_LIMIT")" = "$DDHCPD_RELEASE_LOG_LIMIT" ] ||
    die "the tarball's log limit $(cat "$src/LOG_LIMIT") is not the OpenWrt package's default $DDHCPD_RELEASE_LOG_LIMIT"
other_limit=$(( (DDHCPD_RELEASE_LOG_LIMIT + 1) % 5 ))
if make -s -C "$src" LOG_LIMIT=$other_limit O="$tmp/no-obj" >"$tmp/limit.log" 2>&1 ||
   ! grep -q "\*\*\* ddhcpd: LOG_LIMIT=$other_limit, but this C was generated with log limit $DDHCPD_RELEASE_LOG_LIMIT.*Stop\." "$tmp/limit.log"; then
    die "make LOG_LIMIT=$other_limit did not stop on a tarball of limit $DDHCPD_RELEASE_LOG_LIMIT: $(tail -n 2 "$tmp/limit.log")"
fi
step "tarball reproducible (second build: same sha256), no Swift, no host paths, log limit $DDHCPD_RELEASE_LOG_LIMIT"

# ---- 2. misconfigurations stop the build ----
eval "$(bash toolchain/portable/standin-cc.sh mips)"
mips_cc=${CC// -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1/}
# shellcheck disable=SC2086  # mips_cc is a command line
host_errors() { $mips_cc -fsyntax-only -I "$src" "$@" "$src/rt.c" 2>&1 || true; }
# shellcheck disable=SC2086
$mips_cc -fsyntax-only -I "$src" -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1 "$src/rt.c" ||
    die "the host layer does not compile for big-endian mips"
host_errors -DWABT_BIG_ENDIAN=1 | grep -q 'do not build with WABT_BIG_ENDIAN' ||
    die "the host layer compiles with WABT_BIG_ENDIAN=1"
host_errors -EL -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1 | grep -q 'does not match' ||
    die "the host layer compiles for little-endian while big-endian was asked for"
gen_dir=$tmp/gen
mkdir "$gen_dir"
printf '#include <stdint.h>\nint32_t ddhcpd_main(int32_t argc, uint8_t **argv);\nint32_t ddhcp_fill(uint8_t *buf);\n' >"$gen_dir/h.h"
printf "/* import: 'env' 'ddhcp_fill' */\nu32 Z_envZ_ddhcp_fill(struct Z_env_instance_t*, u32);\n" >"$gen_dir/w.h"
gen_out=$(python3 toolchain/portable/host/gen-host.py --clang "$(command -v clang)" --wasm-header "$gen_dir/w.h" \
    --header "$gen_dir/h.h" -o "$gen_dir/imports.c" 2>&1) && gen_rc=0 || gen_rc=$?
if [ "$gen_rc" -eq 0 ] || ! grep -q 'ddhcp_fill: cannot bound byte pointer buf' <<<"$gen_out"; then
    die "gen-host.py accepted an unbounded byte pointer: $gen_out"
fi
step "host layer refuses misconfigured byte orders; gen-host.py refuses an unbounded pointer"

# ---- 3. the OpenWrt package from the tarball alone, per architecture (two at a time) ----
# openwrt-package/ddhcpd/Makefile through the SDK stand-in (openwrt-package/tools/sdk-shim): the
# tarball in DL_DIR checked against PKG_HASH, unpacked, built with TARGET_CC only (a wrapper
# around the stand-in compiler that compiles and links like an SDK's gcc). No Swift toolchain
# is visible (SWIFT_TOOLCHAIN points nowhere): auto must take the portable route everywhere.
declare -A QEMU_OF=() FILE_RE=(
    [mips]='MSB executable, MIPS, MIPS32 rel2' [mipsel]='LSB executable, MIPS, MIPS32 rel2'
    [armv5]='LSB executable, ARM, EABI5' [armv7]='LSB executable, ARM, EABI5' [aarch64]='LSB executable, ARM aarch64'
    [powerpc]='MSB executable, PowerPC'
    [i386]='LSB executable, Intel 80386' [x86_64]='LSB executable, x86-64')
declare -A OPENWRT_ARCH=([mips]="mips 24kc" [mipsel]="mipsel 24kc" [armv5]="arm arm926ej-s y"
    [armv7]="arm cortex-a7" [aarch64]="aarch64 cortex-a53"
    [powerpc]="powerpc 8540 y" [i386]="i386 pentium-mmx" [x86_64]="x86_64 x86-64")
mkdir "$tmp/dl"
cp "$tarball" "$tmp/dl/"
shim() {
    local a=$1; shift
    local ow_arch ow_cpu ow_sf
    read -r ow_arch ow_cpu ow_sf <<<"${OPENWRT_ARCH[$a]}"
    timeout 300 make -s -C openwrt-package/ddhcpd TOPDIR="$repo/openwrt-package/tools/sdk-shim" SHIM_WORK="$tmp/sdk-$a" \
        DL_DIR="$tmp/dl" SWIFT_TOOLCHAIN="$tmp/no-swift" ARCH="$ow_arch" CPU_TYPE="$ow_cpu" \
        CONFIG_SOFT_FLOAT="${ow_sf:-}" TARGET_CC="$tmp/cc-$a" TARGET_CFLAGS="-Os -pipe" TARGET_LDFLAGS="-s" \
        DDHCPD_RELEASE_HASH="$sha_a" "$@"
}
build_arch() {
    local a=$1
    bash toolchain/portable/standin-cc.sh "$a" --wrapper "$tmp/cc-$a"
    shim "$a" shim-compile >"$tmp/build-$a.log" 2>&1 ||
        { grep -v abicalls "$tmp/build-$a.log" | tail -n 5 >&2; return 1; }
    mkdir -p "$tmp/build-$a"
    cp "$(shim "$a" shim-var-DDHCPD_BINARY)" "$tmp/build-$a/ddhcpd"
}
t=$(date +%s)
pids=()
for a in "${arches[@]}"; do
    QEMU_OF[$a]=$(bash toolchain/portable/standin-cc.sh "$a" | sed -n 's/^QEMU=//p')
    build_arch "$a" & pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || die "build failed"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || die "build failed"; done
for a in "${arches[@]}"; do
    bin=$tmp/build-$a/ddhcpd
    desc=$(file -b "$bin")
    [[ $desc == *"${FILE_RE[$a]}"*"statically linked"* ]] || die "$a: not a static ${FILE_RE[$a]} binary: $desc"
    step "built $a by the OpenWrt package from the tarball: $(stat -c %s "$bin") bytes"
done
# A tarball that does not match PKG_HASH is refused before anything is built.
if shim x86_64 DDHCPD_RELEASE_HASH="$(printf '0%.0s' {1..64})" SHIM_WORK="$tmp/sdk-badhash" shim-compile >"$tmp/badhash.log" 2>&1 ||
   ! grep -q 'Hash mismatch' "$tmp/badhash.log"; then
    die "the package accepted a tarball that does not match PKG_HASH: $(tail -n 3 "$tmp/badhash.log")"
fi
step "the OpenWrt package built the tarball for ${arches[*]} with TARGET_CC only, no Swift ($(( $(date +%s) - t )) s); a wrong PKG_HASH is refused"

# ---- 4. command line under qemu: identical to native ----
DDHCPD=$repo/.build/debug/ddhcpd
# shellcheck source=Tests/integration/lib.sh
source Tests/integration/lib.sh
native=$DDHCPD
mkdir -p "$WORK/native" && ln -s "$native" "$WORK/native/ddhcpdctl"
for a in "${arches[@]}"; do
    mkdir -p "$WORK/$a"
    # `-0` keeps argv[0], so the ddhcpdctl symlink selects the control client.
    # shellcheck disable=SC2016  # $0 and $@ belong to the wrapper
    printf '#!/bin/sh\nexec %s -0 "$0" "%s" "$@"\n' "${QEMU_OF[$a]}" "$tmp/build-$a/ddhcpd" >"$WORK/$a/ddhcpd"
    chmod +x "$WORK/$a/ddhcpd"
    ln -s "$WORK/$a/ddhcpd" "$WORK/$a/ddhcpdctl"
done
# run BIN ARGS… — "status<TAB>output" of one invocation (10 s at most), without getopt's own
# diagnostic line (its wording is the libc's: glibc natively, musl on the targets).
run() {
    local rc=0 o
    o=$(timeout 10 "$@" 2>&1) || rc=$?
    printf '%s\t%s' "$rc" "$(grep -vE ': (invalid|unrecognized) option|option requires an argument' <<<"$o")"
}
cases=(
    "-h" "-X" "-t 1" "-N 10.0.0.0" "-N 10.0.0.0/7" "-N 10.0.0.0/" "-B 0" "-b 8"
    "-o 3:4:10.0.0" "-o 3" "-o 3:4:10.0.0.1:5" "-o 300:1:1" "-o 3:4:10.0.0.1 -o 6:4:1.2.3.4 -N 10.0.0.0/7"
    "-I 0123" "-I 0123456789abcdeF -N 1.2.3.4/33" "-E middle" "-E be -b 8" "-Z"
)
native_out=() native_ctl=()
ctl_cases=("-h" "" "-t 5" "-o 3:4:1.2" "-C $WORK/none -b" "-X")
for c in "${cases[@]}"; do
    # shellcheck disable=SC2086  # the case is a list of arguments
    native_out[${#native_out[@]}]=$(run "$native" $c)
done
for c in "${ctl_cases[@]}"; do
    # shellcheck disable=SC2086
    native_ctl[${#native_ctl[@]}]=$(run "$WORK/native/ddhcpdctl" $c)
done
for a in "${arches[@]}"; do
    for i in "${!cases[@]}"; do
        # shellcheck disable=SC2086
        got=$(run "$WORK/$a/ddhcpd" ${cases[$i]})
        [ "$got" = "${native_out[$i]}" ] || fail "$a: 'ddhcpd ${cases[$i]}' gave [$got], native gave [${native_out[$i]}]"
    done
    for i in "${!ctl_cases[@]}"; do
        # shellcheck disable=SC2086
        got=$(run "$WORK/$a/ddhcpdctl" ${ctl_cases[$i]})
        [ "$got" = "${native_ctl[$i]}" ] || fail "$a: 'ddhcpdctl ${ctl_cases[$i]}' gave [$got], native gave [${native_ctl[$i]}]"
    done
    for prog in ddhcpd ddhcpdctl; do
        [ "$(run "$WORK/$a/$prog" -V)" = "0	Revision: $(git rev-parse HEAD)" ] ||
            fail "$a: $prog -V does not report this commit: $(run "$WORK/$a/$prog" -V)"
    done
done
pass "command line (-V, -h, option parser, ddhcpdctl) identical to native on ${arches[*]}"

# ---- 5. one mesh: node 1 native, one node per architecture ----
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
node_create 1
fast=(-L -b 2 -B 8 -t 2)  # block size 4, tentative 2 s, block timeout 8 s (as mesh.sh)
daemon_start 1 "${fast[@]}"
declare -A NODE_OF=()
n=1
for a in "${arches[@]}"; do
    n=$((n + 1)) NODE_OF[$a]=$n
    node_create "$n"
    DDHCPD=$WORK/$a/ddhcpd daemon_start "$n" "${fast[@]}" -o 42:4:10.0.0.42
done
step "mesh: native node 1, ${arches[*]} as nodes 2-$n"

# start_client NAME — udhcpc for client NAME in the background.
start_client() {
    ip netns exec "$NS-$1" env LEASES_LOG="$WORK/lease-$1.log" busybox udhcpc -f -i "$IFP$1" \
        -s "$WORK/udhcpc.sh" -t 20 -T 1 -A 1 -O ntpsrv -p "$WORK/udhcpc-$1.pid" \
        >>"$WORK/udhcpc-$1.log" 2>&1 &
    BG_PIDS+=($!)
}
field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$WORK/lease-$1.log" | tail -n 1; }
for a in "${arches[@]}"; do client_create "c$a" "${NODE_OF[$a]}"; start_client "c$a"; done
declare -A IP_OF=()
for a in "${arches[@]}"; do
    i=${NODE_OF[$a]}
    wait_for 40 grep -q '^bound' "$WORK/lease-c$a.log" || fail "the client of the $a node got no lease"
    ip=$(field "c$a" ip) IP_OF[$a]=$ip
    [ "$(field "c$a" ntpsrv)" = 10.0.0.42 ] || fail "$a: no option 42 in the lease: $(cat "$WORK/lease-c$a.log")"
    # The address lies in a block the foreign node owns (it leased it, not the native node).
    last=${ip##*.} blk=$(( ${ip##*.} / 4 ))
    owned "$i" | grep -qx "$blk" || fail "$a: client got $ip (block $blk, octet $last), not from a block of node $i: $(owned "$i" | tr '\n' ' ')"
    [ "$(lease_state "$i" "$ip" | cut -d' ' -f1)" = leased ] || fail "$a: node $i does not list $ip as leased: $(ctl "$i" -e)"
done
pass "every client got its lease from its foreign node (${arches[*]}), with the -o option"

# 32-bit Int: addresses far outside the pool (200.0.0.1 - 10.0.0.0 >= 2^31) in DHCP requests
# must be dropped or refused, not trap (Int is 32 bits wide in the wasm32 module).
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
for a in "${arches[@]}"; do
    client_create "f$a" "${NODE_OF[$a]}"
    in_ns "$NS-f$a" python3 "$WORK/far.py" "${IFP}f$a" || fail "could not send the far-address requests to $a"
done
sleep 1
for a in "${arches[@]}"; do
    i=${NODE_OF[$a]}
    kill -0 "${DAEMON_PID[$i]}" 2>/dev/null || fail "the $a node died on requests for 200.0.0.1: $(tail -n 3 "$WORK/d$i.log")"
    ctl "$i" -b >/dev/null || fail "the $a node does not answer after requests for 200.0.0.1"
done
pass "requests for an address 2^31 beyond the pool are handled on every architecture"

# Roaming: every client moves to the native node; its renewal (SIGUSR1: unicast REQUEST to the
# shared server address) keeps its address, the native node asking the owner over the mesh.
sent_before=$(counter 1 direct.send_renewlease)
declare -A LINES_OF=()
for a in "${arches[@]}"; do
    client_move "c$a" 1
    LINES_OF[$a]=$(grep -c . "$WORK/lease-c$a.log")
    kill -USR1 "$(cat "$WORK/udhcpc-c$a.pid")"
done
for a in "${arches[@]}"; do
    wait_for 20 sh -c "[ \$(grep -c . '$WORK/lease-c$a.log') -gt ${LINES_OF[$a]} ]" ||
        fail "$a: no renewal after roaming to the native node"
    last=$(tail -n 1 "$WORK/lease-c$a.log")
    [[ $last == renew\ ip=${IP_OF[$a]}\ * ]] || fail "$a: client had ${IP_OF[$a]}, after roaming: '$last'"
done
sent=$(( $(counter 1 direct.send_renewlease) - sent_before ))
[ "$sent" -ge "${#arches[@]}" ] || fail "the native node sent $sent RENEWLEASEs for ${#arches[@]} roaming clients"
pass "every client roamed from its foreign node to the native node and kept its address ($sent RENEWLEASEs)"
step "done"

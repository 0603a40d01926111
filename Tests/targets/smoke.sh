#!/usr/bin/env bash
# Smoke test of the cross-built binaries: out/{x86_64,aarch64,armv7}/ddhcpd, the foreign ones
# under qemu-user. Build them first (toolchain/build.sh TARGET, or ./size-report.sh).
#
# 1. Command line on every arch: -V, -h, the -o parser (a bad -o exits 1, a good one is
#    accepted), ddhcpdctl (the same binary under that name).
# 2. A mesh: one daemon per arch, each in its own network namespace with `server0` on a shared
#    bridge (IPv6 link-local only) and `client0` towards a client namespace. Each node must own
#    a block; its client (busybox udhcpc) must get a lease from that block carrying the -o
#    options; every node's own `ddhcpdctl -b` must list the other nodes' blocks as CLAIMED
#    (state 2) by their ids; no block may be owned twice; SIGTERM must stop every daemon
#    promptly and cleanly (exit 0, control socket removed).
#
# Needs root. Bounded time (SMOKE_TIMEOUT, default 180 s); namespaces, processes and temporary
# files are removed on every exit. ARCHES="x86_64 armv7" limits the set (the mesh needs two).
set -euo pipefail
limit=${SMOKE_TIMEOUT:-180}
# Time bound: run under timeout(1), whose SIGTERM triggers the cleanup below.
[ -n "${DDHCPD_SMOKE_BOUNDED:-}" ] || DDHCPD_SMOKE_BOUNDED=1 exec timeout "$limit" bash "$0" "$@"
root=$(cd "$(dirname "$0")/../.." && pwd)
read -ra arches <<<"${ARCHES:-x86_64 aarch64 armv7}"

fails=0 checks=0
ok() { checks=$((checks + 1)); echo "  ok   $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "  FAIL $*"; }
die() { echo "smoke-test: $*" >&2; exit 1; }

runner() {   # the command prefix that executes a binary of arch $1 here
    case "$1" in
        x86_64) [ "$(uname -m)" = x86_64 ] || echo qemu-x86_64-static ;;
        aarch64) echo qemu-aarch64-static ;;
        armv7) echo qemu-arm-static ;;
        *) die "no runner for $1" ;;
    esac
}
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for a in "${arches[@]}"; do
    [ -x "$root/out/$a/ddhcpd" ] || die "out/$a/ddhcpd missing: run toolchain/build.sh $a"
    [ -L "$root/out/$a/ddhcpdctl" ] || die "out/$a/ddhcpdctl symlink missing"
    r=$(runner "$a")
    [ -z "$r" ] || command -v "$r" >/dev/null || die "$r missing: run toolchain/install-deps.sh"
done

# --- namespaces, clean-up and time bound (Tests/lib/netns.sh) -----------------------------------
# shellcheck source=Tests/lib/netns.sh
source "$root/Tests/lib/netns.sh"
tmp=$(netns_work_dir smoke)
prefix=$NETNS_PREFIX
remove_tmp() { rm -rf "$tmp"; }
netns_on_exit remove_tmp
trap 'echo "smoke-test: time limit of ${limit}s reached" >&2; exit 1' TERM INT

# run ARCH PROGRAM ARGS… : runs out/ARCH/PROGRAM (ddhcpd or ddhcpdctl); sets $out and $rc
run() {
    local a=$1 prog=$2 r; shift 2
    r=$(runner "$a")
    rc=0
    # shellcheck disable=SC2086  # $r is empty or one word
    out=$(timeout 20 $r "$root/out/$a/$prog" "$@" 2>&1) || rc=$?
}
revision_ok() { [ "$rc" -eq 0 ] && [[ "$out" == "Revision: "* ]]; }

# --- 1. command line --------------------------------------------------------------------------
echo "command line:"
for a in "${arches[@]}"; do
    for prog in ddhcpd ddhcpdctl; do
        run "$a" "$prog" -V
        if revision_ok; then ok "$a $prog -V: $out"; else bad "$a $prog -V: rc=$rc '$out'"; fi
    done
    run "$a" ddhcpd -h
    if [ $rc -eq 0 ] && grep -q -- '-N' <<<"$out" && grep -q -- '-o' <<<"$out"; then
        ok "$a ddhcpd -h ($(wc -l <<<"$out") lines of usage)"
    else bad "$a ddhcpd -h: rc=$rc '$out'"; fi
    run "$a" ddhcpdctl -h
    if [ $rc -eq 0 ] && grep -q -- '-b' <<<"$out"; then ok "$a ddhcpdctl -h"
    else bad "$a ddhcpdctl -h: rc=$rc '$out'"; fi
    # Too few payload bytes, no payload, no ':' at all: each is an error (exit 1) that comes
    # before -V is reached.
    for bad_o in 51:4:0.0.1 51:4 51; do
        run "$a" ddhcpd -o "$bad_o" -V
        if [ $rc -eq 1 ] && [[ "$out" != *Revision* ]]; then ok "$a ddhcpd -o $bad_o: exit 1"
        else bad "$a ddhcpd -o $bad_o: rc=$rc '$out' (want exit 1)"; fi
    done
    run "$a" ddhcpd -o 51:4:0.0.1.44 -o 3:4:10.0.0.1 -o 6:4:0x0a.0.0.012 -V
    if revision_ok; then ok "$a ddhcpd with good -o options: accepted"
    else bad "$a ddhcpd with good -o options: rc=$rc '$out'"; fi
    run "$a" ddhcpdctl -C "$tmp/none" -o 3:4:10.0.0
    if [ $rc -eq 1 ]; then ok "$a ddhcpdctl -o bad: exit 1"
    else bad "$a ddhcpdctl -o bad: rc=$rc '$out' (want exit 1)"; fi
done

# --- 2. mesh ----------------------------------------------------------------------------------
mesh() {
    echo "mesh (${arches[*]}):"
    local hub=$prefix-hub i j a n c r
    netns_add "$hub"
    netns_bridge "$hub" br0
    cat >"$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
# busybox udhcpc event script: record the lease, configure nothing.
[ "$1" = bound ] && echo "ip=$ip subnet=$subnet dns=$dns serverid=$serverid lease=$lease" >"$LEASE_FILE"
exit 0
EOF
    chmod +x "$tmp/udhcpc.sh"

    ids=() daemon_pids=()
    for i in "${!arches[@]}"; do
        a=${arches[$i]} n=$prefix-n$i c=$prefix-c$i
        ids[i]=$(printf '00000000000000%02X' $((0xA0 + i)))
        netns_add "$n"   # no duplicate address detection: the link-local address is usable at once
        netns_add "$c"
        netns_veth "$n" server0 "$hub" "s$i"
        ip -n "$hub" link set "s$i" master br0 up
        netns_veth "$n" client0 "$c" eth0
        ip -n "$n" addr add 10.0.0.1/16 dev client0
        for l in server0 client0; do ip -n "$n" link set "$l" up; done
        ip -n "$c" link set eth0 up
        r=$(runner "$a")
        # 16 blocks of 16 addresses; T = 2 s (housekeeping every second), B = 20 s.
        # shellcheck disable=SC2086
        ip netns exec "$n" $r "$root/out/$a/ddhcpd" -L -D -v -t 2 -B 20 -b 4 -N 10.0.0.0/24 \
            -i server0 -c client0 -C "$tmp/ctl$i" -I "${ids[i]}" -o 6:4:10.0.0.53 -o 51:4:0.0.2.88 \
            >"$tmp/ddhcpd$i.log" 2>&1 &
        daemon_pids[i]=$!; netns_track_pid $!
    done

    # ctl I ARGS… : node I's own ddhcpdctl (its arch) on its control socket; sets $out, $rc
    ctl() { local i=$1; shift; run "${arches[$i]}" ddhcpdctl -C "$tmp/ctl$i" "$@"; }
    rows() { awk -F'\t' 'p && NF >= 6 { print } /^index\tstate/ { p = 1 }' <<<"$out"; }
    owns_block() { ctl "$1" -b; [ -n "$(rows | awk -F'\t' '$2 == 4')" ]; }
    sees_others() {   # every other node's id appears as the owner of a CLAIMED block
        local i=$1 j
        ctl "$i" -b
        for j in "${!arches[@]}"; do
            [ "$j" = "$i" ] && continue
            rows | awk -F'\t' -v id="${ids[j]}" '$2 == 2 && $3 == id { f = 1 } END { exit !f }' || return 1
        done
    }
    # until_deadline SECONDS COMMAND… : polls COMMAND every 0.5 s until it succeeds or time is up
    until_deadline() {
        local end=$(( $(date +%s) + $1 )); shift
        until "$@"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.5; done
    }
    dump_logs() {
        for i in "${!arches[@]}"; do echo "--- ddhcpd log ${arches[$i]}:"; tail -n 15 "$tmp/ddhcpd$i.log"; done
    }

    local all_own=1 start; start=$(date +%s)
    for i in "${!arches[@]}"; do
        if until_deadline $(( start + 40 - $(date +%s) )) owns_block "$i"; then
            ok "${arches[$i]} node ${ids[i]} owns block(s) $(rows | awk -F'\t' '$2 == 4 { printf "%s ", $1 }')"
        else
            bad "${arches[$i]} node ${ids[i]} owns no block after 40 s (ddhcpdctl -b rc=$rc)"; all_own=0
        fi
    done
    [ $all_own -eq 1 ] || { dump_logs; return; }

    local client_pids=() crc lease ip block row
    for i in "${!arches[@]}"; do
        LEASE_FILE=$tmp/lease$i ip netns exec "$prefix-c$i" timeout 40 \
            busybox udhcpc -f -q -n -i eth0 -t 15 -T 2 -A 1 -r 200.0.0.1 -s "$tmp/udhcpc.sh" >"$tmp/udhcpc$i.log" 2>&1 &
        client_pids[i]=$!; netns_track_pid $!
    done
    for i in "${!arches[@]}"; do
        a=${arches[$i]} crc=0
        wait "${client_pids[i]}" || crc=$?
        lease=$(cat "$tmp/lease$i" 2>/dev/null || true)
        if [ $crc -ne 0 ] || [ -z "$lease" ]; then
            bad "$a client got no lease (udhcpc rc=$crc): $(tail -n 3 "$tmp/udhcpc$i.log" | tr '\n' ' ')"
            continue
        fi
        # Options from the command line (-o 6, -o 51) and the defaults for /24 (mask, server id).
        if [[ "$lease" == *"subnet=255.255.255.0 dns=10.0.0.53 serverid=10.0.0.1 lease=600" ]]; then
            ok "$a client lease: $lease"
        else bad "$a client lease lacks the configured options: $lease"; fi
        # The address must come from a block this node owns, which now holds one leased address.
        ip=$(sed -n 's/^ip=\([0-9.]*\) .*/\1/p' <<<"$lease")
        block=$(( ${ip##*.} / 16 ))
        ctl "$i" -b
        row=$(rows | awk -F'\t' -v b="$block" '$1 == b')
        if [ "$(cut -f2 <<<"$row")" = 4 ] && [ "$(cut -f5 <<<"$row")" = 0/1 ]; then
            ok "$a lease $ip lies in its own block $block (leases offered/leased 0/1)"
        else bad "$a lease $ip: block $block row is '$row'"; fi
    done

    for i in "${!arches[@]}"; do
        if until_deadline 20 sees_others "$i"; then
            ok "${arches[$i]} ddhcpdctl -b: the other nodes' blocks are CLAIMED by their ids"
        else
            bad "${arches[$i]} ddhcpdctl -b lacks the other nodes' claims:"$'\n'"$out"
        fi
    done
    local owned
    owned=$(for i in "${!arches[@]}"; do ctl "$i" -b; rows | awk -F'\t' '$2 == 4 { print $1 }'; done | sort)
    if [ -z "$(uniq -d <<<"$owned")" ]; then ok "no block owned twice (owned: $(tr '\n' ' ' <<<"$owned"))"
    else bad "blocks owned twice: $(uniq -d <<<"$owned" | tr '\n' ' ')"; fi

    # Prompt, clean shutdown on SIGTERM (D-22): exit 0 within 3 s, control socket removed.
    local p drc
    for i in "${!arches[@]}"; do kill -TERM "${daemon_pids[i]}"; done
    for i in "${!arches[@]}"; do
        a=${arches[$i]} p=${daemon_pids[i]} drc=0
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$p" 2>/dev/null; then bad "$a daemon still running 3 s after SIGTERM"; continue; fi
        wait "$p" || drc=$?
        if [ $drc -eq 0 ] && [ ! -e "$tmp/ctl$i" ]; then ok "$a daemon: SIGTERM → exit 0, control socket removed"
        else bad "$a daemon: exit $drc after SIGTERM, control socket $([ -e "$tmp/ctl$i" ] && echo left behind || echo removed)"; fi
    done
    [ $fails -eq 0 ] || dump_logs
}

if [ ${#arches[@]} -ge 2 ]; then mesh; else echo "mesh: skipped (needs two arches)"; fi

echo "smoke-test: $((checks - fails)) passed, $fails failed"
[ $fails -eq 0 ]

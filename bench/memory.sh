#!/usr/bin/env bash
# Memory of one daemon: resident set and private dirty pages, and heap allocations per DHCP
# transaction in steady state.
#
# RSS: VmRSS and VmHWM (peak) from /proc/PID/status, Private_Dirty from /proc/PID/smaps_rollup
# (the memory that is really this process's own: heap, stacks, written data; shared library
# text is not in it). Configurations: gluon (-N 10.116.224.0/20 -b 2, 1024 blocks) and a /16
# pool (-N 10.0.0.0/16 -b 2, 16384 blocks); each idle (after the first block is owned) and under
# perfdhcp load (1000 clients at 500 DORA/s), then idle again after the load.
#
# Allocations: the daemon runs with LD_PRELOAD=malloc-count.so (bench/malloc-count.c, compiled
# here), which counts malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign/free into a
# shared file. After a warm-up (50 clients have leases, no block is CLAIMING), the same 50
# clients repeat DORA at 200/s; allocations per DORA = Δallocations / ACKs sent (daemon
# statistics). Idle allocations per second are measured over an equal window without clients.
# Only possible for a dynamically linked binary (the host build); a static binary gets "n/a".
# In the same window: the daemon's CPU time per DHCP packet (scheduler accounting,
# /proc/PID/schedstat, divided by the DISCOVERs and REQUESTs perfdhcp sent), any binary.
#
# Per mapping (bench/smaps.py): the idle resident set split into text, rodata, data+bss, heap,
# stack, anonymous mmaps, reservations of 4 MiB or more (the portable route's wasm memory) and
# other files, Rss and Private_Dirty each.
#
# Usage: bench/memory.sh [--bin PATH] [--compare PATH] [--quick] [--results FILE]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"
PERFDHCP=$(command -v perfdhcp) || bench_die "perfdhcp not found (scripts/setup.d/60-bench.sh installs kea-admin)"
CC=${CC:-cc}
SHIM=$WORK/malloc-count.so
$CC -O2 -shared -fPIC -o "$SHIM" "$BENCH_DIR/malloc-count.c" || bench_die "cannot compile malloc-count.c"

if [ "$QUICK" = 1 ]; then LOAD_S=2; IDLE_S=2; else LOAD_S=10; IDLE_S=10; fi
ARGS=(-L -t 2 -B 20 -s 64)
CONFIGS=("gluon /20 -b 2|-N 10.116.224.0/20 -b 2" "/16 -b 2|-N 10.0.0.0/16 -b 2")
mesh_create 1
perfdhcp_broadcast_fallback 0
B=memory

# mem_sample PID → "rss_kb hwm_kb private_dirty_kb"
mem_sample() {
    local pid=$1
    local rss hwm pd
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
    hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status")
    pd=$(awk '$1 == "Private_Dirty:" { print $2 }' "/proc/$pid/smaps_rollup")
    echo "$rss $hwm $pd"
}

# smaps_emit PID PREFIX: the resident set per kind of mapping (bench/smaps.py: text, rodata,
# data+bss, heap, stack, anonymous mmaps, large reservations such as wasm memory, other files),
# Rss and Private_Dirty of each; kinds with nothing resident in either daemon still get a row.
smaps_emit() {
    local kind rss pd
    while read -r kind rss pd; do
        [ "$kind" = total ] && continue
        emit $B "$2 smaps $kind: Rss" kB "$side" "$rss"
        emit $B "$2 smaps $kind: Private_Dirty" kB "$side" "$pd"
    done < <(python3 "$BENCH_DIR/smaps.py" "$1")
}

settle() {
    local bin=$1 label=$2
    for _ in $(seq 60); do
        [ "$(owned_blocks "$bin" "$label")" -ge 1 ] && [ "$(claiming_blocks "$bin" "$label")" -eq 0 ] && return 0
        sleep 0.25
    done
    bench_log "warning: $label not settled"
}

load() {   # load RATE SECONDS CLIENTS
    timeout $(($2 + 15)) ip netns exec "${CLI_NS[0]}" "$PERFDHCP" -4 -l cl0 -r "$1" -p "$2" -R "$3" -W 300000 \
        >"$WORK/load.out" 2>&1
    local rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || { tail -n 3 "$WORK/load.out" >&2; return 1; }
}

rss_run() {
    local side=$1 name=$2 pool=$3 bin label
    bin=$(bench_bin "$side"); label=mem-$side-$RANDOM
    # shellcheck disable=SC2086
    daemon_start "$label" 0 "$bin" "${ARGS[@]}" $pool || return 1
    local pid=$DAEMON_PID
    settle "$bin" "$label"; sleep 1
    read -r rss hwm pd <<<"$(mem_sample "$pid")"
    emit $B "$name idle: VmRSS" kB "$side" "$rss"
    emit $B "$name idle: Private_Dirty" kB "$side" "$pd"
    smaps_emit "$pid" "$name idle"
    load 500 "$LOAD_S" 1000 || return 1
    read -r rss hwm pd <<<"$(mem_sample "$pid")"
    emit $B "$name after load: VmHWM (peak)" kB "$side" "$hwm"
    emit $B "$name after load: Private_Dirty" kB "$side" "$pd"
    emit $B "$name after load: blocks owned" blocks "$side" "$(owned_blocks "$bin" "$label")"
    sleep 2
    read -r rss hwm pd <<<"$(mem_sample "$pid")"
    emit $B "$name idle again: VmRSS" kB "$side" "$rss"
    daemon_stop "$pid"
}

counter() { od -A n -t u8 -j $((8 * $2)) -N 8 "$1" | tr -d ' '; }   # counter FILE INDEX
ALLOCS=7 FREES=6

alloc_run() {
    local side=$1 bin label cnt
    bin=$(bench_bin "$side"); label=alloc-$side-$RANDOM; cnt=$WORK/$label.cnt
    local preload=()
    if readelf -l "$bin" 2>/dev/null | grep -q "Requesting program interpreter"; then
        preload=(LD_PRELOAD="$SHIM" BENCH_MALLOC_FILE="$cnt")
    else
        bench_log "$bin is statically linked: no LD_PRELOAD allocation count (idle CPU only)"
        printf '%*s' 64 '' | tr ' ' '\0' >"$cnt"   # counters stay 0; reported as n/a below
    fi
    local ctlbin; ctlbin=$(ctl_path "$bin")
    NETNS_DAEMON_ENV=("${preload[@]}")
    daemon_start "$label" 0 "$bin" "${ARGS[@]}" -N 10.116.224.0/20 -b 2 || return 1
    NETNS_DAEMON_ENV=()
    local pid=$DAEMON_PID
    settle "$bin" "$label"
    [ ${#preload[@]} -gt 0 ] && emit $B "allocations during start-up (until first block owned)" 1 "$side" "$(counter "$cnt" $ALLOCS)"
    load 100 2 50 || return 1
    settle "$bin" "$label"
    local i0 i1 a0 a1 f0 f1 acks
    # schedstat: CPU ns, wait ns, number of times the process ran (≈ wake-ups).
    local s0 s1
    s0=$(cat "/proc/$pid/schedstat")
    i0=$(counter "$cnt" $ALLOCS); sleep "$IDLE_S"; i1=$(counter "$cnt" $ALLOCS)
    s1=$(cat "/proc/$pid/schedstat")
    emit $B "idle (-t 2): wake-ups per second" 1/s "$side" \
        "$(fcalc "round(($(echo "$s1" | cut -d' ' -f3) - $(echo "$s0" | cut -d' ' -f3)) / $IDLE_S, 2)")"
    emit $B "idle (-t 2): CPU per minute" ms "$side" \
        "$(fcalc "round(($(echo "$s1" | cut -d' ' -f1) - $(echo "$s0" | cut -d' ' -f1)) / 1e6 * 60 / $IDLE_S, 2)")"
    "$ctlbin" -C "$WORK/$label.ctl" -S >/dev/null
    a0=$(counter "$cnt" $ALLOCS); f0=$(counter "$cnt" $FREES)
    local c0 c1 sent
    c0=$(cpu_ns "$pid")
    load 200 "$LOAD_S" 50 || return 1
    c1=$(cpu_ns "$pid")
    a1=$(counter "$cnt" $ALLOCS); f1=$(counter "$cnt" $FREES)
    # CPU per DHCP packet: the daemon's CPU time over the load window / DISCOVERs + REQUESTs
    # perfdhcp sent (the same count for any daemon, statistics or not).
    sent=$(python3 "$BENCH_DIR/perfdhcp_report.py" "$WORK/load.out" | awk -F= '$1 == "do_sent" || $1 == "ra_sent" { n += $2 } END { print n + 0 }')
    if [ "$sent" -gt 0 ]; then
        emit $B "CPU per DHCP packet (200 DORA/s, 50 clients)" µs "$side" "$(fcalc "round(($c1 - $c0) / 1000.0 / $sent, 2)")"
    else
        emit $B "CPU per DHCP packet (200 DORA/s, 50 clients)" µs "$side" nan
    fi
    "$ctlbin" -C "$WORK/$label.ctl" -s >"$WORK/$label.stats"
    acks=$(stat_of "$WORK/$label.stats" dhcp.send_ack)
    if [ ${#preload[@]} -eq 0 ]; then
        emit $B "allocations per DORA (steady state)" 1 "$side" nan
        daemon_stop "$pid"; return 0
    fi
    emit $B "allocations per idle second" 1/s "$side" "$(fcalc "round(($i1 - $i0) / $IDLE_S, 2)")"
    if [ -n "$acks" ] && [ "$acks" -gt 0 ]; then
        emit $B "allocations per DORA (steady state)" 1 "$side" "$(fcalc "round(($a1 - $a0) / $acks, 2)")"
        emit $B "frees per DORA (steady state)" 1 "$side" "$(fcalc "round(($f1 - $f0) / $acks, 2)")"
    else
        emit $B "allocations per DORA (steady state)" 1 "$side" nan
    fi
    bench_log "alloc ($side): idle $((i1 - i0)) allocs in ${IDLE_S}s; load $((a1 - a0)) allocs, $((f1 - f0)) frees for ${acks:-?} ACKs"
    daemon_stop "$pid"
}

for c in "${CONFIGS[@]}"; do
    IFS='|' read -r name pool <<<"$c"
    for side in $(bench_sides); do rss_run "$side" "$name" "$pool" || exit 1; done
done
for side in $(bench_sides); do alloc_run "$side" || exit 1; done

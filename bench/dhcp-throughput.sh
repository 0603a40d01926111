#!/usr/bin/env bash
# DHCP throughput and latency of one daemon, measured with Kea's perfdhcp.
#
# Topology: node namespace (server0 into an otherwise empty mesh bridge, client0 10.254.0.1/24)
# and a client namespace (cl0 10.254.0.2/24) on the other end of client0's veth. perfdhcp runs
# there with `-l cl0` and acts as a relay: DISCOVER/REQUEST broadcast with giaddr 10.254.0.2 and
# source port 67; the daemon answers giaddr:67 (docs/decisions.md D-21). For a daemon without relay
# support (the C ddhcpd broadcasts to port 68, docs/protocol.md#reply-destination) an iptables DNAT
# in the client namespace hands those broadcasts to perfdhcp's socket (lib.sh
# perfdhcp_broadcast_fallback).
#
# Daemon: -L -t 2 -B 20 -N 10.116.224.0/20 -b 2 (gluon pool and block size, short timers).
# 1. rate sweep, 100 clients (-R 100), -s 128 so the blocks for them are claimed before the
#    sweep (warm-up until nothing is CLAIMING): completed DORA/s, drops, latency percentiles
#    of DISCOVER→OFFER and REQUEST→ACK, daemon CPU time per received DHCP packet
#    (/proc/PID/schedstat; a DORA is two packets in, two out).
# 2. many clients, 2000 MACs (-R 2000), default spare leases (2): the daemon claims blocks while
#    serving; completed DORA/s, drops, blocks owned at the end.
# Every number comes from perfdhcp's report and is cross-checked with the daemon's own
# statistics (ddhcpdctl -s, docs/protocol.md#statistics): dhcp.send_offer / dhcp.send_ack.
#
# Usage: bench/dhcp-throughput.sh [--bin PATH] [--compare PATH] [--quick] [--results FILE]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"
PERFDHCP=$(command -v perfdhcp) || bench_die "perfdhcp not found (scripts/setup.d/60-bench.sh installs kea-admin)"

if [ "$QUICK" = 1 ]; then
    RATES="200 1000"; PERIOD=2; MANY_PERIOD=6; ROUNDS=1   # ≥ 1 claim (3 s) + DORA
else
    RATES="100 1000 2000 4000 8000"; PERIOD=5; MANY_PERIOD=20; ROUNDS=2
fi
DAEMON_ARGS=(-L -t 2 -B 20 -N 10.116.224.0/20 -b 2)
mesh_create 1
perfdhcp_broadcast_fallback 0
B=dhcp

# perfdhcp_run OUT RATE PERIOD CLIENTS: runs perfdhcp in the client namespace (bounded).
perfdhcp_run() {
    local out=$1 rate=$2 period=$3 clients=$4
    timeout $((period + 15)) ip netns exec "${CLI_NS[0]}" "$PERFDHCP" -4 -l cl0 -r "$rate" \
        -p "$period" -R "$clients" -W 300000 -x t >"$out" 2>&1
    local rc=$?
    # 0 = all exchanges completed, 3 = some were not: both are measurements.
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
        echo "bench: perfdhcp failed (rc $rc):" >&2; tail -n 5 "$out" >&2; return 1
    fi
}

# wait_settled BIN LABEL MIN_OWNED LIMIT_S: until ≥ MIN_OWNED blocks are OURS and none CLAIMING.
wait_settled() {
    local bin=$1 label=$2 min=$3 limit=$4
    for _ in $(seq $((limit * 5))); do
        if [ "$(owned_blocks "$bin" "$label")" -ge "$min" ] && [ "$(claiming_blocks "$bin" "$label")" -eq 0 ]; then
            return 0
        fi
        sleep 0.2
    done
    bench_log "warning: $label not settled after ${limit}s (owned $(owned_blocks "$bin" "$label"))"
}

# measure SIDE LABEL RATE PERIOD CLIENTS TAGPREFIX: one perfdhcp run against the running daemon.
measure() {
    local side=$1 label=$2 rate=$3 period=$4 clients=$5 mprefix=$6 bin
    bin=$(bench_bin "$side")
    ctl "$bin" "$label" -S >/dev/null   # read and reset the counters
    local c0; c0=$(cpu_ns "$DAEMON_PID")
    perfdhcp_run "$WORK/pd.out" "$rate" "$period" "$clients" || return 1
    local c1; c1=$(cpu_ns "$DAEMON_PID")
    ctl "$bin" "$label" -s >"$WORK/stats.txt"
    python3 "$BENCH_DIR/perfdhcp_report.py" "$WORK/pd.out" >"$WORK/pd.kv"
    local rate_got do_sent ra_recv do_recv offers acks
    kv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$WORK/pd.kv"; }
    rate_got=$(kv rate); do_sent=$(kv do_sent); do_recv=$(kv do_recv); ra_recv=$(kv ra_recv)
    offers=$(stat_of "$WORK/stats.txt" dhcp.send_offer); acks=$(stat_of "$WORK/stats.txt" dhcp.send_ack)
    local drop_pct=0 cpu_us="nan" rx
    rx=$(stat_of "$WORK/stats.txt" dhcp.recv_pkg)
    [ "$do_sent" -gt 0 ] && drop_pct=$(fcalc "round(100.0 * ($do_sent - $ra_recv) / $do_sent, 2)")
    [ "${rx:-0}" -gt 0 ] && cpu_us=$(fcalc "round(($c1 - $c0) / 1000.0 / $rx, 2)")
    emit $B "$mprefix DORA/s completed" "1/s" "$side" "$rate_got"
    emit $B "$mprefix DORA not completed" "%" "$side" "$drop_pct"
    emit $B "$mprefix DISCOVER→OFFER p50" "ms" "$side" "$(kv do_p50)"
    emit $B "$mprefix DISCOVER→OFFER p99" "ms" "$side" "$(kv do_p99)"
    emit $B "$mprefix REQUEST→ACK p50" "ms" "$side" "$(kv ra_p50)"
    emit $B "$mprefix REQUEST→ACK p99" "ms" "$side" "$(kv ra_p99)"
    emit $B "$mprefix daemon CPU per DHCP packet received" "µs" "$side" "$cpu_us"
    # Cross-check: what perfdhcp received must have been sent by the daemon.
    # Where do exchanges get lost: DISCOVERs that never reached the daemon (its socket buffer
    # or the link) vs OFFERs/ACKs the daemon sent that perfdhcp did not count.
    local rdisc; rdisc=$(stat_of "$WORK/stats.txt" dhcp.recv_discover)
    if [ -n "$rdisc" ] && [ "$do_sent" -gt 0 ]; then
        emit $B "$mprefix DISCOVERs received (daemon) / sent (perfdhcp)" ratio "$side" "$(fcalc "round($rdisc / $do_sent, 3)")"
        emit $B "$mprefix OFFERs sent (daemon) / DISCOVERs received" ratio "$side" \
            "$( [ "$rdisc" -gt 0 ] && fcalc "round(${offers:-0} / $rdisc, 3)" || echo nan)"
    fi
    if [ -n "$acks" ] && [ -n "$offers" ]; then
        if [ "$acks" -lt "$ra_recv" ] || [ "$offers" -lt "$do_recv" ]; then
            bench_log "MISMATCH $label $mprefix: perfdhcp got $do_recv offers/$ra_recv acks, daemon sent $offers/$acks"
        fi
        emit $B "$mprefix ACKs sent (daemon) / received (perfdhcp)" "ratio" "$side" \
            "$( [ "$ra_recv" -gt 0 ] && fcalc "round($acks / $ra_recv, 3)" || echo nan)"
    else
        bench_log "note: $label has no dhcp.send_ack statistics; no cross-check"
    fi
    bench_log "$label $mprefix: perfdhcp ${rate_got}/s, sent $do_sent DISCOVER, $do_recv OFFER, $ra_recv ACK; daemon offers=$offers acks=$acks"
    echo "$ra_recv"
}

for round in $(seq "$ROUNDS"); do
    for side in $(bench_sides); do
        bin=$(bench_bin "$side"); label=tp-$side-$round
        # 1. rate sweep with the blocks for 100 clients claimed up front.
        daemon_start "$label" 0 "$bin" "${DAEMON_ARGS[@]}" -s 128 || exit 1
        wait_settled "$bin" "$label" 32 30
        perfdhcp_run "$WORK/warm.out" 100 2 100 || exit 1   # every client gets its lease once
        wait_settled "$bin" "$label" 32 30
        for rate in $RATES; do
            measure "$side" "$label" "$rate" "$PERIOD" 100 "R=100 @${rate}/s" >/dev/null || exit 1
        done
        daemon_stop "$DAEMON_PID"
        # 2. 2000 distinct clients arriving at 200/s; blocks are claimed while serving.
        label=tpm-$side-$round
        daemon_start "$label" 0 "$bin" "${DAEMON_ARGS[@]}" || exit 1
        measure "$side" "$label" 200 "$MANY_PERIOD" 2000 "R=2000 @200/s" >/dev/null || exit 1
        emit $B "R=2000 @200/s blocks owned at end" "blocks" "$side" "$(owned_blocks "$bin" "$label")"
        daemon_stop "$DAEMON_PID"
    done
done

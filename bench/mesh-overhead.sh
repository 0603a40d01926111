#!/usr/bin/env bash
# Mesh overhead: node-to-node packets and bytes per node per minute.
#
# N nodes (5; 3 with --quick) on one bridge, all started with -L and the gluon pool
# (-N 10.116.224.0/20 -b 2). After every node owns its first block and nothing is CLAIMING,
# a window of W seconds is measured twice:
#   * from the daemons' own statistics (ddhcpdctl -S at the start resets, -s at the end reads:
#     mcast.send_pkg/send_byte, direct.send_pkg/send_byte; bytes are UDP payload);
#   * from a packet capture (tcpdump, one per bridge port, inbound = what that node sent),
#     counting UDP to port 1234 (multicast) and 1235 (unicast), UDP payload and whole frames.
# Values are means over the nodes, scaled to one minute (count · 60 / W).
# Phases:
#   idle, scaled timers   -t 2 -B 40 (gluon's ratio B/T = 20, 7.5× faster)
#   idle, gluon timers    -t 15 -B 300 (full mode only); the window (150 s ≈ 2 refresh periods)
#                         is extrapolated to a minute — as all nodes claim at the same moment,
#                         the count depends on where the window falls, so the refresh period is
#                         also measured (median time between one node's UPDATECLAIMs in a capture
#                         spanning the whole phase) and turned into a rate. Expected (docs/protocol.md#announcing): one UPDATECLAIM per
#                         node every floor(B/4) = 75 s rounded up to the next housekeeping
#                         (≈ every 7.5 s) ≈ 0.78/min, 23 bytes of UDP payload (85 on the wire)
#                         for one owned block.
#   churn, scaled timers  -t 2 -B 40 -n 40: on every node perfdhcp brings 100 clients (10 DORA/s,
#                         3 RELEASE/s), and a client roams every ~2 s (lease on node i, then an
#                         INIT-REBOOT REQUEST on node i+1 → RENEWLEASE/LEASEACK unicast).
# --quick: 3 nodes, -t 2 -B 12 (a refresh every ≈ 3 s), 6 s windows, no gluon phase.
#
# Usage: bench/mesh-overhead.sh [--bin PATH] [--compare PATH] [--quick] [--results FILE]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"
PERFDHCP=$(command -v perfdhcp) || bench_die "perfdhcp not found (scripts/setup.d/60-bench.sh installs kea-admin)"
command -v tcpdump >/dev/null || bench_die "tcpdump not found"

POOL=(-N 10.116.224.0/20 -b 2)
SCALED=(-t 2 -B 40)
GLUON=(-t 15 -B 300)
if [ "$QUICK" = 1 ]; then
    # -B 12: a refresh every ≈ 3 s, so even the short window sees every node send.
    NODES=3; W_SCALED=6; W_GLUON=0; W_CHURN=6; SCALED=(-t 2 -B 12)
else
    NODES=5; W_SCALED=60; W_GLUON=150; W_CHURN=60
fi
mesh_create $NODES
B=mesh

# settle SIDE PFX LIMIT: every node owns ≥ 1 block and none is CLAIMING.
settle() {
    local bin=$1 pfx=$2 limit=$3 i ok
    for _ in $(seq $((limit * 4))); do
        ok=1
        for i in $(seq 0 $((NODES - 1))); do
            [ "$(owned_blocks "$bin" "$pfx-$i")" -ge 1 ] && [ "$(claiming_blocks "$bin" "$pfx-$i")" -eq 0 ] || { ok=0; break; }
        done
        [ $ok = 1 ] && return 0
        sleep 0.25
    done
    bench_log "warning: mesh $pfx not settled after ${limit}s"
}

# roam_loop SECONDS: one roaming client every ~2 s; prints the replies (ack/nak/none).
roam_loop() {
    local until=$(( $(date +%s) + $1 )) j=0 a b kv mac addr
    while [ "$(date +%s)" -lt $until ]; do
        a=$((j % NODES)); b=$(((j + 1) % NODES)); j=$((j + 1))
        kv=$(ip netns exec "${CLI_NS[a]}" python3 "$BENCH_DIR/dhcpclient.py" lease --iface cl0 --timeout 3)
        mac=$(echo "$kv" | awk -F= '$1 == "mac" { print $2 }'); addr=$(echo "$kv" | awk -F= '$1 == "yiaddr" { print $2 }')
        if [ -n "$addr" ]; then
            ip netns exec "${CLI_NS[b]}" python3 "$BENCH_DIR/dhcpclient.py" reboot --iface cl0 --mac "$mac" \
                --addr "$addr" --timeout 3 | awk -F= '$1 == "reply" { print $2 }'
        else
            echo nolease
        fi
        sleep 1.5
    done
}

# phase SIDE NAME SETTLE_LIMIT WINDOW CHURN ARGS…
phase() {
    local side=$1 name=$2 limit=$3 win=$4 churn=$5; shift 5
    local bin pfx i pids=() caps=() loads=()
    bin=$(bench_bin "$side"); pfx=mo-$side-$RANDOM
    # A second capture spans the whole phase (claims included): the refresh period comes from
    # the time between one node's UPDATECLAIMs, independent of where the window falls.
    local full=()
    for i in $(seq 0 $((NODES - 1))); do
        ip netns exec "$MESH_NS" tcpdump -i "${TAG}m$i" -Q in -U -n -s 200 -w "$WORK/$pfx-full-$i.cap" \
            'ip6 and udp and dst port 1234' 2>"$WORK/$pfx-full-$i.tcpdump" &
        full+=($!); bench_track_pid $!
    done
    for i in $(seq 0 $((NODES - 1))); do
        for _ in $(seq 100); do grep -q "listening on" "$WORK/$pfx-full-$i.tcpdump" 2>/dev/null && break; sleep 0.05; done
    done
    for i in $(seq 0 $((NODES - 1))); do
        daemon_start "$pfx-$i" "$i" "$bin" "${POOL[@]}" -L "$@" || return 1
        pids+=("$DAEMON_PID")
    done
    settle "$bin" "$pfx" "$limit"
    for i in $(seq 0 $((NODES - 1))); do
        ip netns exec "$MESH_NS" tcpdump -i "${TAG}m$i" -Q in -U -n -s 200 -w "$WORK/$pfx-$i.pcap" \
            'ip6 and udp and (dst port 1234 or dst port 1235)' 2>"$WORK/$pfx-$i.tcpdump" &
        caps+=($!); bench_track_pid $!
    done
    # The window starts only when every tcpdump says it is capturing (bounded).
    local _
    for i in $(seq 0 $((NODES - 1))); do
        for _ in $(seq 100); do grep -q "listening on" "$WORK/$pfx-$i.tcpdump" 2>/dev/null && break; sleep 0.05; done
    done
    sleep 0.2
    for i in $(seq 0 $((NODES - 1))); do ctl "$bin" "$pfx-$i" -S >/dev/null; done
    local t0; t0=$(now_s)
    if [ "$churn" = 1 ]; then
        for i in $(seq 0 $((NODES - 1))); do
            timeout $((win + 10)) ip netns exec "${CLI_NS[i]}" "$PERFDHCP" -4 -l cl0 -r 10 -F 3 -p "$win" -R 100 \
                -b "mac=02:00:00:0$i:00:00" >"$WORK/$pfx-load-$i.out" 2>&1 &
            loads+=($!); bench_track_pid $!
        done
        roam_loop "$((win - 3))" >"$WORK/$pfx-roams.txt" &
        loads+=($!); bench_track_pid $!
        local l; for l in "${loads[@]}"; do wait "$l"; bench_untrack_pid "$l"; done
    else
        sleep "$win"
    fi
    for i in $(seq 0 $((NODES - 1))); do ctl "$bin" "$pfx-$i" -s >"$WORK/$pfx-$i.stats"; done
    local t1; t1=$(now_s)
    local c; for c in "${caps[@]}" "${full[@]}"; do kill -INT "$c" 2>/dev/null; done
    for c in "${caps[@]}" "${full[@]}"; do wait "$c" 2>/dev/null; bench_untrack_pid "$c"; done
    local blocks=0
    for i in $(seq 0 $((NODES - 1))); do blocks=$((blocks + $(owned_blocks "$bin" "$pfx-$i"))); done
    for i in $(seq 0 $((NODES - 1))); do daemon_stop "${pids[i]}"; done

    local dur scale; dur=$(fcalc "$t1 - $t0"); scale=$(fcalc "60.0 / $dur / $NODES")
    sum_stat() { local k=$1 s=0 v; for i in $(seq 0 $((NODES - 1))); do v=$(stat_of "$WORK/$pfx-$i.stats" "$k"); s=$((s + ${v:-0})); done; echo $s; }
    local mp mb up ub
    mp=$(sum_stat mcast.send_pkg); mb=$(sum_stat mcast.send_byte); up=$(sum_stat direct.send_pkg); ub=$(sum_stat direct.send_byte)
    python3 "$BENCH_DIR/pcapcount.py" "$WORK/$pfx"-*.pcap >"$WORK/$pfx.cap"
    cap() { awk -F= -v k="$1" '$1 == k { print $2 }' "$WORK/$pfx.cap"; }
    pm() { fcalc "round($1 * $scale, 2)"; }
    emit $B "$name: multicast pkts/node/min (daemon stats)" 1/min "$side" "$(pm "$mp")"
    emit $B "$name: multicast pkts/node/min (capture)" 1/min "$side" "$(pm "$(cap mc_pkts)")"
    emit $B "$name:   of which UPDATECLAIM (capture)" 1/min "$side" "$(pm "$(cap updateclaim)")"
    emit $B "$name:   of which INQUIRE (capture)" 1/min "$side" "$(pm "$(cap inquire)")"
    if [ "$churn" = 0 ]; then
        local med; med=$(python3 "$BENCH_DIR/pcapcount.py" --intervals "$WORK/$pfx"-full-*.cap | awk -F= '$1 == "median" { print $2 }')
        emit $B "$name: UPDATECLAIM refresh period, median (capture)" s "$side" "$med"
        emit $B "$name:   → UPDATECLAIM/node/min from the period" 1/min "$side" \
            "$( [ "$med" != nan ] && fcalc "round(60.0 / $med, 2)" || echo nan)"
    fi
    emit $B "$name: multicast UDP bytes/node/min (daemon stats)" B/min "$side" "$(pm "$mb")"
    emit $B "$name: multicast UDP bytes/node/min (capture)" B/min "$side" "$(pm "$(cap mc_udp_bytes)")"
    emit $B "$name: multicast frame bytes/node/min (capture)" B/min "$side" "$(pm "$(cap mc_frame_bytes)")"
    emit $B "$name: unicast pkts/node/min (daemon stats)" 1/min "$side" "$(pm "$up")"
    emit $B "$name: unicast pkts/node/min (capture)" 1/min "$side" "$(pm "$(cap uc_pkts)")"
    emit $B "$name: unicast UDP bytes/node/min (daemon stats)" B/min "$side" "$(pm "$ub")"
    emit $B "$name: unicast frame bytes/node/min (capture)" B/min "$side" "$(pm "$(cap uc_frame_bytes)")"
    emit $B "$name: blocks owned at end (all nodes)" blocks "$side" "$blocks"
    if [ "$churn" = 1 ]; then
        local acks; acks=$(sum_stat dhcp.send_ack)
        emit $B "$name: DHCP ACKs/node/min (daemon stats)" 1/min "$side" "$(pm "$acks")"
        emit $B "$name: roams answered ACK / tried" ratio "$side" \
            "$(awk '{ n++ } $1 == "ack" { a++ } END { if (n) printf "%.2f", a / n; else print "nan" }' "$WORK/$pfx-roams.txt")"
    fi
    if [ "$mp" != "$(cap mc_pkts)" ] || [ "$up" != "$(cap uc_pkts)" ]; then
        bench_log "note $name ($side): stats say $mp mcast/$up unicast sent, capture saw $(cap mc_pkts)/$(cap uc_pkts) (resets/reads are not atomic with the capture window)"
    fi
    bench_log "$name ($side): ${dur}s window, $NODES nodes: mcast $mp pkts $mb B, unicast $up pkts $ub B; capture $(tr '\n' ' ' <"$WORK/$pfx.cap")"
}

for side in $(bench_sides); do phase "$side" "idle, ${SCALED[*]}" 20 "$W_SCALED" 0 "${SCALED[@]}" || exit 1; done
if [ "$W_GLUON" -gt 0 ]; then
    for side in $(bench_sides); do phase "$side" "idle, ${GLUON[*]}" 60 "$W_GLUON" 0 "${GLUON[@]}" || exit 1; done
fi
for side in $(bench_sides); do phase "$side" "churn, ${SCALED[*]} -n 40" 20 "$W_CHURN" 1 "${SCALED[@]}" -n 40 || exit 1; done

#!/usr/bin/env bash
# Time to first lease after start, for one node in an empty mesh.
#
# A DHCP client (bench/dhcpclient.py, DISCOVER every 100 ms) is started in the client
# namespace before the daemon; it also polls the daemon's control socket every 20 ms (block
# table, docs/protocol.md#block-table) for the first CLAIMING (3) and the first OURS (4) block.
# Breakdown per run:
#   start-up   daemon exec → control socket answers
#   learning   daemon exec → first block CLAIMING (≈ 0 with -L, ≈ B with the learning phase)
#   claiming   first CLAIMING → first OURS (3 INQUIRE rounds, housekeeping every ≈ T/2)
#   DORA       first OURS → ACK received by the client (includes ≤ 100 ms client retry)
#   total      daemon exec → ACK
# Expected from the C timing rules (docs/protocol.md#claiming, #timeline, #event-loop): total ≈
# (learning ? B : 0) + 3·T/2, i.e. with the defaults (-B 60 -t 15) ≈ 60 + 22.5 = 82.5 s, and with
# gluon's -B 300 -t 15 without -L ≈ 322.5 s — plus the real client's own DISCOVER back-off
# (dhclient: 3-4 s, then doubling up to 64 s), which this benchmark deliberately avoids.
#
# Cases: -L with short timers (-t 2), learning phase with a short -B (-B 4 -t 2), and in full
# mode gluon timers with -L (-t 15 -B 300). Pool: gluon's -N 10.116.224.0/20 -b 2.
#
# Usage: bench/first-lease.sh [--bin PATH] [--compare PATH] [--quick] [--results FILE]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"

POOL=(-N 10.116.224.0/20 -b 2)
# name | daemon arguments | expected total (s) | client timeout (s)
CASES=("-L, -t 2|-L -t 2|3|15" "learning -B 4 -t 2|-B 4 -t 2|7|20")
REPS=1
if [ "$QUICK" = 0 ]; then
    CASES+=("-L, gluon -t 15 -B 300|-L -t 15 -B 300|22.5|45")
    REPS=3
fi
mesh_create 1
B=first-lease

one_run() {
    local side=$1 name=$2 args=$3 limit=$4 rep=$5 bin label
    bin=$(bench_bin "$side"); label=fl-$side-$rep-$RANDOM
    local out=$WORK/$label.client
    rm -f "$WORK/$label.ctl"
    ip netns exec "${CLI_NS[0]}" python3 "$BENCH_DIR/dhcpclient.py" lease --iface cl0 \
        --ctl "$WORK/$label.ctl" --timeout "$limit" --retry-ms 100 >"$out" 2>"$out.err" &
    local cpid=$!; bench_track_pid $cpid
    sleep 0.5   # the client is up and sending before the daemon starts
    local t0; t0=$(now_s)
    # shellcheck disable=SC2086
    daemon_start "$label" 0 "$bin" "${POOL[@]}" $args || return 1
    wait $cpid; bench_untrack_pid $cpid
    daemon_stop "$DAEMON_PID"
    local kvs; kvs=$(cat "$out")
    get() { echo "$kvs" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
    local up cl ours ack
    up=$(get t_ctl_up); cl=$(get t_claiming); ours=$(get t_ours); ack=$(get t_ack)
    if [ -z "$ack" ]; then
        bench_log "$name ($side): no lease within ${limit}s"; cat "$out.err" >&2
        emit $B "$name: total" s "$side" nan
        return 0
    fi
    d() { if [ -n "$1" ] && [ -n "$2" ]; then fcalc "round($2 - $1, 3)"; else echo nan; fi; }
    emit $B "$name: start-up" s "$side" "$(d "$t0" "$up")"
    emit $B "$name: learning" s "$side" "$(d "$t0" "$cl")"
    emit $B "$name: claiming" s "$side" "$(d "$cl" "$ours")"
    emit $B "$name: DORA after first OURS" s "$side" "$(d "$ours" "$ack")"
    emit $B "$name: total" s "$side" "$(d "$t0" "$ack")"
    bench_log "$name ($side, run $rep): lease $(get yiaddr) after $(d "$t0" "$ack") s"
}

for c in "${CASES[@]}"; do
    IFS='|' read -r name args expect limit <<<"$c"
    for rep in $(seq $REPS); do
        for side in $(bench_sides); do
            one_run "$side" "$name" "$args" "$limit" "$rep" || exit 1
        done
    done
    emit $B "$name: expected total (C timing rules)" s A "$expect"
done
# Not measured (bounded runs only): the same rules for the real configurations.
emit $B "formula, defaults -B 60 -t 15: B + 3·T/2" s A 82.5
emit $B "formula, gluon -B 300 -t 15 (no -L): B + 3·T/2" s A 322.5

#!/usr/bin/env bash
# libFuzzer runs of the core (Tests/Fuzz/README.md).
#   Tests/Fuzz/run.sh ci [SECONDS]          every target SECONDS (default 15) from the committed
#                                           corpus, ASan build; fails on the first crash
#   Tests/Fuzz/run.sh campaign [-j JOBS] [-t SECONDS] [-r RUNS] [TARGET...]
#                                           long campaign: per target JOBS parallel workers, until
#                                           SECONDS or RUNS executions per worker; corpora grow in
#                                           $DDHCP_FUZZ_DIR (default /var/tmp/ddhcp-fuzz); uses
#                                           the fast (no ASan) build unless DDHCP_FUZZ_ASAN=1
#   Tests/Fuzz/run.sh long                  the recorded campaign (bench/results/*-fuzz-campaign.txt):
#                                           every target to 10.5 M executions (node and control
#                                           in 2 workers of 5.25 M), then the line coverage; about
#                                           45 min on 2 cores
#   Tests/Fuzz/run.sh coverage [TARGET...]  llvm-cov line coverage of Sources/DDHCPCore when
#                                           replaying the campaign corpora (or the committed one)
# Crashes are written as crash-* files to the work directory and fail the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH
export SWIFT_BACKTRACE=enable=no  # the backtracer trips ASan; libFuzzer prints the stack
all_targets=(dhcp mesh control options node)
mode=${1:-ci}
shift || true
work=${DDHCP_FUZZ_DIR:-/var/tmp/ddhcp-fuzz}

executions() { grep -h "stat::number_of_executed_units" "$@" | awk '{s += $2} END {print s + 0}'; }

case "$mode" in
ci)
    seconds=${1:-15}
    "$here/build.sh" >/dev/null
    tmp=$(mktemp -d /tmp/ddhcp-fuzz-ci.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    for t in "${all_targets[@]}"; do
        mkdir -p "$tmp/$t"
        if ! DDHCP_FUZZ_TARGET=$t "$root/.build-fuzz/ddhcp-fuzz" "$tmp/$t" "$here/corpus/$t" -max_total_time="$seconds" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$tmp/" >"$tmp/$t.log" 2>&1; then
            cat "$tmp/$t.log" | tail -n 60
            for c in "$tmp"/crash-* "$tmp"/timeout-* "$tmp"/oom-*; do
                [ -e "$c" ] && { echo "input ($c):"; od -An -tx1 "$c" | head -n 20; }
            done
            echo "FAIL: fuzz target $t" >&2
            exit 1
        fi
        echo "fuzz $t: $(executions "$tmp/$t.log") executions in ${seconds}s, $(grep -E '#[0-9]+[[:space:]]+DONE' "$tmp/$t.log" | grep -oE 'cov: [0-9]+ ft: [0-9]+'), 0 crashes"
    done
    ;;
campaign)
    jobs=1 seconds=3600 runs=-1
    while getopts "j:t:r:" o; do
        case $o in j) jobs=$OPTARG ;; t) seconds=$OPTARG ;; r) runs=$OPTARG ;; *) exit 2 ;; esac
    done
    shift $((OPTIND - 1))
    targets=("$@")
    [ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
    if [ "${DDHCP_FUZZ_ASAN:-0}" = 1 ]; then "$here/build.sh" >/dev/null; bin=$root/.build-fuzz/ddhcp-fuzz
    else "$here/build.sh" --fast >/dev/null; bin=$root/.build-fuzz/ddhcp-fuzz-fast; fi
    for t in "${targets[@]}"; do
        d=$work/$t
        mkdir -p "$d/corpus" "$d/logs" "$d/artifacts"
        rm -f "$d"/logs/*.log
        start=$(date +%s)
        (cd "$d/logs" && DDHCP_FUZZ_TARGET=$t nice -n 19 "$bin" "$d/corpus" "$here/corpus/$t" -jobs="$jobs" -workers="$jobs" \
            -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$d/artifacts/" >"$d/campaign.log" 2>&1) || true
        crashes=$(find "$d/artifacts" -type f | wc -l)
        last=$(grep -hE '#[0-9]+[[:space:]]+DONE' "$d"/logs/*.log | grep -oE 'cov: [0-9]+ ft: [0-9]+' | sort -t' ' -k2 -n | tail -n 1)
        echo "campaign $t: $(executions "$d"/logs/*.log) executions, $jobs job(s), $(( $(date +%s) - start ))s, ${last:-no DONE line}, corpus $(ls "$d/corpus" | wc -l) inputs, $crashes crash/timeout/oom files in $d/artifacts"
        [ "$crashes" = 0 ] || exit 1
    done
    ;;
long)
    "$0" campaign -j 1 -r 10500000 -t 3600 dhcp mesh options
    "$0" campaign -j 2 -r 5250000 -t 3600 control node
    "$0" coverage
    ;;
coverage)
    targets=("$@")
    [ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
    "$here/build.sh" --coverage >/dev/null
    tmp=$(mktemp -d /tmp/ddhcp-fuzz-cov.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    for t in "${targets[@]}"; do
        corpus=$work/$t/corpus
        [ -d "$corpus" ] && [ -n "$(ls -A "$corpus")" ] || corpus=$here/corpus/$t
        LLVM_PROFILE_FILE="$tmp/$t.profraw" DDHCP_FUZZ_TARGET=$t "$root/.build-fuzz/ddhcp-fuzz-cov" -runs=0 "$corpus" >/dev/null 2>&1
        llvm-profdata merge -o "$tmp/$t.profdata" "$tmp/$t.profraw"
        echo "== $t ($(ls "$corpus" | wc -l) inputs from $corpus)"
        llvm-cov report "$root/.build-fuzz/ddhcp-fuzz-cov" -instr-profile="$tmp/$t.profdata" "$root"/Sources/DDHCPCore/*.swift | tail -n 1
    done
    llvm-profdata merge -o "$tmp/all.profdata" "$tmp"/*.profraw
    echo "== all targets, per file"
    llvm-cov report "$root/.build-fuzz/ddhcp-fuzz-cov" -instr-profile="$tmp/all.profdata" "$root"/Sources/DDHCPCore/*.swift
    ;;
*)
    sed -n '2,18p' "$0"
    exit 2
    ;;
esac

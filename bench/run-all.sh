#!/usr/bin/env bash
# Runs every benchmark against the real daemon binary and prints one table.
#
# Usage: bench/run-all.sh [--bin PATH[,CTL]] [--compare PATH[,CTL]] [--quick] [--check] [--only a,b]
#   --bin PATH      binary to measure (default .build/release/ddhcpd, built incrementally first)
#   --compare PATH  a second binary with the same command line, measured in the same namespaces
#                   in alternation; the table shows A, B and B/A
#   ,CTL            the binary's control client when it is a separate program, as with the C
#                   daemon: --compare /opt/c/ddhcpd,/opt/c/ddhcpdctl (without it: a ddhcpdctl
#                   symlink to the binary)
#   --quick         short windows (≈ 1.5 min in all): proves the benchmarks work, numbers are rough
#   --check         exit non-zero if a benchmark measured nothing (zero exchanges, no lease, …)
#   --only LIST     comma-separated subset of: dhcp, first-lease, mesh, memory
#   --label-a TEXT, --label-b TEXT   what A and B are (printed in the header)
# Benchmarks: bench/dhcp-throughput.sh, first-lease.sh, mesh-overhead.sh, memory.sh (each also
# runs alone with the same options). They measure and print; they assert nothing about speed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export PATH=/opt/swift/usr/bin:/usr/sbin:/sbin:$PATH

bin="" compare="" quick=() check=0 only="dhcp,first-lease,mesh,memory" label_a="" label_b=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift 2 ;;
        --compare) compare=$2; shift 2 ;;
        --quick) quick=(--quick); shift ;;
        --check) check=1; shift ;;
        --only) only=$2; shift 2 ;;
        --label-a) label_a=$2; shift 2 ;;
        --label-b) label_b=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-all: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "run-all: needs root (network namespaces)" >&2; exit 1; }
if [ -z "$bin" ]; then
    # Incremental: cheap when up to date, and never measures a stale binary.
    bin=$repo/.build/release/ddhcpd
    echo "run-all: swift build -c release" >&2
    (cd "$repo" && swift build -c release 2>&1 | tail -n 3 >&2; exit "${PIPESTATUS[0]}") || exit 1
fi
# "PATH[,CTL]": the benchmarks get both, the header and the table name the daemon.
split_ctl() { if [ "${1#*,}" != "$1" ]; then echo ",$(readlink -f "${1#*,}")"; fi; }
bin_ctl=$(split_ctl "$bin") bin=$(readlink -f "${bin%%,*}")
compare_ctl=""
if [ -n "$compare" ]; then compare_ctl=$(split_ctl "$compare") compare=$(readlink -f "${compare%%,*}"); fi
args=(--bin "$bin$bin_ctl" "${quick[@]}")
[ -n "$compare" ] && args+=(--compare "$compare$compare_ctl")

results=$(mktemp /tmp/ddhcpbench-results.XXXXXX)
trap 'rm -f "$results"' EXIT

describe() {   # one line about a binary: size, linking, build id
    local b=$1 link
    if readelf -l "$b" 2>/dev/null | grep -q "Requesting program interpreter"; then link=dynamic; else link=static; fi
    echo "$b ($(stat -c %s "$b") bytes, $link, sha256 $(sha256sum "$b" | cut -c1-12))"
}

start=$(date +%s) failed=() load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for name in dhcp first-lease mesh memory; do
    case ",$only," in *",$name,"*) ;; *) continue ;; esac
    case $name in
        dhcp) script=dhcp-throughput.sh ;;
        first-lease) script=first-lease.sh ;;
        mesh) script=mesh-overhead.sh ;;
        memory) script=memory.sh ;;
    esac
    echo "run-all: $name ..." >&2
    t0=$(date +%s)
    if ! bash "$here/$script" "${args[@]}" --results "$results"; then
        failed+=("$name")
        echo "run-all: $name FAILED" >&2
    fi
    echo "run-all: $name took $(( $(date +%s) - t0 )) s" >&2
done

echo
echo "ddhcpd benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r), perfdhcp $(perfdhcp -v 2>&1 | awk '{ print $2 }')"
echo "mode: $([ ${#quick[@]} -gt 0 ] && echo 'quick (short windows, rough numbers)' || echo full), total $(( $(date +%s) - start )) s"
echo "load average (1/5/15 min) at start: $load_start, at end: $(cut -d' ' -f1-3 /proc/loadavg) — other work on the machine adds noise"
echo "A: ${label_a:+$label_a: }$(describe "$bin")${bin_ctl:+, control client ${bin_ctl#,}}"
[ -n "$compare" ] && echo "B: ${label_b:+$label_b: }$(describe "$compare")${compare_ctl:+, control client ${compare_ctl#,}}"
python3 "$here/table.py" "$results" "$bin" "$compare" | tail -n "+$([ -n "$compare" ] && echo 4 || echo 3)"

rc=0
if [ ${#failed[@]} -gt 0 ]; then echo "run-all: failed: ${failed[*]}"; rc=1; fi
if [ $check = 1 ]; then
    static=()
    readelf -l "$bin" 2>/dev/null | grep -q "Requesting program interpreter" || static+=(A)
    if [ -n "$compare" ]; then readelf -l "$compare" 2>/dev/null | grep -q "Requesting program interpreter" || static+=(B); fi
    python3 "$here/check.py" "$results" "$only" "${static[@]}" || rc=1
fi
exit $rc

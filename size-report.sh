#!/usr/bin/env bash
# Flash cost of ddhcpd on every architecture, for both routes (D-60):
#   native    Embedded Swift compiled for the target (toolchain/build.sh): x86_64 aarch64 armv7
#   portable  the portable C (toolchain/portable/build.sh, the SDK stand-in compiler): mips
#             mipsel armv5 powerpc i386 x86_64 armv7 aarch64 — what every gluon target builds without Swift
# Per row: the compile-time log limit it was built with (native: Package.swift's default, 4 =
# everything; portable: the release tarball's, the OpenWrt package's default 3 = up to INFO),
# binary bytes, the main sections, xz-compressed bytes (what a squashfs image roughly
# stores), the budget (toolchain/budgets.txt; key ARCH for native, portable-ARCH for portable),
# OK/OVER. Then the native build of LOG_COMPARE with the log limits 4 (everything) and 1 (ERROR
# and FATAL only) side by side.
# Exits non-zero when a native binary is over its budget or a required build fails. Portable
# rows are reported against the C ddhcpd's size on the same architecture, built with the same
# compiler and flags (D-60); over it they print OVER but only fail with PORTABLE_BUDGETS=enforce.
#
#   ./size-report.sh                                   every row
#   TARGETS="armv7 portable-mips" ./size-report.sh     a subset (portable rows: portable-ARCH)
#   LOG_COMPARE=armv7 (default) | none                 target for the log-limit comparison
set -uo pipefail
cd "$(dirname "$0")" || exit 1
export PATH=/opt/swift/usr/bin:$PATH

default_targets=(x86_64 aarch64 armv7 portable-mips portable-mipsel portable-armv5 portable-powerpc
                 portable-i386 portable-x86_64 portable-armv7 portable-aarch64)
read -ra targets <<<"${TARGETS:-${default_targets[*]}}"
log_compare=${LOG_COMPARE:-armv7}
out=out
logs=$out/logs
mkdir -p "$logs"

# shellcheck source=toolchain/embedded-swift.sh
source toolchain/embedded-swift.sh
log_limit_of() { case $1 in portable-*) echo "$DDHCPD_RELEASE_LOG_LIMIT" ;; *) echo "$DDHCPD_LOG_LIMIT_DEFAULT" ;; esac; }
budget_of() { awk -v a="$1" '$1 == a { print $2; exit }' toolchain/budgets.txt; }
section() { size -A "$1" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'; }
xz_size() { xz -9e -c "$1" | wc -c; }

# build TARGET LOGFILE [ARGS…]: toolchain/build.sh (native) or toolchain/portable/build.sh
# (portable-ARCH); records seconds in $build_secs.
build() {
    local t=$1 log=$2 start rc; shift 2
    start=$(date +%s)
    case $t in
        portable-*) bash toolchain/portable/build.sh "${t#portable-}" --out "$out/portable" "$@" >"$log" 2>&1 ;;
        *) bash toolchain/build.sh "$t" "$@" >"$log" 2>&1 ;;
    esac
    rc=$?
    build_secs=$(( $(date +%s) - start ))
    return $rc
}
binary_of() { case $1 in portable-*) echo "$out/portable/${1#portable-}/ddhcpd" ;; *) echo "$out/$1/ddhcpd" ;; esac; }

fail=0
rows=() notes=() times=()
for t in "${targets[@]}"; do
    if ! build "$t" "$logs/build-$t.log" --log-limit "$(log_limit_of "$t")"; then
        notes+=("$t: BUILD FAILED ($logs/build-$t.log)"); fail=1
        tail -n 15 "$logs/build-$t.log" | sed "s/^/  $t| /"
        continue
    fi
    times+=("$t ${build_secs}s")
    bin=$(binary_of "$t")
    bytes=$(stat -c %s "$bin")
    budget=$(budget_of "$t")
    if [ -z "$budget" ]; then verdict="-"; budget="-"
    elif [ "$bytes" -le "$budget" ]; then verdict=OK
    else
        verdict=OVER
        case $t in portable-*) [ "${PORTABLE_BUDGETS:-report}" = enforce ] && fail=1 ;; *) fail=1 ;; esac
    fi
    rows+=("$(printf '%-17s %3s %9s %9s %9s %7s %9s %9s %-4s' "$t" "$(log_limit_of "$t")" "$bytes" \
        "$(section "$bin" .text)" "$(section "$bin" .rodata)" "$(section "$bin" .data)" \
        "$(xz_size "$bin")" "$budget" "$verdict")")
done

echo
printf '%-17s %3s %9s %9s %9s %7s %9s %9s %-4s\n' route-arch log bytes .text .rodata .data xz budget ""
for r in "${rows[@]}"; do echo "$r"; done
for n in "${notes[@]}"; do echo "note: $n"; done
echo "build times: ${times[*]:-none}"

# Where the bytes go (from the linker map of the native builds; details: toolchain/bytes.py TARGET).
built=()
for t in "${targets[@]}"; do [ -f ".build-$t/ddhcpd.map" ] && [ -f "$out/$t/ddhcpd" ] && built+=("$t"); done
if [ ${#built[@]} -gt 0 ]; then
    echo
    echo "flash bytes by origin (ours = Swift ddhcpd+DDHCPCore, stdlib = Swift stdlib/runtime, consts = merged strings/GOT):"
    python3 toolchain/bytes.py --summary "${built[@]}"
fi

if [ "$log_compare" != none ]; then
    echo
    echo "log-level stripping ($log_compare, DDHCPD_LOG_LIMIT):"
    printf '%-10s %9s %9s %9s\n' limit bytes .text .rodata
    for lim in 4 1; do
        if build "$log_compare" "$logs/build-$log_compare-log$lim.log" --log-limit "$lim" --out "$out/log$lim"; then
            bin=$out/log$lim/$log_compare/ddhcpd
            printf '%-10s %9s %9s %9s  (%ss)\n' "$lim" "$(stat -c %s "$bin")" \
                "$(section "$bin" .text)" "$(section "$bin" .rodata)" "$build_secs"
        else
            echo "limit $lim: BUILD FAILED ($logs/build-$log_compare-log$lim.log)"; fail=1
        fi
    done
fi

[ $fail -eq 0 ] && echo "size-report: ok" || echo "size-report: FAILED (over budget or build failure)"
exit $fail

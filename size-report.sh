#!/usr/bin/env bash
# Builds every target with toolchain/build.sh and prints the flash cost of each against its
# budget (toolchain/budgets.txt): binary bytes, the main sections, xz-compressed bytes (what a
# squashfs image roughly stores), budget, OK/OVER. Then the same target built with the log
# limits 4 (everything) and 1 (ERROR and FATAL only) side by side.
# Exits non-zero when a binary is over its budget or a required target fails to build.
#
#   ./size-report.sh                    all targets (mips/mipsel when toolchain/mips/build.sh works)
#   TARGETS="armv7" ./size-report.sh    a subset
#   LOG_COMPARE=armv7 (default) | none  target for the log-limit comparison
set -uo pipefail
cd "$(dirname "$0")" || exit 1
export PATH=/opt/swift/usr/bin:$PATH

required=(x86_64 aarch64 armv7)
optional=(mips mipsel)
read -ra targets <<<"${TARGETS:-${required[*]} ${optional[*]}}"
log_compare=${LOG_COMPARE:-armv7}
out=out
logs=$out/logs
mkdir -p "$logs"

budget_of() { awk -v a="$1" '$1 == a { print $2; exit }' toolchain/budgets.txt; }
section() { size -A "$1" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'; }
xz_size() { xz -9e -c "$1" | wc -c; }

# build TARGET LOGFILE [ARGS…]: runs toolchain/build.sh, records seconds in $build_secs.
build() {
    local t=$1 log=$2 start; shift 2
    start=$(date +%s)
    bash toolchain/build.sh "$t" "$@" >"$log" 2>&1
    local rc=$?
    build_secs=$(( $(date +%s) - start ))
    return $rc
}

fail=0
rows=() notes=() times=()
for t in "${targets[@]}"; do
    is_optional=0
    for o in "${optional[@]}"; do [ "$t" = "$o" ] && is_optional=1; done
    if [ $is_optional -eq 1 ] && [ ! -f toolchain/mips/build.sh ]; then
        notes+=("$t: skipped (toolchain/mips/build.sh does not exist yet)"); continue
    fi
    if ! build "$t" "$logs/build-$t.log"; then
        if [ $is_optional -eq 1 ]; then
            notes+=("$t: skipped (toolchain/mips/build.sh failed: $logs/build-$t.log)")
        else
            notes+=("$t: BUILD FAILED ($logs/build-$t.log)"); fail=1
            tail -n 15 "$logs/build-$t.log" | sed "s/^/  $t| /"
        fi
        continue
    fi
    times+=("$t ${build_secs}s")
    bin=$out/$t/ddhcpd
    bytes=$(stat -c %s "$bin")
    budget=$(budget_of "$t")
    if [ -z "$budget" ]; then verdict="-"; budget="-"
    elif [ "$bytes" -le "$budget" ]; then verdict=OK
    else verdict=OVER; fail=1
    fi
    rows+=("$(printf '%-8s %9s %9s %9s %7s %7s %9s %9s %-4s' "$t" "$bytes" \
        "$(section "$bin" .text)" "$(section "$bin" .rodata)" "$(section "$bin" .data)" \
        "$(section "$bin" .bss)" "$(xz_size "$bin")" "$budget" "$verdict")")
done

echo
printf '%-8s %9s %9s %9s %7s %7s %9s %9s %-4s\n' arch bytes .text .rodata .data .bss xz budget ""
for r in "${rows[@]}"; do echo "$r"; done
for n in "${notes[@]}"; do echo "note: $n"; done
echo "build times: ${times[*]:-none}"

# Where the bytes go (from the linker map; details: toolchain/bytes.py TARGET).
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

#!/usr/bin/env bash
# Runs the daemon's namespace integration suites (Tests/integration/*.sh, which take the binary
# under test from $DDHCPD) against the shipped static binaries out/ARCH/ddhcpd: natively on
# x86_64, under qemu-user for foreign arches (a wrapper passes argv[0] through, so the
# ddhcpdctl symlink the suites create still selects the control client).
#   Tests/targets/integration-on-targets.sh [ARCH…]     default: x86_64 armv7 (32-bit)
# Each suite is bounded; prints "integration-on-targets: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
read -ra arches <<<"${*:-x86_64 armv7}"
suites=(cli control mesh restart)
[ "$(id -u)" -eq 0 ] || { echo "integration-on-targets: needs root" >&2; exit 1; }
[ -f "$root/Tests/integration/lib.sh" ] || { echo "integration-on-targets: Tests/integration missing" >&2; exit 1; }
mkdir -p /var/tmp/ddhcpd-tests   # not /tmp/ddhcpd-*: hand-run clean-ups there hit live runs
wrappers=$(mktemp -d /var/tmp/ddhcpd-tests/qemu-wrap.XXXXXX)
trap 'rm -rf "$wrappers"' EXIT

passed=0 failed=0
for a in "${arches[@]}"; do
    bin=$root/out/$a/ddhcpd
    [ -x "$bin" ] || { echo "--- $a: out/$a/ddhcpd missing"; failed=$((failed + 1)); continue; }
    case "$a" in
        x86_64) qemu="" ;;
        aarch64) qemu="qemu-aarch64-static" ;;
        armv7) qemu="qemu-arm-static" ;;
        *) echo "--- $a: no runner"; failed=$((failed + 1)); continue ;;
    esac
    if [ -n "$qemu" ]; then
        mkdir -p "$wrappers/$a"
        # shellcheck disable=SC2016  # $0 and $@ belong to the wrapper
        printf '#!/bin/sh\nexec %s -0 "$0" %s "$@"\n' "$qemu" "$bin" >"$wrappers/$a/ddhcpd"
        chmod +x "$wrappers/$a/ddhcpd"
        bin=$wrappers/$a/ddhcpd
    fi
    for s in "${suites[@]}"; do
        start=$(date +%s)
        if DDHCPD=$bin timeout --kill-after=10 200 bash "$root/Tests/integration/$s.sh" >"$wrappers/$a-$s.log" 2>&1; then
            passed=$((passed + 1)); echo "--- $a $s: ok ($(( $(date +%s) - start )) s)"
        else
            failed=$((failed + 1)); echo "--- $a $s: FAILED ($(( $(date +%s) - start )) s)"
            grep -E '\] FAIL|uncaught target signal|Illegal instruction' "$wrappers/$a-$s.log" | sed 's/^/    /'
            tail -n 30 "$wrappers/$a-$s.log" | sed 's/^/    | /'
        fi
    done
done
echo "integration-on-targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

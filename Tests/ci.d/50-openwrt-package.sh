#!/usr/bin/env bash
# OpenWrt / gluon packaging (openwrt-package/), tested without an OpenWrt SDK:
#  1. shellcheck every shell script (the procd init script as POSIX sh) and luac -p every Lua file;
#  2. the init script's procd instances (exact daemon command lines) and triggers for several
#     uci configurations, against OpenWrt stand-ins (tests/test_init_script.py);
#  3. gluon-ddhcpd: site check on good/bad site.conf, upgrade script's uci, gateway router/DNS
#     updater, hooks (tests/test_gluon.py);
#  4. the package Makefile's Build/Compile for real: x86_64 through the SDK stand-in with the real
#     toolchain/build.sh, Debian's musl in place of the OpenWrt toolchain directory;
#  5. Build/Compile per architecture (recording stub), and an x86_64 .ipk packed from a binary,
#     read back and, if it is the daemon, run (tests/test_package.py). The binary is the one
#     from step 4, else out/x86_64/ddhcpd, else a host `swift build -c release` product, else a
#     static C stand-in (the output says which). If it is the daemon, step 2 also hands it the
#     init script's command lines and step 3 runs the router/DNS updater against it in a
#     network namespace.
#  6. the respondd provider (gluon-ddhcpd/src/respondd.c), built against json-c and loaded as
#     respondd loads it, against a running daemon (tests/respondd.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
pkg=openwrt-package
failed=()

step() {
    local name=$1
    shift
    echo "--- $name"
    if "$@"; then
        echo "--- $name: ok"
    else
        echo "--- $name: FAILED"
        failed+=("$name")
    fi
}

# Every shell script under openwrt-package, by shebang or shellcheck directive; the init script
# is checked as POSIX sh with OpenWrt's procd idioms (sourced by /etc/rc.common).
lint_shell() {
    local scripts=() file first
    while IFS= read -r -d '' file; do
        first=$(head -n 1 "$file")
        case "$first" in
            '#!/bin/sh'*|'#!/usr/bin/env bash'*|'#!/bin/bash'*) scripts+=("$file") ;;
            *) grep -q '^# shellcheck shell=' "$file" && scripts+=("$file") ;;
        esac
    done < <(find "$pkg" -type f ! -name '*.py' ! -name '*.lua' ! -name '*.c' -print0 | sort -z)
    echo "shellcheck: ${#scripts[@]} scripts"
    # the init script and hook have to be among them, or the detection above is broken
    [[ " ${scripts[*]} " == *" $pkg/ddhcpd/files/ddhcpd.init "* ]] || { echo "init script not found"; return 1; }
    [ "${#scripts[@]}" -ge 9 ] || { echo "too few scripts found"; return 1; }
    timeout 120 shellcheck -s sh "$pkg/ddhcpd/files/ddhcpd.init" &&
        timeout 120 shellcheck -x "${scripts[@]}" Tests/ci.d/50-openwrt-package.sh
}

lint_lua() {
    local files=(
        "$pkg/gluon-ddhcpd/check_site.lua"
        "$pkg/gluon-ddhcpd/luasrc/lib/gluon/upgrade/520-ddhcpd"
        "$pkg/gluon-ddhcpd/luasrc/lib/gluon/ebtables/110-mcast-allow-ddhcpd"
        "$pkg"/tests/gluon-stub/*.lua
    )
    echo "luac5.1 -p: ${#files[@]} files"
    luac5.1 -p "${files[@]}"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Build/Compile exactly as OpenWrt would run it, with the SDK stand-in: TOOLCHAIN_DIR (musl
# headers, crt*.o, libc.a) and TARGET_CC (for libgcc) come from Debian's musl-dev/musl-tools.
makefile_binary=
compile_with_makefile() {
    local tc=$work/toolchain-x86_64
    if [ ! -x toolchain/build.sh ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
        echo "skipped: toolchain/build.sh or Debian's x86_64 musl missing"
        return 0
    fi
    mkdir -p "$tc"
    ln -s /usr/include/x86_64-linux-musl "$tc/include"
    ln -s /usr/lib/x86_64-linux-musl "$tc/lib"
    timeout 900 make -s -C "$pkg/ddhcpd" TOPDIR="$PWD/$pkg/tools/sdk-shim" SHIM_WORK="$work/sdk" \
        TOOLCHAIN_DIR="$tc" TARGET_CC=musl-gcc ARCH=x86_64 shim-compile || return 1
    makefile_binary=$work/sdk/build/ddhcpd-0.1.0/out/x86_64/ddhcpd
    [ -f "$makefile_binary" ] || { echo "no binary at $makefile_binary"; return 1; }
    if readelf -lW "$makefile_binary" | grep -q INTERP; then
        echo "$makefile_binary is dynamically linked"
        return 1
    fi
    echo "built $(stat -c %s "$makefile_binary") bytes, static"
}

# The binary to pack: prefer the real static one.
pick_binary() {
    run_flag=--run
    if [ -n "$makefile_binary" ]; then
        binary=$makefile_binary
        binary_label="static x86_64 build by the package's Build/Compile (toolchain/build.sh)"
    elif [ -f out/x86_64/ddhcpd ]; then
        binary=out/x86_64/ddhcpd
        binary_label="out/x86_64/ddhcpd (static build from toolchain/build.sh)"
    elif timeout 900 swift build -c release --scratch-path .build-openwrt --product ddhcpd \
            >"$work/swift-build.log" 2>&1; then
        binary="$(swift build -c release --scratch-path .build-openwrt --show-bin-path)/ddhcpd"
        binary_label="host swift build -c release product (glibc, not the static OpenWrt binary)"
    else
        tail -n 20 "$work/swift-build.log" 2>/dev/null || true
        cc=musl-gcc
        command -v musl-gcc >/dev/null || cc=gcc
        "$cc" -static -Os -o "$work/ddhcpd" "$pkg/tests/standin/ddhcpd-standin.c"
        binary="$work/ddhcpd"
        binary_label="STAND-IN: static C ELF from tests/standin (no Swift binary could be built)"
        run_flag=
    fi
    echo "packing: $binary_label"
}

step "shellcheck" lint_shell
step "lua syntax" lint_lua
step "Build/Compile with toolchain/build.sh" compile_with_makefile
pick_binary
daemon_env=()
[ -z "$run_flag" ] || daemon_env=(DDHCPD_BINARY="$binary")
step "init script" env "${daemon_env[@]}" timeout 300 python3 "$pkg/tests/test_init_script.py"
step "gluon-ddhcpd" env "${daemon_env[@]}" timeout 300 python3 "$pkg/tests/test_gluon.py"
step "package and .ipk" timeout 300 python3 "$pkg/tests/test_package.py" "$binary" "$binary_label" $run_flag
# The respondd provider against the packed daemon (it only talks to the control socket).
if [ "$(id -u)" -eq 0 ] && [ -n "$run_flag" ]; then
    step "respondd provider" env DDHCPD="$(realpath "$binary")" timeout 120 bash "$pkg/tests/respondd.sh"
else
    echo "--- respondd provider: skipped (needs root and a daemon binary)"
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "openwrt-package: FAILED: ${failed[*]}"
    exit 1
fi
echo "openwrt-package: all steps passed"

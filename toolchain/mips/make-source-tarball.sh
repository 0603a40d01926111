#!/usr/bin/env bash
# Packs the portable C of ddhcpd (what toolchain/mips/build.sh compiles for MIPS) into
# out/ddhcpd-portable-src.tar.gz: the wasm2c output of the Swift daemon, wasm2c's header, the
# host layer, the daemon's C OS surface and a plain Makefile. A build host without Swift (an
# OpenWrt buildroot) compiles it with its own compiler:  make CC=$(TARGET_CC)
#
#   toolchain/mips/make-source-tarball.sh [--out DIR] [--log-limit N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../out log_limit=${DDHCPD_LOG_LIMIT:-4}
while [ $# -gt 0 ]; do
    case ${1:-} in
        --out) out=$2; shift 2 ;;
        --log-limit) log_limit=$2; shift 2 ;;
        *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
tree=$(bash "$here/build.sh" source --log-limit "$log_limit")
mkdir -p "$out"
tarball=$(cd "$out" && pwd)/ddhcpd-portable-src.tar.gz
cat >"$tree/README" <<'EOF2'
ddhcpd, portable C. Generated from the Swift sources (Embedded Swift -> wasm32 -> wasm2c);
do not edit ddhcpd_wasm.c / ddhcpd_wasm.h / imports.c by hand.

  make CC=<target C compiler> [LINK=<link driver>] [CFLAGS=-Os] [LDFLAGS="-static -s"] [BOUNDS=1]

Needs a C99 compiler (gcc or clang) and a Linux libc (musl or glibc). Big- and little-endian
targets both work: the byte order comes from the compiler (__BYTE_ORDER__).
wasm-rt.h is WebAssembly's wasm2c runtime header (Apache-2.0, see its top).
EOF2
# Fixed owner and times: the same sources give the same tarball.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    --exclude=stamp -C "$(dirname "$tree")" --transform "s,^$(basename "$tree"),ddhcpd-portable-src," \
    -cf - "$(basename "$tree")" | gzip -9n >"$tarball"
echo "$tarball $(stat -c %s "$tarball") bytes"

#!/usr/bin/env bash
# The portable C source release of ddhcpd: out/ddhcpd-VERSION.tar.gz (top directory
# ddhcpd-VERSION/, as OpenWrt's PKG_SOURCE unpacks it). Contents: the wasm2c output of the Swift
# daemon, wasm2c's runtime header, the host layer, the daemon's C OS surface, a plain Makefile,
# the OpenWrt init/config/hook files (files/), VERSION, REVISION (the commit), LICENSE and a
# README. No Swift inside; a build host without Swift compiles it: make CC=$(TARGET_CC)
#
#   toolchain/portable/make-source-tarball.sh [--out DIR] [--log-limit N]
#
# Reproducible (D-61): the same commit gives a byte-identical tarball on any machine and in any
# checkout directory — names sorted, owner 0:0, every mtime the commit's time, no host paths in
# the files, gzip without name and time. Prints the tarball's path, size and sha256.
# VERSION is PKG_VERSION of openwrt-package/ddhcpd/Makefile; the log limit (file LOG_LIMIT) is
# that package's default CONFIG_DDHCPD_LOG_LIMIT (3, up to INFO) unless --log-limit names another.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=toolchain/embedded-swift.sh
source "$repo/toolchain/embedded-swift.sh"
out=$repo/out log_limit=${DDHCPD_LOG_LIMIT:-$DDHCPD_RELEASE_LOG_LIMIT}
while [ $# -gt 0 ]; do
    case ${1:-} in
        --out) out=$2; shift 2 ;;
        --log-limit) log_limit=$2; shift 2 ;;
        *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
version=$(sed -n 's/^PKG_VERSION:=\(.*\)$/\1/p' "$repo/openwrt-package/ddhcpd/Makefile")
[ -n "$version" ] || { echo "make-source-tarball.sh: no PKG_VERSION in openwrt-package/ddhcpd/Makefile" >&2; exit 1; }
tree=$(bash "$here/build.sh" source --log-limit "$log_limit")
name=ddhcpd-$version
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "$out/.tarball.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name" "$stage/$name/files"
(cd "$tree" && cp ./*.c ./*.h Makefile REVISION LOG_LIMIT "$stage/$name/")
cp "$repo"/openwrt-package/ddhcpd/files/* "$stage/$name/files/"
cp "$repo/LICENSE" "$stage/$name/LICENSE"
echo "$version" >"$stage/$name/VERSION"
cat >"$stage/$name/README" <<EOF
ddhcpd $version, portable C source release (commit $(cat "$tree/REVISION")).

Generated from the Swift sources (Embedded Swift -> wasm32 -> wasm2c) by
toolchain/portable/make-source-tarball.sh; do not edit ddhcpd_wasm.c, ddhcpd_wasm.h or
imports.c by hand. Building needs no Swift: a C99 compiler (gcc or clang) for Linux, with
musl or glibc, either byte order, 32 or 64 bits:

  make CC=<target C compiler> [CFLAGS=-Os] [LDFLAGS=-s] [STATIC=1] [MALLOC=1] [BOUNDS=1]

The C was generated with log limit $log_limit (file LOG_LIMIT: log calls above that level,
0 fatal .. 4 debug, are compiled out); make LOG_LIMIT=N with another N stops with an error, as
the limit cannot change without regenerating the C (make-source-tarball.sh --log-limit N).
The result is ./ddhcpd; ddhcpdctl is the same binary under that name (a symlink).
files/ holds the OpenWrt init script, uci config and hook. Makefile's head lists the options.
wasm-rt.h is WebAssembly's wasm2c runtime header (Apache-2.0, see its top); the rest is under
LICENSE.
EOF
# Every mtime is the commit's time (else the epoch): the same commit gives the same bytes.
mtime=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)
chmod -R u=rwX,go=rX "$stage/$name"
chmod 0755 "$stage/$name/files/ddhcpd.init" "$stage/$name/files/ddhcpd.hook"
tarball=$out/$name.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" --format=gnu \
    -C "$stage" -cf - "$name" | gzip -9n >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
echo "$tarball $(stat -c %s "$tarball") bytes sha256 $(sha256sum "$tarball" | cut -d' ' -f1)"

#!/usr/bin/env bash
# Measures the C ddhcpd (and its ddhcpdctl) the way toolchain/budgets.txt states them: built
# from a checkout of the C daemon with the same compilers and flags as our two routes, static
# musl, stripped. A developer tool (CI has neither the C sources nor GitHub): it prints one
# budgets.txt row per architecture, to be copied there with the reason it states.
#
#   toolchain/c-reference-sizes.sh [C-SOURCE-DIR] [ARCH...]
#   DDHCPD_C_SOURCE=DIR toolchain/c-reference-sizes.sh
#
# C-SOURCE-DIR: a checkout of the C ddhcpd (sargon/ddhcpd; its Makefile's OBJ and OBJCTL lists
# name the objects). ARCH: portable-mips portable-mipsel portable-armv5 portable-powerpc
# portable-i386 portable-x86_64 portable-armv7 portable-aarch64 (the SDK stand-in,
# toolchain/portable/standin-cc.sh, with the flags of toolchain/portable/portable.mk) and x86_64 aarch64 armv7 (the Swift toolchain's clang
# with -flto=full and ld.lld --gc-sections --icf=all against the Debian musl sysroots, as
# toolchain/build.sh links ours); default all. netlink.c is replaced by stubs: it needs libnl,
# a shared library on OpenWrt that would not be in the binary anyway (and the gluon builds of
# the C daemon do not use it). -fcommon: the C sources define globals in headers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${DDHCPD_C_SOURCE:-}
if [ $# -gt 0 ] && [ -d "$1" ]; then src=$1; shift; fi
[ -n "$src" ] && [ -f "$src/Makefile" ] && [ -f "$src/ddhcp.c" ] || {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
src=$(cd "$src" && pwd)
all=(portable-mips portable-mipsel portable-armv5 portable-powerpc portable-i386 portable-x86_64 portable-armv7 portable-aarch64 x86_64 aarch64 armv7)
[ $# -gt 0 ] && all=("$@")
export PATH=/opt/swift/usr/bin:$PATH

objs_of() { sed -n "s/^$1=//p" "$src/Makefile" | tr ' ' '\n' | sed -n 's/\.o$/.c/p'; }
mapfile -t daemon_srcs < <(objs_of OBJ)
mapfile -t ctl_srcs < <(objs_of OBJCTL)
[ ${#daemon_srcs[@]} -gt 5 ] && [ ${#ctl_srcs[@]} -gt 3 ] || { echo "c-reference-sizes.sh: no OBJ/OBJCTL in $src/Makefile" >&2; exit 1; }
revision=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/*.c "$src"/*.h "$work/"
[ -f "$work/version.h" ] || echo "#define REVISION \"$revision\"" >"$work/version.h"
cat >"$work/netlink.c" <<'EOF'
// Stub (c-reference-sizes.sh): the netlink watcher needs libnl.
#include "netlink.h"
int netlink_init(epoll_data_t data, ddhcp_config *config) { (void)data; (void)config; return -1; }
int netlink_in(epoll_data_t data, ddhcp_config *config) { (void)data; (void)config; return 0; }
int netlink_close(epoll_data_t data, ddhcp_config *config) { (void)data; (void)config; return 0; }
EOF
# The C daemon's own language flags, then what our portable C gets (portable.mk).
lang=(-std=c11 -D_GNU_SOURCE -fcommon -fno-strict-aliasing -DNDEBUG -w)
common=(-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector -U_FORTIFY_SOURCE)
strip_out() { llvm-objcopy --strip-all -R .pdr -R .comment -R .gnu.attributes -R .mdebug.abi32 "$1" "$1.stripped"; stat -c %s "$1.stripped"; }

# build_portable ARCH NAME SOURCES...: size of the stripped static binary
build_portable() {
    local arch=$1 name=$2; shift 2
    local CC='' LINK='' LIBS='' cc link libs
    eval "$(bash "$here/portable/standin-cc.sh" "$arch")"
    read -ra cc <<<"$CC"; read -ra link <<<"$LINK"; read -ra libs <<<"$LIBS"
    local d=$work/$arch-$name; mkdir -p "$d"
    local o=() f
    for f in "$@"; do
        "${cc[@]}" "${common[@]}" "${lang[@]}" -I "$work" -c "$work/$f" -o "$d/${f%.c}.o" 2> >(grep -v abicalls >&2)
        o+=("$d/${f%.c}.o")
    done
    "${link[@]}" -s -static -Wl,--gc-sections -Wl,-z,norelro -Wl,-z,noseparate-code -o "$d/$name" "${o[@]}" "${libs[@]}" \
        2> >(grep -v abicalls >&2)
    strip_out "$d/$name"
}

# build_native ARCH NAME SOURCES...: as toolchain/build.sh links the Swift daemon
build_native() {
    local arch=$1 name=$2; shift 2
    local triple multi flags=() gccdir
    case $arch in
        x86_64) triple=x86_64-unknown-linux-musl multi=x86_64-linux-musl gccdir=/usr/lib/gcc/x86_64-linux-gnu ;;
        aarch64) triple=aarch64-unknown-linux-musl multi=aarch64-linux-musl gccdir=/usr/lib/gcc-cross/aarch64-linux-gnu
                 flags=(-mno-outline-atomics) ;;
        armv7) triple=armv7-unknown-linux-musleabihf multi=arm-linux-musleabihf gccdir=/usr/lib/gcc-cross/arm-linux-gnueabihf
               flags=(-mfloat-abi=hard -mfpu=vfpv3-d16 -mthumb) ;;
    esac
    local inc=/usr/include/$multi lib=/usr/lib/$multi libgcc
    libgcc=$(find "$gccdir" -mindepth 2 -maxdepth 2 -name libgcc.a | sort -V | tail -n 1)
    [ -f "$lib/libc.a" ] && [ -n "$libgcc" ] || { echo "c-reference-sizes.sh: $arch: Debian musl sysroot missing (toolchain/install-deps.sh)" >&2; return 1; }
    local d=$work/$arch-$name; mkdir -p "$d"
    local o=() f
    for f in "$@"; do
        clang --target="$triple" "${flags[@]}" -flto=full "${common[@]}" "${lang[@]}" -nostdlibinc -isystem "$inc" \
            -I "$work" -c "$work/$f" -o "$d/${f%.c}.o"
        o+=("$d/${f%.c}.o")
    done
    clang --target="$triple" "${flags[@]}" -flto=full -fuse-ld=lld -nostdlib -static -o "$d/$name" \
        "$lib/crt1.o" "$lib/crti.o" "${o[@]}" -Wl,--start-group "$lib/libc.a" "$libgcc" -Wl,--end-group "$lib/crtn.o" \
        -Wl,--gc-sections -Wl,--icf=all -Wl,--build-id=none -Wl,-z,norelro
    strip_out "$d/$name"
}

echo "# C ddhcpd $revision ($src), measured by toolchain/c-reference-sizes.sh:"
for arch in "${all[@]}"; do
    case $arch in
        portable-*) b=build_portable a=${arch#portable-} ;;
        x86_64 | aarch64 | armv7) b=build_native a=$arch ;;
        *) echo "c-reference-sizes.sh: unknown arch $arch" >&2; exit 2 ;;
    esac
    d=$($b "$a" ddhcpd "${daemon_srcs[@]}")
    c=$($b "$a" ddhcpdctl "${ctl_srcs[@]}")
    printf '%-17s %7s  # C ddhcpd %s + ddhcpdctl %s = %s\n' "$arch" "$d" "$d" "$c" "$((d + c))"
done

#!/usr/bin/env bash
# The stand-in for an OpenWrt SDK's TARGET_CC on a Debian host: Debian's cross gcc for the
# architecture compiles against the musl headers that come with zig, and GNU ld (through that
# gcc) links against zig's static musl for the same CPU and float ABI. This is what CI and
# toolchain/portable/build.sh use to build the portable C for every gluon architecture; an
# OpenWrt build host uses its own TARGET_CC instead (openwrt-package/ddhcpd/Makefile).
#
#   toolchain/portable/standin-cc.sh ARCH          prints CC=…, LINK=…, LIBS=…, QEMU=… (shell words)
#   toolchain/portable/standin-cc.sh ARCH --warm   only builds zig's musl for ARCH (scripts/setup.d)
#   toolchain/portable/standin-cc.sh ARCH --wrapper FILE   writes FILE, one compiler driver that
#       compiles (-c) or links (crt1.o and the static musl added) as an SDK's TARGET_CC does
#   toolchain/portable/standin-cc.sh --list        the architectures
#
# ARCH (gluon targets in brackets):
#   mips     big-endian mips32r2 soft-float, MIPS16e     [ath79, lantiq]
#   mipsel   little-endian mips32r2 soft-float, MIPS16e  [ramips mt7620/mt76x8/mt7621]
#   armv5    ARMv5TE soft-float (EABI), Thumb             [kirkwood; runs on ARMv6 bcm2708 too]
#   armv7    ARMv7-A hard-float VFPv3-D16, Thumb-2        [ipq40xx, ipq806x, mvebu, sunxi, bcm2709, armsr]
#   aarch64  ARMv8-A                                      [mediatek, qualcommax, rockchip, bcm2710/11, armsr]
#   powerpc  32-bit big-endian PowerPC soft-float         [mpc85xx]
#   i386     i486 and later                               [x86-generic, x86-geode, x86-legacy]
#   x86_64   x86-64                                       [x86-64]
# Needs: gcc-<triple> from Debian (scripts/apt-packages.txt), zig (scripts/setup.d/25-portable.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arches=(mips mipsel armv5 armv7 aarch64 powerpc i386 x86_64)
[ "${1:-}" = --list ] && { echo "${arches[*]}"; exit 0; }
[ $# -ge 1 ] || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
arch=$1 mode=${2:-print}

# arch: gcc triple | zig target | zig cpu | zig musl header arch | gcc flags | qemu
case $arch in
    mips)    t=(mips-linux-gnu mips-linux-musleabi mips32r2 mips
                "-march=mips32r2 -msoft-float -mno-abicalls -fno-pic -Wa,-mno-pdr -mips16 -minterlink-compressed -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1" mips) ;;
    mipsel)  t=(mipsel-linux-gnu mipsel-linux-musleabi mips32r2 mips
                "-march=mips32r2 -msoft-float -mno-abicalls -fno-pic -Wa,-mno-pdr -mips16 -minterlink-compressed -DDDHCP_WASM_EXPECT_BIG_ENDIAN=0" mipsel) ;;
    armv5)   t=(arm-linux-gnueabi arm-linux-musleabi arm926ej_s arm
                "-march=armv5te -mtune=arm926ej-s -mfloat-abi=soft -mthumb" arm) ;;
    armv7)   t=(arm-linux-gnueabihf arm-linux-musleabihf cortex_a7 arm
                "-march=armv7-a -mfloat-abi=hard -mfpu=vfpv3-d16 -mthumb" arm) ;;
    aarch64) t=(aarch64-linux-gnu aarch64-linux-musl generic aarch64 "-mno-outline-atomics" aarch64) ;;
    powerpc) t=(powerpc-linux-gnu powerpc-linux-musleabi ppc powerpc
                "-mcpu=powerpc -msoft-float -DDDHCP_WASM_EXPECT_BIG_ENDIAN=1" ppc) ;;
    i386)    t=(i686-linux-gnu x86-linux-musl i486 x86 "-march=i486 -mtune=generic" i386) ;;
    x86_64)  t=(x86_64-linux-gnu x86_64-linux-musl x86_64 x86_64 "" x86_64) ;;
    *) echo "standin-cc.sh: unknown arch '$arch' (${arches[*]})" >&2; exit 2 ;;
esac
gcc=${t[0]}-gcc
if [ -n "${ZIG:-}" ]; then zig=("$ZIG")
elif [ -x /opt/ziglang/ziglang/zig ]; then zig=(/opt/ziglang/ziglang/zig)
else zig=(python3 -m ziglang); fi

# zig's musl for this target (crt1.o, libc.a, libzigc.a, libcompiler_rt.a), as zig itself links
# it; -Os makes zig build it ReleaseSmall (without UBSan). Built once, cached by zig (~50 s).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int main(void) { return 0; }\n' >"$probe/p.c"
mapfile -t musl < <(ZIG_VERBOSE_LINK=1 "${zig[@]}" cc -target "${t[1]}" "-mcpu=${t[2]}" -Os \
    -static "$probe/p.c" -o "$probe/p" 2>&1 | grep '^ld.lld ' | tail -n 1 |
    grep -o '/[^ ]*/\(crt1\.o\|lib[a-z_]*\.a\)' | awk '!seen[$0]++')
if [ "${#musl[@]}" -lt 2 ] || [ "$(basename "${musl[0]}")" != crt1.o ]; then
    echo "standin-cc.sh: cannot find zig's musl for $arch (zig $("${zig[@]}" version))" >&2
    exit 1
fi
[ "$mode" = --warm ] && { echo "standin-cc.sh: $arch: zig musl ready"; exit 0; }
command -v "$gcc" >/dev/null || { echo "standin-cc.sh: $gcc missing (apt-get install gcc-${t[0]})" >&2; exit 1; }
inc=$("${zig[@]}" env | sed -n 's/.*lib_dir = "\(.*\)".*/\1/p')/libc/include
musl_arch=${t[3]}
case $arch in armv7) libc_dir=arm-linux-musl ;; *) libc_dir=$musl_arch-linux-musl ;; esac
cc="$gcc -nostdinc -isystem $("$gcc" -print-file-name=include) -isystem $inc/$libc_dir -isystem $inc/generic-musl"
cc+=" -isystem $inc/$musl_arch-linux-any -isystem $inc/any-linux-any ${t[4]}"
# common-page-size=16: the data segment follows the code in the file without padding to a page
# (it is mapped at an address congruent to its offset, as the loader requires).
link="$gcc -nostdlib -static -Wl,--build-id=none -Wl,-z,common-page-size=16 -Wl,-T,$here/host/discard-unwind.ld ${t[4]} ${musl[0]}"
# libgcc last: gcc's own helpers zig's compiler_rt lacks (PowerPC -Os register save/restore).
libs="-Wl,--start-group ${musl[*]:1} $("$gcc" -print-libgcc-file-name) -Wl,--end-group"
if [ "$mode" = --wrapper ]; then
    [ -n "${3:-}" ] || { echo "standin-cc.sh: --wrapper FILE" >&2; exit 2; }
    cat >"$3" <<EOF
#!/bin/sh
# SDK stand-in compiler for $arch (toolchain/portable/standin-cc.sh): compiles, or links statically.
for a in "\$@"; do case \$a in -c | -E | -S | -M | -MM) exec $cc "\$@" ;; esac; done
# -lm and -lc are in the static musl group below.
for a in "\$@"; do shift; case \$a in -lm | -lc) ;; *) set -- "\$@" "\$a" ;; esac; done
exec $link "\$@" $libs
EOF
    chmod +x "$3"
    exit 0
fi
printf 'CC=%q\nLINK=%q\nLIBS=%q\nQEMU=%q\n' "$cc" "$link" "$libs" "qemu-${t[5]}-static"

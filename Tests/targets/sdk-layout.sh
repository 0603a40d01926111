#!/usr/bin/env bash
# The OpenWrt SDK route of toolchain/build.sh: parameters instead of Debian's paths.
# 1. armv7 from a toolchain dir laid out like an OpenWrt SDK's staging_dir/toolchain-*/
#    (include/, lib/libc.a + crt*.o, lib/gcc/<triple>/<ver>/libgcc.a; here symlinks to the Debian
#    musl files) with --sysroot/--libgcc-dir must give a binary byte-identical to the default one.
# 2. x86_64 with --target-cc musl-gcc (a real gcc driver for musl) must find the same headers,
#    libc and libgcc by asking that compiler, and so give the identical binary too.
# Needs out/armv7/ddhcpd and out/x86_64/ddhcpd from the default build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# Fixed paths under a git-ignored scratch dir: the same configuration hash on every run, so
# build.sh's scratch for it (.build-armv7-<hash>) stays incremental instead of piling up.
tmp=$root/.build-sdk-layout
rm -rf "$tmp/staging_dir" "$tmp/out"
fails=0

tc=$tmp/staging_dir/toolchain-arm_cortex-a7+vfpv3_gcc-12.3.0_musl_eabi
gccdir=$tc/lib/gcc/arm-openwrt-linux-muslgnueabi/12.3.0
mkdir -p "$gccdir"
ln -s /usr/include/arm-linux-musleabihf "$tc/include"
for f in libc.a crt1.o crti.o crtn.o; do ln -s "/usr/lib/arm-linux-musleabihf/$f" "$tc/lib/$f"; done
ln -s "$(find /usr/lib/gcc-cross/arm-linux-gnueabihf -name libgcc.a | sort -V | tail -n1)" "$gccdir/libgcc.a"
bash "$root/toolchain/build.sh" armv7 --sysroot "$tc" --libgcc-dir "$gccdir" --out "$tmp/out"
if cmp "$tmp/out/armv7/ddhcpd" "$root/out/armv7/ddhcpd"; then
    echo "  ok   armv7 from an OpenWrt-style toolchain dir: identical to the default build"
else echo "  FAIL armv7 from an OpenWrt-style toolchain dir differs from the default build"; fails=$((fails + 1)); fi

if command -v musl-gcc >/dev/null; then
    bash "$root/toolchain/build.sh" x86_64 --target-cc musl-gcc --out "$tmp/out"
    if cmp "$tmp/out/x86_64/ddhcpd" "$root/out/x86_64/ddhcpd"; then
        echo "  ok   x86_64 with --target-cc musl-gcc: identical to the default build"
    else echo "  FAIL x86_64 with --target-cc musl-gcc differs from the default build"; fails=$((fails + 1)); fi
fi
[ $fails -eq 0 ]

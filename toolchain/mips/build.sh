#!/usr/bin/env bash
# Builds the static, stripped ddhcpd for MIPS through the portable route:
#   Swift (Embedded) -> wasm32 -> wasm-opt -> wasm2c -> C -> any C compiler for the target.
# The wasm module and its C are the same for every target; only the last step is per arch.
#
#   toolchain/mips/build.sh mips|mipsel [--out DIR] [--target-cc CC --sysroot DIR --libgcc-dir DIR]
#                           [--log-limit N] [--bounds mask|check|none]
#
# Output: DIR/ARCH/ddhcpd (default DIR: out/). Without --target-cc the module C is compiled with
# Debian's gcc-mips(el)-linux-gnu (-Os keeps the generated code smallest) and everything is linked
# statically against zig's soft-float musl (mips32r2, as ath79 and ramips mt76x8 run).
# With --target-cc (an OpenWrt SDK) that compiler does everything with its own sysroot.
# Extra arch `host` builds the same C for the build machine (debugging the route).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
arch=$1; shift
out=$repo/out target_cc= sysroot= libgcc_dir= log_limit=${DDHCPD_LOG_LIMIT:-4} bounds=mask
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --target-cc) target_cc=$2; shift 2 ;;
        --sysroot) sysroot=$2; shift 2 ;;
        --libgcc-dir) libgcc_dir=$2; shift 2 ;;
        --log-limit) log_limit=$2; shift 2 ;;
        --bounds) bounds=$2; shift 2 ;;
        *) usage ;;
    esac
done
case $arch in mips | mipsel | host) ;; *) echo "build.sh: unknown arch $arch (mips, mipsel)" >&2; exit 2 ;; esac
case $bounds in none) bounds_n=0 ;; mask) bounds_n=1 ;; check) bounds_n=2 ;; *) usage ;; esac
case $log_limit in [0-4]) ;; *) echo "build.sh: --log-limit must be 0..4" >&2; exit 2 ;; esac
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Sources: the product once the daemon's OS surface exists, else the probe (same shape).
if [ -f "$repo/Sources/DDHCPSystem/include/ddhcp_system.h" ]; then
    sys_dir=$repo/Sources/DDHCPSystem swift_main_dir=$repo/Sources/ddhcpd
else
    sys_dir=$here/probe/DDHCPSystem swift_main_dir=$here/probe/ddhcpd
    echo "build.sh: Sources/DDHCPSystem not there yet: building the probe" >&2
fi
core_dir=$repo/Sources/DDHCPCore
header=$sys_dir/include/ddhcp_system.h
mem_bytes=$((16 * 1024 * 1024))  # linear memory, reserved at once (a power of two: masking)

work=$repo/.build-mips-wasm
gen=$work/gen-L$log_limit  # arch-independent: Swift -> wasm -> C
mkdir -p "$gen"
t0=$(date +%s)

# ---- Stage 1: the module, once for all targets (skipped when no input changed) ----
stamp=$( (cat "$0" "$here"/wasm/* "$here"/host/* "$header" "$core_dir"/*.swift "$swift_main_dir"/*.swift
          echo "$log_limit $mem_bytes $sys_dir") | sha256sum | cut -c1-16)
if [ "$(cat "$gen/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$gen/stamp"
    swift_flags=(-target wasm32-unknown-none-wasm -enable-experimental-feature Embedded -wmo -Osize
                 -target-cpu mvp -Xcc -msign-ext -Xcc -mnontrapping-fptoint
                 -Xfrontend -disable-stack-protector -Xfrontend -function-sections
                 -D "DDHCPD_LOG_LIMIT_$log_limit")
    wasm_cc=(clang --target=wasm32 -mcpu=mvp -msign-ext -mnontrapping-fptoint -mmutable-globals -Os)
    # DDHCPCore as its own module (the daemon imports it), then the daemon with the C header.
    swiftc "${swift_flags[@]}" -parse-as-library -module-name DDHCPCore \
        -emit-module -emit-module-path "$gen/DDHCPCore.swiftmodule" -emit-ir -o "$gen/core.ll" "$core_dir"/*.swift
    if [ -f "$sys_dir/include/module.modulemap" ]; then
        modmap=$sys_dir/include/module.modulemap
    else
        modmap=$gen/module.modulemap
        printf 'module DDHCPSystem {\n    header "%s"\n    export *\n}\n' "$header" >"$modmap"
    fi
    main_flags=(-module-name ddhcpd)
    [ -f "$swift_main_dir/main.swift" ] || main_flags+=(-parse-as-library)
    swiftc "${swift_flags[@]}" "${main_flags[@]}" -I "$gen" -Xcc "-fmodule-map-file=$modmap" \
        -Xcc -I -Xcc "$sys_dir/include" -emit-ir -o "$gen/main.ll" "$swift_main_dir"/*.swift
    for m in core main; do
        "${wasm_cc[@]}" -Wno-override-module -c "$gen/$m.ll" -o "$gen/$m.o"
    done
    "${wasm_cc[@]}" -ffreestanding -fno-builtin -I "$here/wasm" -c "$here/wasm/libc.c" -o "$gen/libc.o"
    # Only the OS surface may be imported: anything else missing is a link error.
    sed -n 's/^[^#(]*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p' "$header" "$here/wasm/host_extra.h" | sort -u >"$gen/imports.txt"
    wasm-ld --no-entry --gc-sections --stack-first -z stack-size=65536 --max-memory=$mem_bytes \
        --export=ddhcpd_main --export=ddhcp_wasm_alloc --allow-undefined-file="$gen/imports.txt" \
        "$gen/core.o" "$gen/main.o" "$gen/libc.o" -o "$gen/module.wasm"
    wasm-opt -Oz --strip-debug --strip-producers "$gen/module.wasm" -o "$gen/module.opt.wasm"
    wasm2c -n ddhcpd "$gen/module.opt.wasm" -o "$gen/ddhcpd_wasm.c"
    python3 "$here/host/patch-wasm2c.py" "$gen/ddhcpd_wasm.c"
    python3 "$here/host/gen-host.py" --clang "$(command -v clang)" --wasm-header "$gen/ddhcpd_wasm.h" \
        --header "$header" --header "$here/wasm/host_extra.h" --entry-source "$sys_dir"/*.c -o "$gen/imports.c"
    cat >"$gen/ddhcpd_wasm_config.h" <<EOF
// Build settings of the generated module (toolchain/mips/build.sh). Override with -D.
#ifndef DDHCPD_WASM_CONFIG_H
#define DDHCPD_WASM_CONFIG_H
#define DDHCP_WASM_MEM_BYTES ${mem_bytes}u  // must equal the module's maximum memory
#ifndef DDHCP_WASM_BOUNDS
#define DDHCP_WASM_BOUNDS 1  // 1 mask, 2 check, 0 none (see wasm-mem.h)
#endif
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#define WASM_RT_USE_STACK_DEPTH_COUNT 0
#endif
EOF
    echo "$stamp" >"$gen/stamp"
    echo "build.sh: module $(stat -c %s "$gen/module.opt.wasm") bytes wasm, $(stat -c %s "$gen/ddhcpd_wasm.c") bytes C ($(( $(date +%s) - t0 )) s)" >&2
fi

# ---- Stage 2: C for the target ----
obj=$work/$arch-L$log_limit-$bounds
rm -rf "$obj"
mkdir -p "$obj" "$out/$arch"
cflags=(-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector
        -DNDEBUG "-DDDHCP_WASM_BOUNDS=$bounds_n" -I "$gen" -I "$here/host" -I "$here/wasm"
        -I /usr/src/wasm2c -I "$sys_dir/include")
ldflags=(-static -Wl,--gc-sections -s)
libs=(-lm)
host_srcs=("$here/host/rt.c" "$gen/imports.c" "$sys_dir"/*.c)
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
cflags+=("-DDDHCPD_REVISION=\"$revision\"")
if [ -n "$target_cc" ]; then
    # An SDK's compiler and sysroot for everything.
    [ -n "$sysroot" ] && cflags+=("--sysroot=$sysroot") && ldflags+=("--sysroot=$sysroot")
    [ -n "$libgcc_dir" ] && ldflags+=(-L "$libgcc_dir") && libs+=(-lgcc)
    read -r -a cc <<<"$target_cc"
    link=("${cc[@]}")
elif [ "$arch" = host ]; then
    cc=(cc) link=(cc)
else
    # Debian's gcc compiles (its -Os output of the generated module is the smallest: 22 KB
    # against clang's 25 KB for the probe, and bounds checks cost it 4% against 55%), using the
    # musl headers that come with zig; zig links against its soft-float musl (mips32r2 as on
    # ath79 and ramips mt76x8).
    if [ -n "${ZIG:-}" ]; then zig=("$ZIG")
    elif [ -x /opt/ziglang/ziglang/zig ]; then zig=(/opt/ziglang/ziglang/zig)
    else zig=(python3 -m ziglang); fi
    zig_lib=$("${zig[@]}" env | sed -n 's/.*lib_dir = "\(.*\)".*/\1/p')
    musl_inc=$zig_lib/libc/include
    gcc=$arch-linux-gnu-gcc
    command -v "$gcc" >/dev/null || { echo "build.sh: $gcc missing (apt-get install gcc-$arch-linux-gnu)" >&2; exit 1; }
    cc=("$gcc" -nostdinc -isystem "$("$gcc" -print-file-name=include)" -isystem "$musl_inc/mips-linux-musl"
        -isystem "$musl_inc/generic-musl" -isystem "$musl_inc/mips-linux-any" -isystem "$musl_inc/any-linux-any"
        -march=mips32r2 -msoft-float -mno-abicalls -fno-pic -Wa,-mno-pdr)
    # -Os here too: zig then builds its libc ReleaseSmall (and without UBSan).
    link=("${zig[@]}" cc -target "$arch-linux-musleabi" -mcpu=mips32r2 -Os)
    [ "$arch" = mips ] && cflags+=(-DDDHCP_WASM_EXPECT_BIG_ENDIAN=1) || cflags+=(-DDDHCP_WASM_EXPECT_BIG_ENDIAN=0)
fi
"${cc[@]}" "${cflags[@]}" -c "$gen/ddhcpd_wasm.c" -o "$obj/module.o"
for s in "${host_srcs[@]}"; do "${cc[@]}" "${cflags[@]}" -c "$s" -o "$obj/$(basename "$s" .c).o"; done
"${link[@]}" "${ldflags[@]}" "$obj"/*.o "${libs[@]}" -o "$out/$arch/ddhcpd" 2> >(grep -v 'non-abicalls' >&2)
# Sections nothing loads (MIPS .pdr/.mdebug/.gnu.attributes, compiler comments).
llvm-objcopy --strip-all -R .pdr -R .comment -R .gnu.attributes -R .mdebug.abi32 "$out/$arch/ddhcpd"
echo "build.sh: $out/$arch/ddhcpd $(stat -c %s "$out/$arch/ddhcpd") bytes (bounds $bounds, $(( $(date +%s) - t0 )) s)" >&2

#!/usr/bin/env bash
# Builds the static, stripped ddhcpd through the portable route:
#   Swift (Embedded) -> wasm32 -> wasm-opt -> wasm2c -> C -> any C compiler for the target.
# The module and its C are the same for every target (built once); only the C compile differs.
#
#   toolchain/portable/build.sh ARCH [--out DIR] [--target-cc CC --sysroot DIR --libgcc-dir DIR]
#                           [--log-limit N] [--bounds mask|check|none] [--isa mips32]
#   toolchain/portable/build.sh source [--log-limit N]     # only the portable C tree (see below)
#
# ARCH: mips mipsel armv5 armv7 aarch64 powerpc i386 x86_64 (standin-cc.sh), or host.
# Output: DIR/ARCH/ddhcpd (default DIR: out/portable/). Without --target-cc the SDK stand-in
# (standin-cc.sh: Debian's cross gcc, zig's static musl) builds it; MIPS as MIPS16e unless
# --isa mips32. With --target-cc (an OpenWrt SDK) that compiler does everything with its
# sysroot. Arch `host` builds the C for this machine with cc.
# --log-limit defaults to the OpenWrt package's default (DDHCPD_RELEASE_LOG_LIMIT, 3: up to
# INFO), what the release tarball ships; DDHCPD_LOG_LIMIT in the environment overrides it.
# The portable C tree (.build-portable/src-L<N>/, with portable.mk as its Makefile) is what
# make-source-tarball.sh packs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
arch=$1; shift
# The Embedded Swift flags, the source lists and the log limit default (one definition).
# shellcheck source=toolchain/embedded-swift.sh
source "$repo/toolchain/embedded-swift.sh"
out=$repo/out/portable target_cc='' sysroot='' libgcc_dir='' log_limit=${DDHCPD_LOG_LIMIT:-$DDHCPD_RELEASE_LOG_LIMIT}
bounds=mask isa=''
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
        --out) out=$2 ;;
        --target-cc) target_cc=$2 ;;
        --sysroot) sysroot=$2 ;;
        --libgcc-dir) libgcc_dir=$2 ;;
        --log-limit) log_limit=$2 ;;
        --bounds) bounds=$2 ;;
        --isa) isa=$2 ;;
        *) usage ;;
    esac
    shift 2
done
arches=$(bash "$here/standin-cc.sh" --list)
case " $arches host source " in *" $arch "*) ;; *) echo "build.sh: unknown arch $arch ($arches)" >&2; exit 2 ;; esac
case $bounds in none) bounds_n=0 ;; mask) bounds_n=1 ;; check) bounds_n=2 ;; *) usage ;; esac
case $log_limit in [0-4]) ;; *) echo "build.sh: --log-limit must be 0..4" >&2; exit 2 ;; esac
case $isa in '' | mips16 | mips32) ;; *) usage ;; esac

sys_dir=$DDHCPD_SYSTEM_DIR
header=$sys_dir/include/ddhcp_system.h
mem_bytes=$((16 * 1024 * 1024))  # linear memory, reserved at once (a power of two: masking)
stack_bytes=$((128 * 1024))      # the module's stack, at the bottom of linear memory
work=$repo/.build-portable
gen=$work/gen-L$log_limit  # Swift -> wasm -> C, arch-independent
tree=$work/src-L$log_limit  # the portable C tree
mkdir -p "$gen"
t0=$(date +%s)

# ---- Stage 1: the module and the portable C tree (skipped when no input changed) ----
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
stamp=$( (cat "$here"/build.sh "$here"/portable.mk "$here"/wasm/* "$repo"/toolchain/support/malloc.c "$here"/host/* "$sys_dir"/*.c "$header" \
              "${DDHCPD_CORE_SOURCES[@]}" "${DDHCPD_SHELL_SOURCES[@]}"
          echo "$log_limit $mem_bytes $stack_bytes") | sha256sum | cut -c1-16)
if [ "$(cat "$tree/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$tree" "$tree.tmp"
    swift_flags=(-target wasm32-unknown-none-wasm "${EMBEDDED_SWIFT_FLAGS[@]}"
                 -target-cpu mvp -Xcc -msign-ext -Xcc -mnontrapping-fptoint
                 -D "DDHCPD_LOG_LIMIT_$log_limit")
    wasm_cc=(clang --target=wasm32 -mcpu=mvp -msign-ext -mnontrapping-fptoint -mmutable-globals -Os)
    # DDHCPCore as its own module (the daemon imports it), then the daemon with the C header.
    swiftc "${swift_flags[@]}" -parse-as-library -module-name DDHCPCore \
        -emit-module -emit-module-path "$gen/DDHCPCore.swiftmodule" -emit-ir -o "$gen/core.ll" "${DDHCPD_CORE_SOURCES[@]}"
    printf 'module DDHCPSystem {\n    header "%s"\n    export *\n}\n' "$header" >"$gen/module.modulemap"
    swiftc "${swift_flags[@]}" -parse-as-library -module-name ddhcpd -I "$gen" \
        -Xcc "-fmodule-map-file=$gen/module.modulemap" -emit-ir -o "$gen/main.ll" "${DDHCPD_SHELL_SOURCES[@]}"
    for m in core main; do "${wasm_cc[@]}" -Wno-override-module -c "$gen/$m.ll" -o "$gen/$m.o"; done
    "${wasm_cc[@]}" -ffreestanding -fno-builtin -I "$here/wasm" -I "$sys_dir/include" -DDDHCP_WASM_MEM_BYTES=$mem_bytes \
        -DDDHCP_WASM_STACK_BYTES=$stack_bytes -c "$here/wasm/libc.c" -o "$gen/libc.o"
    # Only the OS surface may be imported: any other missing symbol is a link error.
    sed -n 's/^[^#(]*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p' "$header" "$here/wasm/host_extra.h" | sort -u >"$gen/imports.txt"
    wasm-ld --no-entry --gc-sections --stack-first -z stack-size=$stack_bytes --max-memory=$mem_bytes \
        --export=ddhcpd_main --export=ddhcp_wasm_alloc --allow-undefined-file="$gen/imports.txt" \
        "$gen/core.o" "$gen/main.o" "$gen/libc.o" -o "$gen/module.wasm"
    wasm-opt -Oz --strip-debug --strip-producers "$gen/module.wasm" -o "$gen/module.opt.wasm"

    mkdir -p "$tree.tmp"
    wasm2c -n ddhcpd "$gen/module.opt.wasm" -o "$tree.tmp/ddhcpd_wasm.c"
    python3 "$here/host/patch-wasm2c.py" "$tree.tmp/ddhcpd_wasm.c"
    python3 "$here/host/gen-host.py" --clang "$(command -v clang)" --wasm-header "$tree.tmp/ddhcpd_wasm.h" \
        --header "$header" --header "$here/wasm/host_extra.h" --entry-source "$sys_dir"/*.c -o "$tree.tmp/imports.c"
    cp /usr/src/wasm2c/wasm-rt.h "$here/host/rt.c" "$repo/toolchain/support/malloc.c" "$here/host/wasm-mem.h" "$here/wasm/host_extra.h" \
        "$sys_dir"/*.c "$header" "$tree.tmp/"
    cp "$here/portable.mk" "$tree.tmp/Makefile"
    echo "$log_limit" >"$tree.tmp/LOG_LIMIT"  # portable.mk refuses to build it as another limit
    cat >"$tree.tmp/ddhcpd_wasm_config.h" <<EOF
// Build settings of the generated module (toolchain/portable/build.sh). Override with -D.
#ifndef DDHCPD_WASM_CONFIG_H
#define DDHCPD_WASM_CONFIG_H
#define DDHCP_WASM_MEM_BYTES ${mem_bytes}u  // must equal the module's maximum memory
#define DDHCP_WASM_STACK_BYTES ${stack_bytes}u  // the module's stack: [0, this)
#ifndef DDHCP_WASM_BOUNDS
#define DDHCP_WASM_BOUNDS 1  // 1 mask, 2 check, 0 none (see wasm-mem.h)
#endif
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#define WASM_RT_USE_STACK_DEPTH_COUNT 0
#endif
EOF
    echo "$stamp" >"$tree.tmp/stamp"
    mv "$tree.tmp" "$tree"
    echo "build.sh: module $(stat -c %s "$gen/module.opt.wasm") bytes wasm, $(stat -c %s "$tree/ddhcpd_wasm.c") bytes C ($(( $(date +%s) - t0 )) s)" >&2
fi
# The commit ddhcpd -V reports (outside the stamp: a new commit needs no new module).
[ "$(cat "$tree/REVISION" 2>/dev/null)" = "$revision" ] || echo "$revision" >"$tree/REVISION"
[ "$arch" = source ] && { echo "$tree"; exit 0; }

# ---- Stage 2: the C tree for the target (portable.mk) ----
mkdir -p "$out"
out=$(cd "$out" && pwd)
obj=$work/$arch-L$log_limit-$bounds-$isa
rm -rf "$obj"
mkdir -p "$obj" "$out/$arch"
cflags=(-Os) ldflags=(-s) libs=(-lm) malloc=1
if [ -n "$target_cc" ]; then
    # An SDK's compiler and sysroot for everything; its own code defaults unless --isa is given
    # (--isa mips16 needs GNU ld: lld cannot link MIPS16).
    cc=("$target_cc") link=("$target_cc")
    if [ "$isa" = mips16 ]; then
        cflags+=(-mips16 -minterlink-compressed)
        ldflags+=("-Wl,-T,$here/host/discard-unwind.ld")
    fi
    isa=${isa:-cc default}
    [ -z "$sysroot" ] || { cflags+=("--sysroot=$sysroot"); ldflags+=("--sysroot=$sysroot"); }
    [ -z "$libgcc_dir" ] || ldflags+=(-L "$libgcc_dir")
elif [ "$arch" = host ]; then
    isa=host cc=(cc) link=(cc) malloc=0  # glibc: keep its allocator
else
    # The SDK stand-in (standin-cc.sh): Debian's cross gcc compiles (its -Os output of the
    # generated module is the smallest: clang's is ~12% larger, ~70% with bounds checks), GNU ld
    # links against zig's static musl. MIPS is MIPS16e unless --isa mips32.
    CC='' LINK='' LIBS=''
    eval "$(bash "$here/standin-cc.sh" "$arch")"
    if [ "$isa" = mips32 ]; then CC=${CC// -mips16 -minterlink-compressed/}; LINK=${LINK// -mips16 -minterlink-compressed/}; fi
    isa=${isa:-default}
    read -ra cc <<<"$CC"
    read -ra link <<<"$LINK"
    read -ra libs <<<"$LIBS"
fi
make -s -C "$tree" -j2 O="$obj" BOUNDS=$bounds_n MALLOC=$malloc CC="${cc[*]}" LINK="${link[*]}" \
    CFLAGS="${cflags[*]}" LDFLAGS="${ldflags[*]}" LIBS="${libs[*]}" 2> >(grep -v 'abicalls' >&2)
# Sections nothing loads (MIPS .pdr/.mdebug/.gnu.attributes, compiler comments).
llvm-objcopy --strip-all -R .pdr -R .comment -R .gnu.attributes -R .mdebug.abi32 "$obj/ddhcpd" "$out/$arch/ddhcpd"
ln -sfn ddhcpd "$out/$arch/ddhcpdctl"
echo "build.sh: $out/$arch/ddhcpd $(stat -c %s "$out/$arch/ddhcpd") bytes (bounds $bounds, $isa, $(( $(date +%s) - t0 )) s)" >&2

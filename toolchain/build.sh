#!/usr/bin/env bash
# Cross-builds the static, stripped musl binary of ddhcpd with SwiftPM (Embedded Swift + LTO).
#
#   toolchain/build.sh TARGET [--sysroot DIR] [--target-cc CC] [--libgcc-dir DIR]
#                             [--log-limit N] [--out DIR]
#
# TARGET: x86_64 | aarch64 | armv7 (hard-float, Thumb-2); mips | mipsel | armv5 | powerpc | i386
# have no Embedded Swift stdlib and take the portable route (→ toolchain/portable/build.sh).
# Result: OUT/TARGET/ddhcpd (+ ddhcpdctl symlink); OUT defaults to out/.
#
# Without options the Debian musl sysroots from toolchain/install-deps.sh are used. An OpenWrt
# SDK passes its own: --sysroot (the toolchain dir holding include/ and lib/ with libc.a, crt*.o),
# --libgcc-dir (dir holding libgcc.a) and/or --target-cc (its gcc; used only to find the sysroot
# and libgcc when those are not given — all code is compiled by the Swift toolchain's clang so
# that LTO sees the C and Swift code as one module).
# --log-limit N (0..4) sets DDHCPD_LOG_LIMIT: log calls above level N are compiled out.
# DDHCPD_EXTRA_CFLAGS (env) adds C/clang-importer flags, e.g. "-mcpu=cortex-a7".
# DDHCPD_EXTRA_LDFLAGS (env) adds ld.lld flags, e.g. "-mllvm=-inline-threshold=0" for LTO codegen.
# SWIFT_TOOLCHAIN (env) selects the Swift toolchain (default: swiftc on PATH, else /opt/swift).
#
# What it does: writes a SwiftPM toolset (JSON) for the target into the scratch dir, builds a
# small support archive (toolchain/support: arc4random_buf, which musl lacks, and a compact
# malloc instead of mallocng), runs `swift build --triple … --toolset …
# --experimental-lto-mode=full`, strips the result and checks it (static, right machine, ARM
# hard-float ABI). Scratch: .build-TARGET (plus a suffix for non-default configurations).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# The Swift toolchain: $SWIFT_TOOLCHAIN/usr/bin, else the swiftc on PATH (an OpenWrt build
# puts its own there), else /opt/swift.
if [ -n "${SWIFT_TOOLCHAIN:-}" ]; then export PATH=$SWIFT_TOOLCHAIN/usr/bin:$PATH
elif ! command -v swiftc >/dev/null; then export PATH=/opt/swift/usr/bin:$PATH
fi

die() { echo "build.sh: $*" >&2; exit 1; }
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[ $# -ge 1 ] || usage 1
target=$1; shift
case "$target" in
    -h|--help) usage 0 ;;
    mips|mipsel|armv5|powerpc|i386)
        exec bash "$here/portable/build.sh" "$target" --out "$root/out" "$@" ;;
    x86_64|aarch64|armv7) ;;
    *) die "unknown target '$target' (x86_64 aarch64 armv7 mips mipsel armv5 powerpc i386)" ;;
esac

sysroot="" target_cc="" libgcc_dir="" log_limit="" out_dir="$root/out"
while [ $# -gt 0 ]; do
    case "$1" in
        --sysroot) sysroot=${2:?}; shift 2 ;;
        --target-cc) target_cc=${2:?}; shift 2 ;;
        --libgcc-dir) libgcc_dir=${2:?}; shift 2 ;;
        --log-limit) log_limit=${2:?}; shift 2 ;;
        --out) out_dir=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) die "unknown option '$1'" ;;
    esac
done
if [ -n "$log_limit" ]; then
    case "$log_limit" in [0-4]) ;; *) die "--log-limit must be 0..4, got '$log_limit'" ;; esac
fi

# The newest GCC version directory below $1 (Debian keeps libgcc.a in gcc/<triple>/<version>/).
newest_dir() { find "$1" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -V | tail -n1; }

# --- per-target facts --------------------------------------------------------------------
# swift_triple: selects the prebuilt Embedded stdlib; clang_triple: C headers, IR and codegen.
case "$target" in
    x86_64)
        swift_triple=x86_64-unknown-none-elf
        clang_triple=x86_64-unknown-linux-musl
        arch_flags=()
        deb_multiarch=x86_64-linux-musl
        deb_libgcc=$(newest_dir /usr/lib/gcc/x86_64-linux-gnu)
        elf_machine="X86-64" dumpmachine_re='^x86_64' ;;
    aarch64)
        swift_triple=aarch64-none-none-elf
        clang_triple=aarch64-unknown-linux-musl
        # Inline LSE-less atomics: no __aarch64_* outline helpers from libgcc needed.
        arch_flags=(-mno-outline-atomics)
        deb_multiarch=aarch64-linux-musl
        deb_libgcc=$(newest_dir /usr/lib/gcc-cross/aarch64-linux-gnu)
        elf_machine="AArch64" dumpmachine_re='^aarch64' ;;
    armv7)
        swift_triple=armv7-none-none-eabi
        clang_triple=armv7-unknown-linux-musleabihf
        # Hard-float ABI (VFP registers for FP arguments), VFPv3-D16 = the ARMv7 baseline that
        # OpenWrt's and Debian's armhf targets share; Thumb-2 is ~20% smaller than ARM mode.
        arch_flags=(-mfloat-abi=hard -mfpu=vfpv3-d16 -mthumb)
        deb_multiarch=arm-linux-musleabihf
        deb_libgcc=$(newest_dir /usr/lib/gcc-cross/arm-linux-gnueabihf)
        elf_machine="ARM" dumpmachine_re='^arm' ;;
esac
# shellcheck disable=SC2206
[ -n "${DDHCPD_EXTRA_CFLAGS:-}" ] && arch_flags+=(${DDHCPD_EXTRA_CFLAGS})

# --- locate headers, crt files, libc.a and libgcc.a --------------------------------------
# lib_beside INCDIR: the library dir that belongs to a header dir (X/include → X/lib,
# /usr/include/TRIPLE → /usr/lib/TRIPLE), if it holds libc.a and crt1.o.
lib_beside() {
    local d
    for d in "${1%/include}/lib" "${1/\/include\///lib/}"; do
        [ "$d" != "$1" ] && [ -f "$d/libc.a" ] && [ -f "$d/crt1.o" ] && { echo "$d"; return; }
    done
}
# sysroot_dirs DIR: sets inc_dir and lib_dir from a sysroot ({usr/,}include, {usr/,}lib).
sysroot_dirs() {
    local d
    inc_dir="" lib_dir=""
    for d in "$1/usr/include" "$1/include"; do [ -f "$d/stdio.h" ] && { inc_dir=$d; break; }; done
    for d in "$1/usr/lib" "$1/lib"; do
        [ -f "$d/libc.a" ] && [ -f "$d/crt1.o" ] && { lib_dir=$d; break; }
    done
    [ -n "$inc_dir" ] || die "no stdio.h under $1/{usr/,}include"
    [ -n "$lib_dir" ] || die "no libc.a + crt1.o under $1/{usr/,}lib"
}

if [ -n "$sysroot" ]; then
    [ -d "$sysroot" ] || die "--sysroot '$sysroot' is not a directory"
    sysroot=$(cd "$sysroot" && pwd)
    sysroot_dirs "$sysroot"
fi
if [ -n "$target_cc" ]; then
    # The target's gcc is only asked where things are: its C library headers (the include
    # search dir that has stdio.h), the libc.a beside them, and its libgcc.a.
    read -ra tcc <<<"$target_cc"
    command -v "${tcc[0]}" >/dev/null || die "--target-cc: '${tcc[0]}' not found"
    machine=$("${tcc[@]}" -dumpmachine 2>/dev/null || true)
    [[ "$machine" =~ $dumpmachine_re ]] || die "--target-cc targets '$machine', not $target"
    if [ -z "$sysroot" ]; then
        inc_dir="" lib_dir=""
        while read -r d; do
            [ -f "$d/stdio.h" ] && { inc_dir=$(cd "$d" && pwd); break; }
        done < <("${tcc[@]}" -E -Wp,-v -x c /dev/null 2>&1 >/dev/null | sed -n 's/^ \(\/.*\)/\1/p')
        [ -n "$inc_dir" ] || die "--target-cc: no include dir with stdio.h, pass --sysroot"
        lib_dir=$(lib_beside "$inc_dir")
        if [ -z "$lib_dir" ]; then
            libc=$("${tcc[@]}" -print-file-name=libc.a)
            [ -f "$libc" ] && [ -f "$(dirname "$libc")/crt1.o" ] && lib_dir=$(cd "$(dirname "$libc")" && pwd)
        fi
        [ -n "$lib_dir" ] || die "--target-cc: cannot find libc.a + crt1.o, pass --sysroot"
    fi
    if [ -z "$libgcc_dir" ]; then
        lg=$("${tcc[@]}" -print-libgcc-file-name 2>/dev/null || true)
        [ -f "$lg" ] && libgcc_dir=$(dirname "$lg")
    fi
fi
if [ -z "${inc_dir:-}" ]; then
    inc_dir=/usr/include/$deb_multiarch
    lib_dir=/usr/lib/$deb_multiarch
    { [ -f "$inc_dir/stdio.h" ] && [ -f "$lib_dir/libc.a" ]; } \
        || die "Debian musl sysroot for $target missing ($inc_dir, $lib_dir): run toolchain/install-deps.sh"
fi
[ -n "$libgcc_dir" ] || libgcc_dir=$deb_libgcc
{ [ -n "$libgcc_dir" ] && [ -f "$libgcc_dir/libgcc.a" ]; } \
    || die "libgcc.a not found (${libgcc_dir:-no dir}): pass --libgcc-dir or run toolchain/install-deps.sh"
libgcc_dir=$(cd "$libgcc_dir" && pwd)
echo "build.sh: $target: headers $inc_dir, libc $lib_dir, libgcc $libgcc_dir" >&2

swift_bin=$(dirname "$(command -v swiftc)")
clang=$swift_bin/clang
unicode_lib=$swift_bin/../lib/swift/embedded/$swift_triple/libswiftUnicodeDataTables.a

# --- scratch dir: one per target; other sysroots / log limits get their own -----------------
config="$inc_dir|$lib_dir|$libgcc_dir|${arch_flags[*]}"
# The Embedded Swift flags and the log limit default (toolchain/embedded-swift.sh).
# shellcheck source=toolchain/embedded-swift.sh
source "$here/embedded-swift.sh"
# A log limit equal to Package.swift's default is the default build (same scratch, no rebuild).
[ "$log_limit" = "$DDHCPD_LOG_LIMIT_DEFAULT" ] && log_limit=""
scratch_name=.build-$target
[ -n "$log_limit" ] && scratch_name+=-log$log_limit
if [ "$inc_dir|$lib_dir|$libgcc_dir" != "/usr/include/$deb_multiarch|/usr/lib/$deb_multiarch|$deb_libgcc" ] \
   || [ -n "${DDHCPD_EXTRA_CFLAGS:-}" ]; then
    scratch_name+=-$(printf '%s' "$config" | sha1sum | cut -c1-8)
fi
scratch=$root/$scratch_name
mkdir -p "$scratch"

# --- support archive: what musl does not have -------------------------------------------
# One object per function and archive semantics: a member is linked only when something still
# needs its symbol, so a definition elsewhere (e.g. the daemon's C target) wins without clashes.
c_flags=(--target="$clang_triple" "${arch_flags[@]}" -Os -ffunction-sections -fdata-sections
         -fno-stack-protector -fno-asynchronous-unwind-tables -nostdlibinc -isystem "$inc_dir")
support=$scratch/support
mkdir -p "$support"
support_lib=$support/libddhcpd_musl_support.a
stamp=$support/flags
if [ ! -f "$support_lib" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${c_flags[*]}" ] \
   || [ -n "$(find "$here/support" -newer "$support_lib" -name '*.c' 2>/dev/null)" ]; then
    rm -f "$support"/*.o "$support_lib"
    for src in "$here"/support/*.c; do
        [[ "$src" == *-test.c ]] && continue   # host-side tests of the support code
        "$clang" "${c_flags[@]}" -flto=full -c "$src" -o "$support/$(basename "$src" .c).o"
    done
    "$swift_bin/llvm-ar" rcs "$support_lib" "$support"/*.o
    # The link step does not track this archive (it is a linker flag): force a relink.
    rm -f "$scratch/$swift_triple/release/ddhcpd"
    printf '%s' "${c_flags[*]}" >"$stamp"
fi

# --- toolset ---------------------------------------------------------------------------------
json_list() { local first=1 a; printf '['; for a in "$@"; do
    [ $first -eq 1 ] || printf ', '; first=0
    a=${a//\\/\\\\}; printf '"%s"' "${a//\"/\\\"}"; done; printf ']'; }

swift_flags=("${EMBEDDED_SWIFT_FLAGS[@]}")
# The link step: swiftc drives clang, which must see the linux-musl triple too (it re-targets
# the Swift bitcode before LTO; with the bare-metal triple the ARM float ABI would be soft).
for f in -nostdlib -static -fuse-ld=lld --target="$clang_triple" "${arch_flags[@]}"; do
    swift_flags+=(-Xclang-linker "$f")
done
# SwiftPM forwards the C flags to swiftc (-Xcc) as well, so the Swift importer sees the same
# headers and target as the C compiler.
# The map and the archive-extraction reasons are kept for the size analysis (toolchain/bytes.py).
# The machine outliner in LTO code generation: repeated instruction sequences (overflow-check
# and trap tails, the log-line builders) become one shared function. LLVM runs it by default
# only on AArch64; on x86_64 and armv7 it saves ~3 KB each (size-report.sh). No cost-based
# inlining in LTO either (threshold 0; the Swift optimiser has already inlined what it wanted,
# and a function with one caller is still inlined): aarch64 -2.5 KB, armv7 -0.9 KB, x86_64 -0.3 KB.
# Read-only data in the executable segment (--no-rosegment): one file-backed mapping instead of
# two, so the page where rodata ends and text begins is not mapped (and resident) twice and
# neither segment is rounded up to a page alone: x86_64 idle RSS -4 kB, file -64 B (D-221).
link_flags=(-mllvm=-enable-machine-outliner=always -mllvm=-inline-threshold=0 --no-rosegment ${DDHCPD_EXTRA_LDFLAGS:-} --gc-sections --icf=all --build-id=none -z norelro -z noexecstack
            -Map="$scratch/ddhcpd.map" --why-extract="$scratch/why-extract.txt"
            "$lib_dir/crt1.o" "$lib_dir/crti.o"
            --start-group "$support_lib" "$unicode_lib" "$lib_dir/libc.a" "$libgcc_dir/libgcc.a" --end-group
            "$lib_dir/crtn.o")
toolset=$scratch/toolset.json
new_toolset=$(cat <<EOF
{
  "schemaVersion": "1.0",
  "swiftCompiler": { "extraCLIOptions": $(json_list "${swift_flags[@]}") },
  "cCompiler": { "extraCLIOptions": $(json_list "${c_flags[@]}") },
  "linker": { "path": "$swift_bin/ld.lld", "extraCLIOptions": $(json_list "${link_flags[@]}") }
}
EOF
)
[ -f "$toolset" ] && [ "$(cat "$toolset")" = "$new_toolset" ] || printf '%s\n' "$new_toolset" >"$toolset"
# SwiftPM reuses its cached build plan as long as Package.swift is unchanged: it notices
# neither a changed toolset nor a new Context.gitInformation (the revision -V prints). So the
# plan is always dropped (re-planning costs a second or two); llbuild then reruns exactly the
# commands whose command lines changed, and nothing else.
rm -f "$scratch/release.yaml" "$scratch/$swift_triple/release/description.json"

# --- build -----------------------------------------------------------------------------------
export CC=$clang   # SwiftPM ignores cCompiler.path; an OpenWrt environment's CC must not leak in
unset CFLAGS CPPFLAGS LDFLAGS CXX CXXFLAGS LD AR
if [ -n "$log_limit" ]; then export DDHCPD_LOG_LIMIT=$log_limit; else unset DDHCPD_LOG_LIMIT; fi
build_cmd=(swift build -c release --product ddhcpd --triple "$swift_triple" --toolset "$toolset"
           --experimental-lto-mode=full -debug-info-format none --scratch-path "$scratch"
           --manifest-cache none)   # a cached manifest keeps an old Context.gitInformation (-V)
echo "build.sh: $target: ${build_cmd[*]}" >&2
(cd "$root" && "${build_cmd[@]}") >"$scratch/build.log" 2>&1 || {
    grep -E 'error|undefined' "$scratch/build.log" | head -40 >&2 || tail -40 "$scratch/build.log" >&2
    die "$target: swift build failed (full log: $scratch/build.log)"
}
linked=$scratch/$swift_triple/release/ddhcpd
[ -f "$linked" ] || die "$target: $linked missing after build"

# --- strip, install, verify ------------------------------------------------------------------
dest=$out_dir/$target
mkdir -p "$dest"
"$swift_bin/llvm-objcopy" --strip-all --remove-section=.comment "$linked" "$dest/ddhcpd.tmp"
mv -f "$dest/ddhcpd.tmp" "$dest/ddhcpd"
ln -sfn ddhcpd "$dest/ddhcpdctl"

bin=$dest/ddhcpd
hdr=$(readelf -h "$bin")
grep -q "Machine:.*$elf_machine" <<<"$hdr" || die "$target: wrong ELF machine: $(grep Machine <<<"$hdr")"
grep -q 'Type:.*EXEC' <<<"$hdr" || die "$target: not a static (ET_EXEC) executable"
readelf -lW "$bin" | grep -q INTERP && die "$target: has a program interpreter (dynamic)"
readelf -SW "$bin" | grep -qE '\.symtab|\.dynamic' && die "$target: not stripped / has .dynamic"
if [ "$target" = armv7 ]; then
    attrs=$(readelf -A "$bin")
    grep -q 'Tag_ABI_VFP_args: VFP registers' <<<"$attrs" \
        || die "armv7: not hard-float (Tag_ABI_VFP_args missing): $attrs"
    grep -q 'Tag_THUMB_ISA_use: Thumb-2' <<<"$attrs" || die "armv7: no Thumb-2 code"
fi
# The Unicode tables must not creep in: they cost tens of KB of flash.
unicode_syms=$("$swift_bin/llvm-nm" --defined-only -g "$unicode_lib" 2>/dev/null | awk 'NF==3{print $3}' | sort -u)
pulled=$(comm -12 <(printf '%s\n' "$unicode_syms") <("$swift_bin/llvm-nm" --defined-only "$linked" | awk 'NF==3{print $3}' | sort -u))
[ -z "$pulled" ] || echo "build.sh: $target: WARNING: Unicode data tables linked in: ${pulled//$'\n'/ }" >&2
# libc pieces that cost a lot of flash for what the daemon needs (measured, see README):
# printf (10 KB, plus 10 KB of soft-float long double from libgcc on aarch64), the time-zone code.
why=$scratch/why-extract.txt
# chain SYMBOL: "a.o -> libc.a(x.lo) -> …", following why-extract back to our own object.
chain() {
    awk -F'\t' -v s="$1" '
        NR > 1 { by[$2] = by[$2] ? by[$2] : $1; if ($3 == s && !m) m = $2 }
        END {
            if (!m) exit
            c = m
            for (i = 0; i < 12 && (m in by); i++) { m = by[m]; c = m " -> " c; if (m !~ /\.a\(/) break }
            gsub(/[^ ]*\//, "", c); print c
        }' "$why"
}
for heavy in vfprintf __tz strftime; do
    c=$(chain "$heavy" 2>/dev/null)
    [ -z "$c" ] || echo "build.sh: $target: WARNING: libc's $heavy is linked (10-20 KB of flash): $c" >&2
done
echo "build.sh: $target: $bin ($(stat -c %s "$bin") bytes)" >&2

#!/usr/bin/env bash
# Packs the ddhcpd .ipk from a prebuilt static binary without an OpenWrt SDK: the package
# Makefile is evaluated with the SDK stand-in (sdk-shim/), so the file list, modes, symlink and
# conffiles are exactly the Makefile's; ipkg-build.py writes the archive as OpenWrt does.
# The binary is static, so the .ipk installs on any OpenWrt release of that architecture.
#
#   build-ipk.sh --binary out/aarch64/ddhcpd --arch aarch64 --arch-packages aarch64_cortex-a53 --out dist
#
# --arch/--cpu-type/--soft-float are OpenWrt's ARCH, CPU_TYPE and CONFIG_SOFT_FLOAT (the Makefile
# checks them as for a real build); --arch-packages is the opkg architecture (default: --arch).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pkg_dir="$here/../ddhcpd"
binary='' arch='' cpu_type='' soft_float='' arch_packages='' out=dist work=''

usage() { sed -n '2,12p' "$0" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --arch) arch=$2; shift 2 ;;
        --cpu-type) cpu_type=$2; shift 2 ;;
        --soft-float) soft_float=y; shift ;;
        --arch-packages) arch_packages=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) usage ;;
    esac
done
if [ -z "$binary" ] || [ -z "$arch" ]; then usage; fi
[ -f "$binary" ] || { echo "build-ipk.sh: no binary at $binary" >&2; exit 1; }

cleanup=
if [ -z "$work" ]; then
    work=$(mktemp -d)
    cleanup=$work
fi
trap '[ -z "$cleanup" ] || rm -rf "$cleanup"' EXIT

shim=(make -s -C "$pkg_dir" TOPDIR="$here/sdk-shim" SHIM_WORK="$work" SHIM_IDIR="$work/ipkg"
      ARCH="$arch" CPU_TYPE="$cpu_type" CONFIG_SOFT_FLOAT="$soft_float"
      ARCH_PACKAGES="${arch_packages:-$arch}")

# Where Build/Compile leaves the binary (DDHCPD_BINARY: out/TARGET/ddhcpd on the swift route,
# the tarball's ddhcpd on the portable route).
dest=$("${shim[@]}" shim-var-DDHCPD_BINARY)
mkdir -p "$(dirname "$dest")"
cp "$binary" "$dest"

"${shim[@]}" shim-install shim-control
mkdir -p "$out"
python3 "$here/ipkg-build.py" "$work/ipkg" "$out"

#!/usr/bin/env bash
# RAM of the portable (MIPS) binary on a MIPS Linux kernel: qemu-system-mipsel, a Malta board,
# Debian's 4kc-malta kernel and a static busybox as the whole userland (an initramfs). Unlike
# qemu-user, the guest's /proc/PID is the daemon's own, as on a router.
#
#   bench/qemu-system-mips.sh BINARY [--kernel-deb DEB --busybox-deb DEB] [--mem MB] [--idle S]
#
# BINARY: a mipsel ddhcpd from toolchain/portable/build.sh mipsel. The two Debian packages
# (mipsel architecture: linux-image-*-4kc-malta, busybox-static) are fetched with
# `apt-get download` into the work directory when not given (needs `dpkg --add-architecture
# mipsel` and apt-get update once). Big-endian mips: Debian 12 has no mips (big-endian) port,
# so no kernel package; the portable C is the same for both byte orders, so the memory layout
# is the same. Prints the guest's output: VmRSS/VmHWM per configuration (gluon /20 and /16,
# -b 2, idle after the first block is owned) and the resident mappings. Needs no root and no
# network namespace (everything is inside the guest); bounded by a timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bin=$(readlink -f "$1"); shift
kernel_deb='' busybox_deb='' mem=64 idle=50
while [ $# -gt 0 ]; do
    case $1 in
        --kernel-deb) kernel_deb=$2 ;;
        --busybox-deb) busybox_deb=$2 ;;
        --mem) mem=$2 ;;
        --idle) idle=$2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
command -v qemu-system-mipsel >/dev/null || { echo "qemu-system-mipsel not found (apt-get install qemu-system-mips)" >&2; exit 1; }
file -b "$bin" | grep -q 'LSB executable, MIPS' || { echo "$bin is not a little-endian MIPS executable" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$kernel_deb" ] || [ -z "$busybox_deb" ]; then
    (cd "$work" && apt-get download -q linux-image-4kc-malta:mipsel busybox-static:mipsel >/dev/null 2>&1 &&
        meta=$(ls linux-image-4kc-malta_*.deb) &&
        dep=$(dpkg-deb -f "$meta" Depends | grep -o 'linux-image-[0-9][^ ,]*-4kc-malta' | head -1) &&
        apt-get download -q "$dep:mipsel" >/dev/null 2>&1) ||
        { echo "cannot download the mipsel kernel/busybox packages (dpkg --add-architecture mipsel; apt-get update)" >&2; exit 1; }
    kernel_deb=$(ls "$work"/linux-image-[0-9]*-4kc-malta_*.deb | head -1)
    busybox_deb=$(ls "$work"/busybox-static_*.deb | head -1)
fi
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp "$work/busybox/bin/busybox" "$root/bin/"
cp "$(find "$work/kernel/lib/modules" -name veth.ko | head -1)" "$root/veth.ko"
cp "$bin" "$root/ddhcpd"
ln -s ddhcpd "$root/ddhcpdctl"
cp "$here/qemu-system/init" "$root/init"
echo "$idle" >"$root/idle-seconds"
python3 "$here/qemu-system/mkcpio.py" "$root" "$work/initrd.cpio"
gzip -9 "$work/initrd.cpio"
kernel=$(ls "$work"/kernel/boot/vmlinuz-*)
echo "qemu-system-mipsel -M malta -cpu 24Kc -m $mem, kernel $(basename "$kernel"), busybox $(basename "$busybox_deb"), $(basename "$bin") $(stat -c %s "$bin") bytes" >&2
timeout $((2 * idle + 120)) qemu-system-mipsel -M malta -cpu 24Kc -m "$mem" -kernel "$kernel" -initrd "$work/initrd.cpio.gz" \
    -append "console=ttyS0 quiet rdinit=/init" -nographic -no-reboot -nic none </dev/null |
    tr -d '\r' | sed -n '/^guest:/,/^guest-done/p'

#!/usr/bin/env bash
# Installs what the cross builds and their smoke tests need on a fresh Debian (bookworm) machine:
# the musl sysroots (amd64 natively, arm64/armhf through multiarch), libgcc for the ARM targets
# (compiler helper routines such as __aeabi_uldivmod), qemu-user to run foreign binaries,
# binutils (readelf/nm/size/strip), xz for the size report and busybox (udhcpc) for the smoke
# test. Idempotent: does nothing when everything is present.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "install-deps: must run as root" >&2; exit 1; }

foreign_archs=(arm64 armhf)
native=$(dpkg --print-architecture)
# Multi-arch packages carry their architecture: dpkg-query on a bare name that is installed
# for several architectures prints one status per architecture.
pkgs=(
    "musl-dev:$native" musl-dev:arm64 musl-dev:armhf
    "libgcc-12-dev:$native" libgcc-12-dev-arm64-cross libgcc-12-dev-armhf-cross
    qemu-user-static binutils xz-utils busybox iproute2
)

need_update=0
# Read the list first: `dpkg … | grep -q` under pipefail fails when grep exits before dpkg writes.
known_archs=$(dpkg --print-foreign-architectures)
for a in "${foreign_archs[@]}"; do
    if ! grep -qx "$a" <<<"$known_archs"; then
        echo "install-deps: adding dpkg architecture $a"
        dpkg --add-architecture "$a"
        need_update=1
    fi
done

missing=()
for p in "${pkgs[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ $need_update -eq 0 ] && { echo "install-deps: ok (nothing to do)"; exit 0; }

if [ ${#missing[@]} -gt 0 ]; then
    # A foreign architecture only becomes installable after a fresh package index.
    # A partial index failure (e.g. a mirror mid-sync for one architecture's security index)
    # must not stop us: the install below reports what is really missing.
    apt-get update -qq || { sleep 5; apt-get update -qq || echo "install-deps: apt-get update incomplete, continuing" >&2; }
    echo "install-deps: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: ok"

#!/usr/bin/env bash
# MIPS route (toolchain/mips): zig from PyPI supplies the soft-float musl for mips/mipsel and
# links the static binaries. Installed into /opt/ziglang (found there by toolchain/mips/build.sh).
# Debian packages (wabt, binaryen, gcc-mips(el)-linux-gnu) come from scripts/apt-packages.txt.
set -euo pipefail
zig_version=0.17.1
dest=/opt/ziglang
if [ "$("$dest/ziglang/zig" version 2>/dev/null)" != "$zig_version" ]; then
    rm -rf "$dest"
    pip_args=(install --quiet --disable-pip-version-check --no-warn-script-location --target "$dest" "ziglang==$zig_version")
    python3 -m pip "${pip_args[@]}" 2>/dev/null ||
        /usr/bin/python3 -m pip "${pip_args[@]}" --break-system-packages
    "$dest/ziglang/zig" version >/dev/null
fi

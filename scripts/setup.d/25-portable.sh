#!/usr/bin/env bash
# Portable route (toolchain/portable): zig from PyPI supplies the static musl for every
# architecture the SDK stand-in builds (toolchain/portable/standin-cc.sh); installed into
# /opt/ziglang (found there by standin-cc.sh). zig builds each musl once (~50 s per
# architecture) and caches it: done here, so the test suites do not pay for it.
# Debian packages (wabt, binaryen, gcc-<triple>) come from scripts/apt-packages.txt.
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
standin=$(cd "$(dirname "$0")/../../toolchain/portable" && pwd)/standin-cc.sh
for arch in mips mipsel armv5 armv7 aarch64 powerpc i386 x86_64; do bash "$standin" "$arch" --warm; done

#!/usr/bin/env bash
# Cross builds (x86_64, aarch64, armv7; mips/mipsel when toolchain/mips/ builds) against the
# flash budgets, then the smoke test of those binaries under qemu-user in a namespace mesh.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
./size-report.sh
echo "cross-builds: size report took $(( $(date +%s) - start )) s"
bash toolchain/smoke-test.sh
# The OpenWrt SDK route (--sysroot/--libgcc-dir/--target-cc) must give the identical binaries.
bash toolchain/sdk-layout-test.sh
echo "cross-builds: total $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# Cross builds of both routes (native x86_64, aarch64, armv7; portable C for every gluon arch) against the
# flash budgets, then the shipped binaries are tested: the smoke test (CLI and a three-arch
# namespace mesh under qemu-user), the daemon's integration suites on the x86_64 and armv7
# binaries, the OpenWrt-SDK parameter route, and the allocator that replaces musl's.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
cc -O2 -o /tmp/ddhcpd-malloc-test.$$ toolchain/support/malloc-test.c
/tmp/ddhcpd-malloc-test.$$; rm -f /tmp/ddhcpd-malloc-test.$$
./size-report.sh
echo "cross-builds: size report took $(( $(date +%s) - start )) s"
bash toolchain/smoke-test.sh
bash toolchain/integration-on-targets.sh x86_64 armv7
# The OpenWrt SDK route (--sysroot/--libgcc-dir/--target-cc) must give the identical binaries.
bash toolchain/sdk-layout-test.sh
echo "cross-builds: total $(( $(date +%s) - start )) s"

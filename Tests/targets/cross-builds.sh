#!/usr/bin/env bash
# Cross builds of both routes (native x86_64, aarch64, armv7; portable C for every gluon arch)
# against the flash budgets (./size-report.sh), then the shipped binaries are tested: the
# allocator that replaces musl's (malloc-test.c, on the host), the smoke test (CLI and a
# three-arch namespace mesh under qemu-user), the daemon's integration suites on the x86_64 and
# armv7 binaries, the OpenWrt-SDK parameter route. Tests/ci.d/40-cross-builds.sh launches it.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
cc -O2 -o /tmp/ddhcpd-malloc-test.$$ Tests/targets/malloc-test.c
/tmp/ddhcpd-malloc-test.$$; rm -f /tmp/ddhcpd-malloc-test.$$
./size-report.sh
echo "cross-builds: size report took $(( $(date +%s) - start )) s"
bash Tests/targets/smoke.sh
bash Tests/targets/integration-on-targets.sh x86_64 armv7
# The OpenWrt SDK route (--sysroot/--libgcc-dir/--target-cc) must give the identical binaries.
bash Tests/targets/sdk-layout.sh
echo "cross-builds: total $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# Cross-build dependencies: musl sysroots (amd64, arm64, armhf), libgcc, qemu-user, binutils.
set -euo pipefail
bash "$(dirname "$0")/../../toolchain/install-deps.sh"

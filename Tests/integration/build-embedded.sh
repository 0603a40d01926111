#!/usr/bin/env bash
# Builds the daemon (core + shell + C surface) in Embedded Swift mode for the host (glibc,
# dynamic) into DIR/ddhcpd, to check that the shell stays inside the Embedded subset and that
# the Embedded binary behaves like the SwiftPM one. The static musl builds are toolchain/'s.
# Usage: build-embedded.sh DIR
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH
mkdir -p "$out/include"
cp "$root/Sources/DDHCPSystem/include/ddhcp_system.h" "$out/include/"
printf 'module DDHCPSystem {\n    header "ddhcp_system.h"\n    export *\n}\n' >"$out/include/module.modulemap"
# The Embedded flags, sources and log limit default (one definition).
# shellcheck source=toolchain/embedded-swift.sh
source "$root/toolchain/embedded-swift.sh"
limit=${DDHCPD_LOG_LIMIT:-$DDHCPD_LOG_LIMIT_DEFAULT}
flags=("${EMBEDDED_SWIFT_FLAGS[@]}" -parse-as-library -D "DDHCPD_LOG_LIMIT_$limit")
swiftc "${flags[@]}" -module-name DDHCPCore -emit-module -emit-module-path "$out/DDHCPCore.swiftmodule" \
    -c "${DDHCPD_CORE_SOURCES[@]}" -o "$out/core.o"
swiftc "${flags[@]}" -module-name ddhcpd -I "$out" -I "$out/include" \
    -c "${DDHCPD_SHELL_SOURCES[@]}" -o "$out/shell.o"
rev=$(git -C "$root" rev-parse HEAD 2>/dev/null || true)
clang -Os -c -I "$out/include" -DDDHCPD_REVISION="\"$rev\"" "$root/Sources/DDHCPSystem/ddhcp_system.c" -o "$out/system.o"
clang "$out/core.o" "$out/shell.o" "$out/system.o" -o "$out/ddhcpd"
ln -sf ddhcpd "$out/ddhcpdctl"

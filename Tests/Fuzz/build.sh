#!/usr/bin/env bash
# Builds the libFuzzer binary for all targets (Tests/Fuzz/README.md): the core sources and the
# fuzz sources in one module (DDHCPCore, so the node target may read the tables), with the
# Extern feature (the core's calloc, D-222) and -sanitize=fuzzer,address (Swift on Linux has no
# -sanitize=undefined; Swift's own overflow and bounds traps stay on, -O keeps them). Output:
# .build-fuzz/ddhcp-fuzz.
#   Tests/Fuzz/build.sh [--fast|--coverage]   --fast: an extra binary without ASan (campaigns);
#                                             --coverage: an extra one with llvm-cov mapping
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
out=.build-fuzz
mkdir -p "$out"
sources=(Sources/DDHCPCore/*.swift Tests/Fuzz/*.swift)
swiftc -O -wmo -parse-as-library -module-name DDHCPCore -D DDHCPD_LOG_LIMIT_4 -enable-experimental-feature Extern \
    -sanitize=fuzzer,address "${sources[@]}" -o "$out/ddhcp-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)
echo "built $out/ddhcp-fuzz"
if [ "${1:-}" = "--fast" ]; then
    # For long campaigns: without AddressSanitizer (about twice the executions per second); the
    # core's memory safety then rests on Swift's bounds checks (the raw-buffer code included:
    # UnsafeRawBufferPointer subscripts are checked in -O builds).
    swiftc -O -wmo -parse-as-library -module-name DDHCPCore -D DDHCPD_LOG_LIMIT_4 -enable-experimental-feature Extern \
        -sanitize=fuzzer "${sources[@]}" -o "$out/ddhcp-fuzz-fast" 2> >(grep -v "Cannot export local symbol" >&2)
    echo "built $out/ddhcp-fuzz-fast"
fi
if [ "${1:-}" = "--coverage" ]; then
    # The fuzzer runtime drives the inputs (-runs=0 replays a corpus); only the coverage mapping
    # differs.
    swiftc -Onone -parse-as-library -module-name DDHCPCore -D DDHCPD_LOG_LIMIT_4 -enable-experimental-feature Extern \
        -sanitize=fuzzer -profile-generate -profile-coverage-mapping "${sources[@]}" -o "$out/ddhcp-fuzz-cov" \
        2> >(grep -v "Cannot export local symbol" >&2)
    echo "built $out/ddhcp-fuzz-cov"
fi

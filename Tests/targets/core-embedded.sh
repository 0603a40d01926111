#!/usr/bin/env bash
# The core must compile in Embedded Swift mode, and must not pull in the Unicode data tables
# (String comparison / counting costs hundreds of KB of flash on the router).
# Embedded Swift only emits generic code for the concrete types it is used with, so a probe
# with a concrete ActionSink is compiled into the module: every Node entry point is then
# specialised and checked too (without it, the state machine and DHCP code would be skipped).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat > "$out/EmbeddedProbe.swift" <<'SWIFT'
struct ProbeSink: ActionSink {
    var bytes = 0
    mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool { bytes += datagram.count; return true }
    mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool { bytes += datagram.count; return true }
    mutating func sendDHCP(_ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
                           clientHardware: HardwareAddress, yourAddress: IPv4Address) -> Bool { bytes += packet.count; return true }
    mutating func runHook(_ action: HookAction, address: IPv4Address, clientHardware: HardwareAddress) { bytes += 1 }
    mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer) { bytes += line.count }
}

@_cdecl("ddhcp_core_embedded_probe")
public func embeddedProbe(_ data: UnsafeRawPointer, _ count: Int, _ now: Int64) -> Int {
    let input = UnsafeRawBufferPointer(start: data, count: count)
    var sink = ProbeSink()
    var configuration = Configuration()
    do throws(ConfigError) {
        _ = try configuration.apply(flag: UInt8(ascii: "o"), argument: input)
    } catch {
        sink.bytes += error.message.utf8CodeUnitCount
    }
    guard let node = try? Node(configuration: configuration, randomSeed: UInt64(count), now: now) else { return -1 }
    node.start(now: now, sink: &sink)
    node.handleMulticast(input, from: .zero, now: now, sink: &sink)
    node.handleUnicast(input, from: .zero, now: now, sink: &sink)
    node.handleDHCP(input, now: now, sink: &sink)
    node.tick(now: node.nextWakeup, sink: &sink)
    var reply = TextBuffer()
    node.handleControl(input, now: now, reply: &reply, sink: &sink)
    return sink.bytes + reply.count
}
SWIFT
# The Embedded flags and the core's sources (one definition).
# shellcheck source=toolchain/embedded-swift.sh
source toolchain/embedded-swift.sh
for limit in 4 0; do
    swiftc "${EMBEDDED_SWIFT_FLAGS[@]}" -parse-as-library -module-name DDHCPCore \
        -D DDHCPD_LOG_LIMIT_$limit -c "${DDHCPD_CORE_SOURCES[@]}" "$out/EmbeddedProbe.swift" -o "$out/core-$limit.o"
    echo "embedded core object (log limit $limit): $(stat -c %s "$out/core-$limit.o") bytes"
    # Unicode data tables and normalisation/grapheme helpers of the stdlib.
    if nm -u "$out/core-$limit.o" | grep -E 'swift_stdlib_|[Uu]nicode|NormData|Grapheme'; then
        echo "FAIL: the core references Unicode data tables / stdlib String helpers (listed above)" >&2
        exit 1
    fi
done
# The probe really contains the protocol code (a debug message of the state machine), and the
# compile-time log limit really removes it.
grep -q "claims block" "$out/core-4.o" || { echo "FAIL: state machine code missing from the probe build" >&2; exit 1; }
if grep -q "claims block" "$out/core-0.o"; then echo "FAIL: DDHCPD_LOG_LIMIT_0 left debug messages in" >&2; exit 1; fi
echo "ok: embedded build, no Unicode table references, log limit strips messages"

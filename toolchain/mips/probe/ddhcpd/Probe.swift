// PROBE program for the MIPS pipeline (toolchain/mips): exercises the same kind of OS surface as
// the daemon (ddhcp_system.h), big-endian wire fields, a Dictionary, a class and a UDP round trip,
// and prints exact results that Tests/ci.d/45-mips.sh compares byte for byte.
import DDHCPCore
import DDHCPSystem

func emit(_ text: TextBuffer, fd: Int32 = 1) {
    text.withBytes { _ = ddhcp_write(fd, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32($0.count)) }
}

final class Counter {
    var hits: [UInt32: Int] = [:]
    func add(_ key: UInt32) { hits[key, default: 0] += 1 }
}

/// `-o CODE:LEN:P1.P2...` as C ddhcpd takes it: returns the option bytes (code, len, payload).
func parseOption(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    var fields: [UInt32] = []
    var current: UInt32 = 0, digits = 0
    for c in text {
        if c >= 48 && c <= 57 {
            current = current &* 10 &+ UInt32(c - 48); digits += 1
            if current > 255 { return nil }
        } else if c == UInt8(ascii: ":") || c == UInt8(ascii: ".") {
            if digits == 0 { return nil }
            fields.append(current); current = 0; digits = 0
        } else { return nil }
    }
    if digits == 0 { return nil }
    fields.append(current)
    guard fields.count >= 2, Int(fields[1]) == fields.count - 2 else { return nil }
    return fields.map { UInt8($0) }
}

func selfTest(_ out: inout TextBuffer) -> Bool {
    // Big-endian wire field round trip through raw bytes.
    var wire = [UInt8](repeating: 0, count: 8)
    let value: UInt64 = 0x0102_0304_0A0B_0C0D
    for i in 0..<8 { wire[i] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * i)) }
    var back: UInt64 = 0
    wire.withUnsafeBytes { back = UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
    out.append("be "); out.append(hex: back, digits: 16); out.append(" ")
    out.append(hex: UInt64(wire[0]), digits: 2); out.append(byte: 10)

    let counter = Counter()
    for k: UInt32 in [7, 9, 7, 0xDEAD_BEEF, 7] { counter.add(k) }
    out.append("dict "); out.append(counter.hits[7] ?? -1); out.append(" ")
    out.append(counter.hits.count); out.append(byte: 10)

    // Signed 64-bit arithmetic and division.
    let big: Int64 = -9_000_000_000
    out.append("i64 "); out.append(big / 7); out.append(" "); out.append(big % 7); out.append(byte: 10)

    // UDP round trip on ::1: payload, sender port (u16 out-parameter) and address come back.
    let a = ddhcp_udp6_socket(0), b = ddhcp_udp6_socket(47123)
    guard a >= 0, b >= 0 else { out.append("socket failed "); out.append(Int(min(a, b))); out.append(byte: 10); return false }
    var loopback = [UInt8](repeating: 0, count: 16); loopback[15] = 1
    let payload: [UInt8] = [0xDD, 0x4B, 0x01, 0x02, 0x03]
    let sent = payload.withUnsafeBufferPointer { p in
        loopback.withUnsafeBufferPointer { ddhcp_sendto6(a, p.baseAddress, Int32(p.count), $0.baseAddress, 47123) }
    }
    var buf = [UInt8](repeating: 0, count: 64), from = [UInt8](repeating: 0xFF, count: 16)
    var port: UInt16 = 0
    let got = buf.withUnsafeMutableBufferPointer { p in
        from.withUnsafeMutableBufferPointer { ddhcp_recvfrom6(b, p.baseAddress, Int32(p.count), $0.baseAddress, &port, 2000) }
    }
    _ = ddhcp_close(a); _ = ddhcp_close(b)
    out.append("udp "); out.append(Int(sent)); out.append(" "); out.append(Int(got)); out.append(" ")
    for i in 0..<max(0, Int(got)) { out.append(hex: UInt64(buf[i]), digits: 2) }
    out.append(" from-last "); out.append(Int(from[15])); out.append(" port-nonzero ")
    out.append(port != 0 && port != 47123 ? 1 : 0); out.append(byte: 10)
    return got == 5 && buf[0] == 0xDD && from[15] == 1
}

@_cdecl("ddhcpd_main")
public func ddhcpdMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var out = TextBuffer()
    var arg = [UInt8](repeating: 0, count: 128)
    var status: Int32 = 0
    while true {
        let c = arg.withUnsafeMutableBufferPointer { ddhcp_getopt("Vho:N:t", $0.baseAddress, Int32($0.count)) }
        if c < 0 { break }
        let argLen = arg.firstIndex(of: 0) ?? 0
        switch UInt8(truncatingIfNeeded: c) {
        case UInt8(ascii: "V"): out.append("ddhcpd probe (wasm2c route)\n")
        case UInt8(ascii: "h"): out.append("usage: ddhcpd [-V] [-h] [-o CODE:LEN:P1.P2...] [-N NET/LEN] [-t]\n")
        case UInt8(ascii: "o"):
            let parsed = arg.withUnsafeBufferPointer { parseOption(UnsafeBufferPointer(rebasing: $0[0..<argLen])) }
            if let bytes = parsed {
                out.append("option")
                for b in bytes { out.append(" "); out.append(Int(b)) }
                out.append(byte: 10)
            } else {
                out.append("bad option\n"); status = 1
            }
        case UInt8(ascii: "N"):
            var quad = [UInt8](repeating: 0, count: 4)
            let slash = arg.firstIndex(of: UInt8(ascii: "/")) ?? argLen
            arg[slash] = 0
            let r = arg.withUnsafeBufferPointer { a in
                quad.withUnsafeMutableBufferPointer { ddhcp_parse_ipv4(UnsafeRawPointer(a.baseAddress!).assumingMemoryBound(to: CChar.self), $0.baseAddress) }
            }
            if r == 0 {
                out.append("network "); out.append(IPv4Address(quad[0], quad[1], quad[2], quad[3]))
                out.append(" t0 "); out.append(ddhcp_now_ms() > 0 ? 1 : 0); out.append(byte: 10)
            } else { out.append("bad network\n"); status = 1 }
        case UInt8(ascii: "t"): if !selfTest(&out) { status = 1 }
        default: out.append("unknown option\n"); status = 2
        }
    }
    emit(out)
    return status
}

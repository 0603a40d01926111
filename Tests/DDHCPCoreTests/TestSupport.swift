// Helpers shared by the core unit tests (host only: String use is fine here).
@testable import DDHCPCore

/// "0a 00 ff" / "0a00ff" → bytes (spaces ignored).
func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var pending: UInt8? = nil
    for c in text.utf8 {
        guard let v = ArgumentText.hexValue(c) else { continue }
        if let p = pending {
            out.append(p << 4 | v)
            pending = nil
        } else {
            pending = v
        }
    }
    precondition(pending == nil, "odd number of hex digits")
    return out
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// Calls `body` with a raw view of `b`.
func withRaw<R>(_ b: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try b.withUnsafeBytes { try body($0) }
}

let testPool = MeshPool(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24, blockSize: 4)

func mac(_ last: UInt8) -> HardwareAddress {
    HardwareAddress(high: 0x0A00_0000_0000_0000 | UInt64(last) << 16, low: 0)
}

/// A client DHCP packet as a client would send it (op 1, htype 1, hlen 6).
func clientPacket(
    _ type: DHCPMessageType, xid: UInt32 = 0x1234_5678, chaddr: HardwareAddress = mac(1),
    ciaddr: IPv4Address = .zero, yiaddr: IPv4Address = .zero, giaddr: IPv4Address = .zero, flags: UInt16 = 0,
    requested: IPv4Address? = nil, serverID: IPv4Address? = nil, params: [UInt8]? = nil,
    leadingOptions: [UInt8] = [], trailing: [UInt8] = [255]
) -> [UInt8] {
    var p = [UInt8](repeating: 0, count: 240)
    p[0] = 1; p[1] = 1; p[2] = 6
    func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { p[o + i] = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * i)) } }
    put32(4, xid)
    p[10] = UInt8(flags >> 8); p[11] = UInt8(flags & 0xFF)
    put32(12, ciaddr.value)
    put32(16, yiaddr.value)
    put32(24, giaddr.value)
    for i in 0..<16 { p[28 + i] = chaddr.byte(i) }
    put32(236, 0x6382_5363)
    p += leadingOptions
    p += [53, 1, type.rawValue]
    if let r = requested { p += [50, 4, r.octet(0), r.octet(1), r.octet(2), r.octet(3)] }
    if let s = serverID { p += [54, 4, s.octet(0), s.octet(1), s.octet(2), s.octet(3)] }
    if let l = params { p += [55, UInt8(l.count)] + l }
    p += trailing
    return p
}

/// The options area of a reply as (code, payload) pairs in order, END excluded.
func replyOptions(_ reply: [UInt8]) -> [(UInt8, [UInt8])] {
    var out: [(UInt8, [UInt8])] = []
    var i = 240
    while i < reply.count {
        let c = reply[i]
        if c == 255 { break }
        if c == 0 { out.append((0, [])); i += 1; continue }
        let l = Int(reply[i + 1])
        out.append((c, Array(reply[(i + 2)..<(i + 2 + l)])))
        i += 2 + l
    }
    return out
}

func defaultStore() -> OptionStore {
    var s = OptionStore()
    s.addDefaults(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24)
    return s
}

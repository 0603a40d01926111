// Client side of DHCP for the simulation, written from RFC 2131/2132 independently of the core:
// the simulated clients build their own DISCOVER/REQUEST/RELEASE bytes and parse the server's
// OFFER/ACK/NAK bytes, so the core's codec is exercised from the outside.
@testable import DDHCPCore

enum SimDHCPType: UInt8 {
    case discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7, inform = 8
}

/// What a client puts into one packet.
struct SimClientPacket {
    var type: SimDHCPType
    var xid: UInt32
    var chaddr: [UInt8]  // 16 bytes
    var ciaddr = IPv4Address.zero
    var broadcastFlag = false
    var requestedAddress: IPv4Address? = nil  // option 50
    var serverIdentifier: IPv4Address? = nil  // option 54
    var parameterRequestList: [UInt8] = [1, 3, 6, 28, 51, 54]  // option 55
    /// PAD bytes between options (legal; C crashed on them, docs/decisions.md D-03).
    var padBetweenOptions = false

    func encode() -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 240)
        p[0] = 1  // BOOTREQUEST
        p[1] = 1  // Ethernet
        p[2] = 6
        put32(&p, 4, xid)
        if broadcastFlag { p[10] = 0x80 }
        put32(&p, 12, ciaddr.value)
        for i in 0..<16 { p[28 + i] = chaddr[i] }
        p[236] = 99; p[237] = 130; p[238] = 83; p[239] = 99
        p += [53, 1, type.rawValue]
        if padBetweenOptions { p += [0, 0] }
        if let a = requestedAddress { p += [50, 4] + bytes(a.value) }
        if let s = serverIdentifier { p += [54, 4] + bytes(s.value) }
        if type != .release {
            if padBetweenOptions { p.append(0) }
            p += [55, UInt8(parameterRequestList.count)] + parameterRequestList
        }
        p.append(255)
        while p.count < 300 { p.append(0) }  // BOOTP minimum, as real clients send
        return p
    }

    private func bytes(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    private func put32(_ p: inout [UInt8], _ at: Int, _ v: UInt32) {
        p[at] = UInt8(v >> 24)
        p[at + 1] = UInt8(truncatingIfNeeded: v >> 16)
        p[at + 2] = UInt8(truncatingIfNeeded: v >> 8)
        p[at + 3] = UInt8(truncatingIfNeeded: v)
    }
}

/// A server reply as a client sees it.
struct SimServerReply {
    var type: SimDHCPType
    var xid: UInt32
    var flags: UInt16
    var ciaddr: IPv4Address
    var yiaddr: IPv4Address
    var chaddr: [UInt8]
    var serverIdentifier: IPv4Address?
    var leaseTime: UInt32?

    /// nil with a reason when the bytes are not a well-formed BOOTREPLY with option 53.
    static func parse(_ p: [UInt8]) -> (reply: SimServerReply?, problem: String?) {
        guard p.count >= 240 else { return (nil, "reply shorter than 240 bytes (\(p.count))") }
        guard p[0] == 2 else { return (nil, "op is \(p[0]), not BOOTREPLY") }
        guard p[236] == 99, p[237] == 130, p[238] == 83, p[239] == 99 else { return (nil, "bad magic cookie") }
        var type: SimDHCPType?
        var serverID: IPv4Address?
        var lease: UInt32?
        var i = 240
        while i < p.count {
            let code = p[i]
            if code == 0 { i += 1; continue }
            if code == 255 { break }
            guard i + 1 < p.count else { return (nil, "option \(code) without length") }
            let len = Int(p[i + 1])
            guard i + 2 + len <= p.count else { return (nil, "option \(code) runs past the end") }
            let d = i + 2
            switch code {
            case 53 where len == 1:
                if type != nil { return (nil, "option 53 twice") }
                guard let t = SimDHCPType(rawValue: p[d]) else { return (nil, "unknown message type \(p[d])") }
                type = t
            case 54 where len == 4: serverID = IPv4Address(simRead32(p, d))
            case 51 where len == 4: lease = simRead32(p, d)
            default: break
            }
            i = d + len
        }
        guard let type else { return (nil, "no option 53") }
        let reply = SimServerReply(
            type: type, xid: simRead32(p, 4), flags: UInt16(p[10]) << 8 | UInt16(p[11]),
            ciaddr: IPv4Address(simRead32(p, 12)), yiaddr: IPv4Address(simRead32(p, 16)),
            chaddr: Array(p[28..<44]), serverIdentifier: serverID, leaseTime: lease)
        return (reply, nil)
    }
}

@inline(__always) func simRead32(_ p: [UInt8], _ at: Int) -> UInt32 {
    UInt32(p[at]) << 24 | UInt32(p[at + 1]) << 16 | UInt32(p[at + 2]) << 8 | UInt32(p[at + 3])
}

/// The 16-byte chaddr as the core's value type.
func simHardwareAddress(_ chaddr: [UInt8]) -> HardwareAddress {
    var high: UInt64 = 0, low: UInt64 = 0
    for i in 0..<8 { high = high << 8 | UInt64(chaddr[i]) }
    for i in 8..<16 { low = low << 8 | UInt64(chaddr[i]) }
    return HardwareAddress(high: high, low: low)
}

func simDotted(_ a: IPv4Address) -> String { "\(a.octet(0)).\(a.octet(1)).\(a.octet(2)).\(a.octet(3))" }

// The DHCP option store (docs/protocol.md#options): an ordered list of (code, payload of up to
// 255 bytes).
// Insertion order is kept; replacing a code keeps its position. At most one entry per code.
// Changes happen at start-up and on control requests only, never per packet, so plain
// arrays are fine here; reading (reply building) does not allocate.

public struct OptionStore: Equatable {
    /// Codes in insertion order.
    public private(set) var codes: [UInt8] = []
    /// Payload per code (index = code); nil = not present.
    private var payloads: [[UInt8]?] = Array(repeating: nil, count: 256)

    public init() {}

    public var count: Int { codes.count }

    public func contains(_ code: UInt8) -> Bool { payloads[Int(code)] != nil }

    /// The stored payload of `code`, or nil.
    public func payload(_ code: UInt8) -> [UInt8]? { payloads[Int(code)] }

    /// Adds or replaces `code` (payload truncated to 255 bytes, the option length field).
    public mutating func set(_ code: UInt8, _ payload: [UInt8]) {
        let bytes = payload.count > 255 ? Array(payload[0..<255]) : payload
        if payloads[Int(code)] == nil { codes.append(code) }
        payloads[Int(code)] = bytes
    }

    public mutating func set(_ code: UInt8, bytes: UnsafeRawBufferPointer) {
        set(code, Array(bytes))
    }

    /// Removes `code`; returns false if it was not present.
    @discardableResult
    public mutating func remove(_ code: UInt8) -> Bool {
        guard payloads[Int(code)] != nil else { return false }
        payloads[Int(code)] = nil
        var i = 0
        while i < codes.count {
            if codes[i] == code { codes.remove(at: i) } else { i += 1 }
        }
        return true
    }

    /// The lease time LT from option 51 (first 4 bytes, big-endian); 0 if absent or shorter than
    /// 4 bytes, as C does.
    public var leaseTime: UInt32 {
        guard let p = payloads[Int(DHCPOption.leaseTime)], p.count >= 4 else { return 0 }
        return p.withUnsafeBytes { Bytes.u32($0, 0) }
    }

    /// Our server identifier (option 54, first 4 bytes) if configured.
    public var serverIdentifier: IPv4Address? {
        guard let p = payloads[Int(DHCPOption.serverIdentifier)], p.count >= 4 else { return nil }
        return IPv4Address(p.withUnsafeBytes { Bytes.u32($0, 0) })
    }

    /// The defaults of docs/protocol.md#default-options, added in this order for codes not already
    /// present.
    public mutating func addDefaults(prefix: IPv4Address, prefixLength: UInt8) {
        let mask: UInt32 = prefixLength == 0 ? 0 : (prefixLength >= 32 ? 0xFFFF_FFFF : ~(0xFFFF_FFFF >> UInt32(prefixLength)))
        if !contains(DHCPOption.subnetMask) { set(DHCPOption.subnetMask, Self.bytes(mask)) }
        if !contains(DHCPOption.timeOffset) { set(DHCPOption.timeOffset, [0, 0, 0, 0]) }
        if !contains(DHCPOption.broadcastAddress) { set(DHCPOption.broadcastAddress, Self.bytes(prefix.value | ~mask)) }
        if !contains(DHCPOption.leaseTime) { set(DHCPOption.leaseTime, Self.bytes(300)) }
        if !contains(DHCPOption.serverIdentifier) {
            set(DHCPOption.serverIdentifier, Self.bytes(prefix.value & 0xFFFF_FF00 | 1))  // x.y.z.1
        }
    }

    /// `v` as 4 bytes, big-endian (an address or a number of seconds as an option payload).
    static func bytes(_ v: UInt32) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0, 0]
        out.withUnsafeMutableBytes { Bytes.put32($0, 0, v) }
        return out
    }
}

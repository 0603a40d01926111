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
        guard let p = payloads[51], p.count >= 4 else { return 0 }
        return UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }

    /// Our server identifier (option 54, first 4 bytes) if configured.
    public var serverIdentifier: IPv4Address? {
        guard let p = payloads[54], p.count >= 4 else { return nil }
        return IPv4Address(p[0], p[1], p[2], p[3])
    }

    /// The defaults of docs/protocol.md#default-options, added in this order for codes not already
    /// present.
    public mutating func addDefaults(prefix: IPv4Address, prefixLength: UInt8) {
        let mask: UInt32 = prefixLength == 0 ? 0 : (prefixLength >= 32 ? 0xFFFF_FFFF : ~(0xFFFF_FFFF >> UInt32(prefixLength)))
        if !contains(1) { set(1, Self.bytes(mask)) }
        if !contains(2) { set(2, [0, 0, 0, 0]) }
        if !contains(28) { set(28, Self.bytes(prefix.value | ~mask)) }
        if !contains(51) { set(51, [0, 0, 1, 44]) }
        if !contains(54) { set(54, [prefix.octet(0), prefix.octet(1), prefix.octet(2), 1]) }
    }

    static func bytes(_ v: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16),
         UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }
}

// Reserved addresses and static leases, configured mesh-wide (docs/protocol.md#reservations,
// docs/decisions.md D-83, D-84).
//
// A reserved range is never offered or acknowledged by any of our nodes; a block whose every
// address is reserved is never claimed (gateways, servers, the next-node address). A static
// lease binds a client hardware address (the first 6 bytes of chaddr, an Ethernet MAC) to an
// address inside a reserved range; whichever node the client is at answers it at once, with no
// block and no forwarding: since every node has the same list and no node leases reserved
// addresses dynamically, no two clients can get the address. C nodes know nothing of this: a
// C node in the mesh may claim a reserved block (reservations are a property of our nodes).
// Fixed lists, built while the configuration is read.

public struct Reservations: Equatable, Sendable {
    public static let maximumRanges = 64
    public static let maximumStaticLeases = 256

    /// Reserved ranges as (first, last) pairs of address values; static leases as triples
    /// (MAC bytes 0–3, MAC bytes 4–5, address). Flat UInt32 lists keep the binary small.
    public private(set) var ranges: [UInt32] = []
    public private(set) var staticLeases: [UInt32] = []

    public init() {}

    public var isEmpty: Bool { ranges.isEmpty && staticLeases.isEmpty }

    public func contains(_ a: IPv4Address) -> Bool {
        var i = 0
        while i < ranges.count {
            if a.value >= ranges[i] && a.value <= ranges[i + 1] { return true }
            i += 2
        }
        return false
    }

    /// The static address of a client (its chaddr an Ethernet MAC), nil if it has none.
    public func staticAddress(for chaddr: HardwareAddress) -> IPv4Address? {
        guard !staticLeases.isEmpty, chaddr.low == 0, chaddr.high & 0xFFFF == 0 else { return nil }
        let hi = UInt32(truncatingIfNeeded: chaddr.high >> 32), lo = UInt32(truncatingIfNeeded: chaddr.high >> 16) & 0xFFFF
        var i = 0
        while i < staticLeases.count {
            if staticLeases[i] == hi && staticLeases[i + 1] == lo { return IPv4Address(staticLeases[i + 2]) }
            i += 3
        }
        return nil
    }

    /// Adds `--reserve` text: A.B.C.D, A.B.C.D-E.F.G.H or A.B.C.D/L.
    public mutating func addRange(_ s: UnsafeRawBufferPointer) throws(ConfigError) {
        guard ranges.count < 2 * Reservations.maximumRanges else { throw .tooManyReservations }
        let end = ArgumentText.textLength(s)
        var sep = 0
        while sep < end && s[sep] != UInt8(ascii: "-") && s[sep] != UInt8(ascii: "/") { sep += 1 }
        guard let first = ArgumentText.parseIPv4(UnsafeRawBufferPointer(rebasing: s[0..<sep])) else { throw .malformedReservation }
        var last = first
        if sep < end && s[sep] == UInt8(ascii: "-") {
            guard let l = ArgumentText.parseIPv4(UnsafeRawBufferPointer(rebasing: s[(sep + 1)..<end])), l.value >= first.value else {
                throw .malformedReservation
            }
            last = l
        } else if sep < end {
            guard end - sep >= 2, end - sep <= 3 else { throw .malformedReservation }
            var length: UInt32 = 0
            for i in (sep + 1)..<end {
                guard s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") else { throw .malformedReservation }
                length = length * 10 + UInt32(s[i] - UInt8(ascii: "0"))
            }
            guard length <= 32 else { throw .malformedReservation }
            let hostMask: UInt32 = length == 0 ? 0xFFFF_FFFF : (length == 32 ? 0 : (UInt32(1) << (32 - length)) - 1)
            guard first.value & hostMask == 0 else { throw .malformedReservation }
            last = IPv4Address(first.value | hostMask)
        }
        ranges.append(first.value)
        ranges.append(last.value)
    }

    /// Adds `--static-lease` text: MAC,A.B.C.D with MAC as six hex pairs separated by ':' or '-'.
    public mutating func addStaticLease(_ s: UnsafeRawBufferPointer) throws(ConfigError) {
        guard staticLeases.count < 3 * Reservations.maximumStaticLeases else { throw .tooManyReservations }
        let end = ArgumentText.textLength(s)
        guard end >= 19, s[17] == UInt8(ascii: ",") || s[17] == UInt8(ascii: "=") else { throw .malformedStaticLease }
        var mac: UInt64 = 0
        for k in 0..<6 {
            let o = 3 * k
            guard let h = ArgumentText.hexValue(s[o]), let l = ArgumentText.hexValue(s[o + 1]) else { throw .malformedStaticLease }
            if k < 5 { guard s[o + 2] == UInt8(ascii: ":") || s[o + 2] == UInt8(ascii: "-") else { throw .malformedStaticLease } }
            mac = mac << 8 | UInt64(h << 4 | l)
        }
        guard let address = ArgumentText.parseIPv4(UnsafeRawBufferPointer(rebasing: s[18..<end])) else { throw .malformedStaticLease }
        let hi = UInt32(truncatingIfNeeded: mac >> 16), lo = UInt32(truncatingIfNeeded: mac & 0xFFFF)
        var i = 0
        while i < staticLeases.count {
            if (staticLeases[i] == hi && staticLeases[i + 1] == lo) || staticLeases[i + 2] == address.value {
                throw .duplicateStaticLease
            }
            i += 3
        }
        staticLeases.append(hi)
        staticLeases.append(lo)
        staticLeases.append(address.value)
    }

    /// Every static address must lie in a reserved range.
    public func validate() throws(ConfigError) {
        var i = 2
        while i < staticLeases.count {
            if !contains(IPv4Address(staticLeases[i])) { throw .staticLeaseNotReserved }
            i += 3
        }
    }

    /// Marks the blocks that contain reserved addresses (at start, once).
    func markBlocks(_ blocks: BlockArray, prefix: IPv4Address, blockSize: Int) {
        guard !ranges.isEmpty else { return }
        for b in 0..<blocks.count {
            let first = prefix.value &+ UInt32(b * blockSize)
            var reserved = 0
            for i in 0..<blockSize where contains(IPv4Address(first &+ UInt32(i))) { reserved += 1 }
            guard reserved > 0 else { continue }  // the start state: nothing written (D-222)
            var block = blocks[b]
            block.partlyReserved = true
            block.reserved = reserved == blockSize
            blocks[b] = block
        }
    }
}

extension Node {
    /// DISCOVER from a client with a static lease: OFFER its address (D-84). True if handled.
    func offerStaticLease<S: ActionSink>(_ packet: DHCPPacket, sink: inout S) -> Bool {
        guard let address = configuration.reservations.staticAddress(for: packet.chaddr) else { return false }
        sendReply(.offer, client: packet.clientFields, yourAddress: address, parameters: packet.parameterList, sink: &sink)
        statistics.add(.dhcpSendOffer)
        return true
    }

    /// REQUEST from a client with a static lease, or for a static address: ACK its own
    /// address, NAK any other (D-84). True if handled.
    func acknowledgeStaticLease<S: ActionSink>(_ packet: DHCPPacket, address: IPv4Address, sink: inout S) -> Bool {
        guard let mine = configuration.reservations.staticAddress(for: packet.chaddr) else { return false }
        let client = packet.clientFields
        guard mine == address else {
            sendNak(client, sink: &sink)
            return true
        }
        let ok = sendReply(.ack, client: client, yourAddress: address, parameters: packet.parameterList, sink: &sink)
        statistics.add(.dhcpSendAck)
        if ok { sink.runHook(.lease, address: address, clientHardware: client.chaddr) }
        return true
    }
}

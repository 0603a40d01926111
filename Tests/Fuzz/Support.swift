// Shared by the libFuzzer targets (Tests/Fuzz/README.md): compiled into the DDHCPCore module
// together with the core sources, so the invariant checks may read the node's tables.

/// Reads the fuzzer's bytes front to back; past the end every read is 0 (inputs never trap).
struct FuzzReader {
    let data: UnsafeRawBufferPointer
    var offset = 0

    init(_ data: UnsafeRawBufferPointer) { self.data = data }

    var isAtEnd: Bool { offset >= data.count }
    var remaining: Int { max(0, data.count - offset) }

    mutating func byte() -> UInt8 {
        guard offset < data.count else { return 0 }
        defer { offset += 1 }
        return data[offset]
    }

    mutating func u16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }
    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }

    /// The next `count` bytes (fewer at the end).
    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer {
        let n = min(count, remaining)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: data[offset..<(offset + n)])
    }
}

/// Records what the node asked for: counts per channel, and every DHCP reply's yiaddr/chaddr
/// and message type, so the node target can check them against the tables afterwards.
struct FuzzSink: ActionSink {
    var multicasts = 0
    var unicasts = 0
    var dhcpReplies = 0
    var hooks = 0
    var replies: [(type: UInt8, chaddr: HardwareAddress, address: IPv4Address)] = []

    init() { replies.reserveCapacity(64) }

    mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool {
        check(datagram.count >= MeshWire.headerSize && datagram.count <= Node.bufferSize, "multicast length")
        multicasts += 1
        return true
    }

    mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool {
        // RENEWLEASE/LEASEACK/LEASENAK have one length; table pages (0x20/0x21) and handover
        // messages (0x30/0x31) are checked by their own wire rules.
        check(datagram.count >= MeshWire.headerSize && datagram.count <= Node.bufferSize, "unicast length")
        let command = datagram[MeshWire.Header.command]
        if command == TableWire.request || command == TableWire.answer {
            check(datagram.count == TableWire.requestSize
                  || (datagram.count - TableWire.answerHeaderSize) % TableWire.entrySize == 0, "table message length")
        } else if command == HandoverWire.handoff || command == HandoverWire.ack {
            check(datagram.count == HandoverWire.ackSize
                  || (datagram.count - HandoverWire.fixedSize) % HandoverWire.entrySize == 0, "handover message length")
        } else {
            check(datagram.count == MeshWire.leaseMessageSize, "unicast length")
        }
        unicasts += 1
        return true
    }

    mutating func sendDHCP(
        _ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
        clientHardware: HardwareAddress, yourAddress: IPv4Address
    ) -> Bool {
        check(packet.count >= DHCPWire.bootpMinimumLength && packet.count <= Node.bufferSize, "reply length")
        // Our own replies must parse as DHCP (type from option 53).
        guard let reply = try? DHCPWire.parse(packet) else { fail("reply does not parse") }
        check(reply.op == 2, "reply op")
        check(reply.chaddr == clientHardware, "reply chaddr")
        check(reply.yiaddr == yourAddress, "reply yiaddr")
        dhcpReplies += 1
        if replies.count < 64 { replies.append((reply.messageType, clientHardware, yourAddress)) }
        return true
    }

    mutating func runHook(_ action: HookAction, address: IPv4Address, clientHardware: HardwareAddress) { hooks += 1 }

    mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer) {
        check(line.count <= 256, "log line length")
    }
}

/// An invariant failed: abort, so libFuzzer saves the input as a crash.
func fail(_ what: StaticString) -> Never {
    fatalError("fuzz invariant violated: \(what)")
}

@inline(__always) func check(_ condition: Bool, _ what: StaticString) {
    if !condition { fail(what) }
}

/// A small configuration chosen by one byte: prefix length 24..27 with block size 2^1..2^4 (2 to
/// 64 blocks, so claims, conflicts and exhaustion are all reachable), spare leases 0..3, learning
/// on or off.
func fuzzConfiguration(_ selector: UInt8, nodeID: UInt64) -> Configuration {
    var c = Configuration()
    c.prefix = IPv4Address(10, 0, 0, 0)
    c.prefixLength = 24 + (selector & 3)
    c.blockSizeExponent = 1 + (selector >> 2) & 3
    c.spareLeases = UInt32((selector >> 4) & 3)
    c.learningPhase = selector & 0x40 != 0
    c.dhcpDisabled = selector & 0x80 != 0 && selector & 0x30 == 0x30
    c.keepsStateImage = selector & 0x80 != 0  // restored at the respawn records
    c.blockTimeout = 60
    c.tentativeTimeout = 15
    c.needlessTimeout = 300
    c.nodeID = NodeID(nodeID)
    return c
}

// Node-to-node wire format (docs/protocol.md#messages): decoding in place from the caller's
// datagram, encoding into caller-provided buffers. Decoding never traps: every length is checked
// before a byte is read (docs/decisions.md D-09 — the header is not read from a short datagram).

/// The commands C understands. 19 (RELEASE) is deliberately absent: C can neither send nor
/// receive it (D-08), so it is treated as unknown.
public enum MeshCommand: UInt8, Sendable {
    case updateClaim = 1
    case inquire = 2
    case renewLease = 0x10
    case leaseAck = 0x11
    case leaseNak = 0x12

    public var isBlockMessage: Bool { self == .updateClaim || self == .inquire }
}

/// The pool fields every header carries; a datagram with different values is foreign.
public struct MeshPool: Equatable, Sendable {
    public var prefix: IPv4Address
    public var prefixLength: UInt8
    public var blockSize: UInt8

    public init(prefix: IPv4Address, prefixLength: UInt8, blockSize: UInt8) {
        self.prefix = prefix
        self.prefixLength = prefixLength
        self.blockSize = blockSize
    }
}

/// Why a datagram was dropped (docs/protocol.md#validation), in the order the checks run.
public enum MeshDecodeError: Error, Equatable {
    /// Shorter than the 16-byte header (D-09: checked before the header is read).
    case tooShort(length: Int)
    /// Command byte outside 1, 2, 16, 17, 18 (19 included, D-08).
    case unknownCommand(UInt8)
    /// Length differs from 16 + 7·count, 16 + 4·count or 44; trailing bytes are not tolerated.
    case lengthMismatch(expected: Int, actual: Int)
    /// Prefix bytes, prefix length or block size differ from ours: dropped silently.
    case foreignPool
}

/// The 28-byte payload of RENEWLEASE / LEASEACK / LEASENAK (docs/protocol.md#lease-messages). The
/// address field is kept exactly as it came (its 4 bytes read big-endian) so replies echo it byte
/// for byte (D-02).
public struct LeasePayload: Equatable, Sendable {
    /// Bytes 16..19 of the message, read as a big-endian number (no byte-order interpretation).
    public var rawAddress: UInt32
    public var xid: UInt32
    public var leaseSeconds: UInt32
    public var chaddr: HardwareAddress

    public init(rawAddress: UInt32, xid: UInt32, leaseSeconds: UInt32 = 0, chaddr: HardwareAddress) {
        self.rawAddress = rawAddress
        self.xid = xid
        self.leaseSeconds = leaseSeconds
        self.chaddr = chaddr
    }

    /// A payload carrying `address` in the given sending byte order (little-endian = the octets
    /// reversed, as x86/ARM C nodes send it).
    public init(address: IPv4Address, littleEndian: Bool, xid: UInt32, chaddr: HardwareAddress) {
        self.init(rawAddress: littleEndian ? address.value.byteSwapped : address.value, xid: xid, chaddr: chaddr)
    }

    /// The address field read in one byte order.
    public func address(littleEndian: Bool) -> IPv4Address {
        IPv4Address(littleEndian ? rawAddress.byteSwapped : rawAddress)
    }
}

/// A validated mesh datagram, read in place: entries are decoded on access from the caller's
/// buffer, which must stay valid while the message is used.
public struct MeshMessage {
    public let bytes: UnsafeRawBufferPointer
    public let nodeID: NodeID
    public let command: MeshCommand
    /// Number of block entries (UPDATECLAIM/INQUIRE); 0 for lease messages.
    public let entryCount: Int

    /// UPDATECLAIM entry `i`: block index and advertised timeout in seconds.
    public func claimEntry(_ i: Int) -> (block: UInt32, timeout: UInt16) {
        let o = MeshWire.claimEntryOffset(i)
        return (Bytes.u32(bytes, o + MeshWire.ClaimEntry.block), Bytes.u16(bytes, o + MeshWire.ClaimEntry.timeout))
    }

    /// The spare byte of UPDATECLAIM entry `i`: 0 from C, 1 + active leases from ours (D-80).
    func claimSpare(_ i: Int) -> UInt8 { bytes[MeshWire.claimEntryOffset(i) + MeshWire.ClaimEntry.spare] }

    /// INQUIRE entry `i`: block index.
    public func inquireEntry(_ i: Int) -> UInt32 {
        Bytes.u32(bytes, MeshWire.headerSize + i * MeshWire.inquireEntrySize)
    }

    /// The payload of a lease message.
    public var leasePayload: LeasePayload {
        typealias F = MeshWire.LeaseField
        return LeasePayload(rawAddress: Bytes.u32(bytes, F.address), xid: Bytes.u32(bytes, F.xid),
                            leaseSeconds: Bytes.u32(bytes, F.leaseSeconds), chaddr: Bytes.hardware(bytes, F.chaddr))
    }
}

public enum MeshWire {
    /// Field offsets of the 16-byte header every mesh message starts with (C's and ours).
    enum Header {
        static let nodeID = 0  // u64
        static let prefix = 8  // u32
        static let prefixLength = 12
        static let blockSize = 13
        static let command = 14
        static let count = 15  // entries (UPDATECLAIM, INQUIRE, our 0x21 and 0x30)
    }
    /// Field offsets inside one UPDATECLAIM entry.
    enum ClaimEntry {
        static let block = 0  // u32
        static let timeout = 4  // u16, seconds
        static let spare = 6  // C: reserved 0; ours: 1 + active leases (D-80)
    }
    /// Field offsets of the RENEWLEASE / LEASEACK / LEASENAK payload.
    enum LeaseField {
        static let address = 16  // u32, in the sender's byte order (D-02)
        static let xid = 20
        static let leaseSeconds = 24
        static let chaddr = 28  // 16 bytes
    }

    public static let headerSize = 16
    public static let claimEntrySize = 7
    public static let inquireEntrySize = 4
    public static let leaseMessageSize = 44
    /// C never puts more than 32 blocks in one UPDATECLAIM (docs/protocol.md#updateclaim).
    public static let maximumClaimsPerMessage = 32
    public static let multicastPort: UInt16 = 1234
    public static let unicastPort: UInt16 = 1235
    /// The largest datagram the node sends, and the size of the shell's receive buffer (as C:
    /// longer datagrams are truncated and then fail the length check).
    public static let datagramCapacity = 1500

    /// Offset of UPDATECLAIM entry `i`.
    @inline(__always) static func claimEntryOffset(_ i: Int) -> Int { headerSize + i * claimEntrySize }

    /// The pool fields of a header (at least `headerSize` bytes) equal ours.
    static func isOurPool(_ d: UnsafeRawBufferPointer, _ pool: MeshPool) -> Bool {
        Bytes.u32(d, Header.prefix) == pool.prefix.value && d[Header.prefixLength] == pool.prefixLength
            && d[Header.blockSize] == pool.blockSize
    }

    /// Validates a datagram in the order of docs/protocol.md#validation and returns a view of it.
    public static func decode(_ d: UnsafeRawBufferPointer, pool: MeshPool) throws(MeshDecodeError) -> MeshMessage {
        guard d.count >= headerSize else { throw .tooShort(length: d.count) }
        guard let command = MeshCommand(rawValue: d[Header.command]) else { throw .unknownCommand(d[Header.command]) }
        let count = Int(d[Header.count])
        let expected: Int
        switch command {
        case .updateClaim: expected = headerSize + claimEntrySize * count
        case .inquire: expected = headerSize + inquireEntrySize * count
        case .renewLease, .leaseAck, .leaseNak: expected = leaseMessageSize
        }
        guard d.count == expected else { throw .lengthMismatch(expected: expected, actual: d.count) }
        guard isOurPool(d, pool) else { throw .foreignPool }
        return MeshMessage(bytes: d, nodeID: NodeID(Bytes.u64(d, Header.nodeID)), command: command,
                           entryCount: command.isBlockMessage ? count : 0)
    }

    /// Writes the 16-byte header.
    public static func writeHeader(
        _ buffer: UnsafeMutableRawBufferPointer, nodeID: NodeID, pool: MeshPool, command: MeshCommand, count: UInt8
    ) {
        writeHeader(buffer, nodeID: nodeID, pool: pool, rawCommand: command.rawValue, count: count)
    }

    /// Writes the 16-byte header with any command byte (our 0x20/0x21, 0x30/0x31 too).
    static func writeHeader(
        _ buffer: UnsafeMutableRawBufferPointer, nodeID: NodeID, pool: MeshPool, rawCommand: UInt8, count: UInt8
    ) {
        Bytes.put64(buffer, Header.nodeID, nodeID.value)
        Bytes.put32(buffer, Header.prefix, pool.prefix.value)
        buffer[Header.prefixLength] = pool.prefixLength
        buffer[Header.blockSize] = pool.blockSize
        buffer[Header.command] = rawCommand
        buffer[Header.count] = count
    }

    /// Writes UPDATECLAIM entry `i` (reserved byte 0, as C).
    public static func writeClaimEntry(_ buffer: UnsafeMutableRawBufferPointer, _ i: Int, block: UInt32, timeout: UInt16) {
        let o = claimEntryOffset(i)
        Bytes.put32(buffer, o + ClaimEntry.block, block)
        Bytes.put16(buffer, o + ClaimEntry.timeout, timeout)
        buffer[o + ClaimEntry.spare] = 0
    }

    /// Writes INQUIRE entry `i`.
    public static func writeInquireEntry(_ buffer: UnsafeMutableRawBufferPointer, _ i: Int, block: UInt32) {
        Bytes.put32(buffer, headerSize + i * inquireEntrySize, block)
    }

    /// Encodes a RENEWLEASE / LEASEACK / LEASENAK (count 0, as C) into `buffer` (≥ 44 bytes);
    /// returns the length.
    public static func writeLeaseMessage(
        _ buffer: UnsafeMutableRawBufferPointer, nodeID: NodeID, pool: MeshPool, command: MeshCommand, payload: LeasePayload
    ) -> Int {
        writeHeader(buffer, nodeID: nodeID, pool: pool, command: command, count: 0)
        Bytes.put32(buffer, LeaseField.address, payload.rawAddress)
        Bytes.put32(buffer, LeaseField.xid, payload.xid)
        Bytes.put32(buffer, LeaseField.leaseSeconds, payload.leaseSeconds)
        Bytes.putHardware(buffer, LeaseField.chaddr, payload.chaddr)
        return leaseMessageSize
    }

    // Array-returning encoders for tests, the simulation and tools (these allocate; the node
    // itself encodes into its preallocated scratch buffer with the functions above).

    public static func updateClaim(nodeID: NodeID, pool: MeshPool, claims: [(block: UInt32, timeout: UInt16)]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerSize + claimEntrySize * claims.count)
        out.withUnsafeMutableBytes { buffer in
            writeHeader(buffer, nodeID: nodeID, pool: pool, command: .updateClaim, count: UInt8(truncatingIfNeeded: claims.count))
            for (i, c) in claims.enumerated() { writeClaimEntry(buffer, i, block: c.block, timeout: c.timeout) }
        }
        return out
    }

    public static func inquire(nodeID: NodeID, pool: MeshPool, blocks: [UInt32]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerSize + inquireEntrySize * blocks.count)
        out.withUnsafeMutableBytes { buffer in
            writeHeader(buffer, nodeID: nodeID, pool: pool, command: .inquire, count: UInt8(truncatingIfNeeded: blocks.count))
            for (i, block) in blocks.enumerated() { writeInquireEntry(buffer, i, block: block) }
        }
        return out
    }

    public static func leaseMessage(nodeID: NodeID, pool: MeshPool, command: MeshCommand, payload: LeasePayload) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: leaseMessageSize)
        out.withUnsafeMutableBytes { buffer in
            _ = writeLeaseMessage(buffer, nodeID: nodeID, pool: pool, command: command, payload: payload)
        }
        return out
    }
}

// DHCP packet format (docs/protocol.md#parsing, #replies): parsing in place (offsets into the
// caller's buffer) and reply building into a caller-provided buffer. No allocation, no traps.

public enum DHCPMessageType: UInt8, Sendable {
    case discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7, inform = 8
}

/// The option codes the server reads or writes itself (RFC 2132); others come from the store.
public enum DHCPOption {
    public static let pad: UInt8 = 0
    public static let subnetMask: UInt8 = 1
    public static let timeOffset: UInt8 = 2
    public static let hostName: UInt8 = 12
    public static let broadcastAddress: UInt8 = 28
    public static let requestedAddress: UInt8 = 50
    public static let leaseTime: UInt8 = 51
    public static let messageType: UInt8 = 53
    public static let serverIdentifier: UInt8 = 54
    public static let parameterList: UInt8 = 55
    public static let end: UInt8 = 255
}

/// Why a DHCP packet was rejected (docs/protocol.md#parsing).
public enum DHCPParseError: Error, Equatable {
    case tooShort(length: Int)  // < 240 bytes
    case badMagicCookie  // not 99.130.83.99 at offset 236
    case optionOverrun(offset: Int)  // an option's length runs past the end
    case missingMessageType  // no option 53 (with a payload byte)
}

/// The header fields a reply copies from the client's packet. Kept separately so a forwarded
/// request can be answered later from the request cache without the original packet.
public struct DHCPClientFields: Equatable, Sendable {
    public var htype: UInt8 = 1
    public var hlen: UInt8 = 6
    public var hops: UInt8 = 0
    public var xid: UInt32 = 0
    public var flags: UInt16 = 0
    public var ciaddr = IPv4Address.zero
    public var giaddr = IPv4Address.zero
    public var chaddr = HardwareAddress.zero

    public init() {}

    /// Broadcast flag set by the client.
    public var wantsBroadcast: Bool { flags & DHCPWire.broadcastFlag != 0 }
}

/// A validated DHCP packet, read in place from the caller's buffer.
public struct DHCPPacket {
    public let bytes: UnsafeRawBufferPointer
    /// Payload byte of the first option 53.
    public let messageType: UInt8
    // Offsets of the first occurrence of options 50, 54, 55 (payload start; -1 = absent).
    let requestedAddressOffset: Int
    let requestedAddressLength: Int
    let serverIdentifierOffset: Int
    let serverIdentifierLength: Int
    let parameterListOffset: Int
    let parameterListLength: Int
    var hostNameOffset = -1
    var hostNameLength = 0

    /// Option 12 (host name) as sent, empty if absent.
    public var hostName: UnsafeRawBufferPointer {
        guard hostNameOffset >= 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[hostNameOffset..<(hostNameOffset + hostNameLength)])
    }

    public var op: UInt8 { bytes[DHCPWire.Field.op] }
    public var htype: UInt8 { bytes[DHCPWire.Field.htype] }
    public var hlen: UInt8 { bytes[DHCPWire.Field.hlen] }
    public var hops: UInt8 { bytes[DHCPWire.Field.hops] }
    public var xid: UInt32 { Bytes.u32(bytes, DHCPWire.Field.xid) }
    public var secs: UInt16 { Bytes.u16(bytes, DHCPWire.Field.secs) }
    public var flags: UInt16 { Bytes.u16(bytes, DHCPWire.Field.flags) }
    public var ciaddr: IPv4Address { IPv4Address(Bytes.u32(bytes, DHCPWire.Field.ciaddr)) }
    public var yiaddr: IPv4Address { IPv4Address(Bytes.u32(bytes, DHCPWire.Field.yiaddr)) }
    public var siaddr: IPv4Address { IPv4Address(Bytes.u32(bytes, DHCPWire.Field.siaddr)) }
    public var giaddr: IPv4Address { IPv4Address(Bytes.u32(bytes, DHCPWire.Field.giaddr)) }
    public var chaddr: HardwareAddress { Bytes.hardware(bytes, DHCPWire.Field.chaddr) }

    /// Option 50 (first 4 bytes); nil if absent or shorter than 4 bytes.
    public var requestedAddress: IPv4Address? {
        guard requestedAddressOffset >= 0, requestedAddressLength >= 4 else { return nil }
        return IPv4Address(Bytes.u32(bytes, requestedAddressOffset))
    }

    /// Whether option 54 is present at all (a REQUEST carrying it is in SELECTING state).
    public var hasServerIdentifier: Bool { serverIdentifierOffset >= 0 }

    /// Option 54 (first 4 bytes); nil if absent or shorter than 4 bytes.
    public var serverIdentifier: IPv4Address? {
        guard serverIdentifierOffset >= 0, serverIdentifierLength >= 4 else { return nil }
        return IPv4Address(Bytes.u32(bytes, serverIdentifierOffset))
    }

    /// Option 55 payload (requested option codes); empty if absent.
    public var parameterList: UnsafeRawBufferPointer {
        guard parameterListOffset >= 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[parameterListOffset..<(parameterListOffset + parameterListLength)])
    }

    /// The fields a reply copies.
    public var clientFields: DHCPClientFields {
        var f = DHCPClientFields()
        f.htype = htype
        f.hlen = hlen
        f.hops = hops
        f.xid = xid
        f.flags = flags
        f.ciaddr = ciaddr
        f.giaddr = giaddr
        f.chaddr = chaddr
        return f
    }
}

/// A set of option codes as 256 bits (no allocation).
struct CodeSet {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Inserts `code`; returns false if it was already present.
    mutating func insert(_ code: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(code & 63)
        var word: UInt64
        switch code >> 6 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        if word & bit != 0 { return false }
        word |= bit
        switch code >> 6 {
        case 0: words.0 = word
        case 1: words.1 = word
        case 2: words.2 = word
        default: words.3 = word
        }
        return true
    }
}

public enum DHCPWire {
    /// Field offsets of the fixed part (RFC 2131 figure 1).
    enum Field {
        static let op = 0
        static let htype = 1
        static let hlen = 2
        static let hops = 3
        static let xid = 4  // u32
        static let secs = 8  // u16
        static let flags = 10  // u16
        static let ciaddr = 12
        static let yiaddr = 16
        static let siaddr = 20
        static let giaddr = 24
        static let chaddr = 28  // 16 bytes
        static let magicCookie = 236  // u32; the options follow at minimumLength
    }
    static let bootReply: UInt8 = 2
    static let broadcastFlag: UInt16 = 0x8000

    public static let minimumLength = 240
    /// Replies are padded to the BOOTP minimum (docs/decisions.md D-21).
    public static let bootpMinimumLength = 300
    public static let magicCookie: UInt32 = 0x6382_5363
    /// Smallest buffer `buildReply`/`buildNak` accept: header, 54 and 51 at full length, 53,
    /// END, and padding to 300 bytes all fit. Smaller buffers produce nothing (length 0).
    public static let minimumReplyBuffer = 800
    public static let serverPort: UInt16 = 67
    public static let clientPort: UInt16 = 68

    /// Parses a client packet (docs/protocol.md#parsing): PAD bytes are skipped (D-03), END stops
    /// the walk, a missing END is tolerated, the first option 53 (and first 50/54/55) wins.
    public static func parse(_ p: UnsafeRawBufferPointer) throws(DHCPParseError) -> DHCPPacket {
        guard p.count >= minimumLength else { throw .tooShort(length: p.count) }
        guard Bytes.u32(p, Field.magicCookie) == magicCookie else { throw .badMagicCookie }
        var type = -1
        var o50 = -1, l50 = 0, o54 = -1, l54 = 0, o55 = -1, l55 = 0, o12 = -1, l12 = 0
        var i = minimumLength
        while i < p.count {
            let code = p[i]
            if code == DHCPOption.pad { i += 1; continue }
            if code == DHCPOption.end { break }
            guard i + 1 < p.count else { throw .optionOverrun(offset: i) }
            let length = Int(p[i + 1])
            let payload = i + 2
            guard payload + length <= p.count else { throw .optionOverrun(offset: i) }
            switch code {
            case DHCPOption.messageType where type < 0 && length >= 1: type = Int(p[payload])
            case DHCPOption.requestedAddress where o50 < 0: o50 = payload; l50 = length
            case DHCPOption.serverIdentifier where o54 < 0: o54 = payload; l54 = length
            case DHCPOption.parameterList where o55 < 0: o55 = payload; l55 = length
            case DHCPOption.hostName where o12 < 0: o12 = payload; l12 = length
            default: break
            }
            i = payload + length
        }
        guard type >= 0 else { throw .missingMessageType }
        return DHCPPacket(
            bytes: p, messageType: UInt8(type), requestedAddressOffset: o50, requestedAddressLength: l50,
            serverIdentifierOffset: o54, serverIdentifierLength: l54, parameterListOffset: o55, parameterListLength: l55,
            hostNameOffset: o12, hostNameLength: l12)
    }

    /// Writes the fixed 240-byte part of a reply.
    static func writeHeader(_ buffer: UnsafeMutableRawBufferPointer, client: DHCPClientFields, yourAddress: IPv4Address) {
        for i in 0..<minimumLength { buffer[i] = 0 }
        buffer[Field.op] = bootReply
        buffer[Field.htype] = client.htype
        buffer[Field.hlen] = client.hlen
        buffer[Field.hops] = client.hops
        Bytes.put32(buffer, Field.xid, client.xid)
        Bytes.put16(buffer, Field.flags, client.flags)
        Bytes.put32(buffer, Field.ciaddr, client.ciaddr.value)
        Bytes.put32(buffer, Field.yiaddr, yourAddress.value)
        Bytes.put32(buffer, Field.giaddr, client.giaddr.value)
        Bytes.putHardware(buffer, Field.chaddr, client.chaddr)
        Bytes.put32(buffer, Field.magicCookie, magicCookie)
    }

    /// Appends a stored option at `o`; returns the new offset.
    static func putOption(_ buffer: UnsafeMutableRawBufferPointer, _ o: Int, code: UInt8, _ payload: [UInt8]) -> Int {
        buffer[o] = code
        buffer[o + 1] = UInt8(truncatingIfNeeded: payload.count)
        var i = o + 2
        for byte in payload {
            buffer[i] = byte
            i += 1
        }
        return i
    }

    /// Appends option 53 at `o`; returns the new offset.
    static func putMessageType(_ buffer: UnsafeMutableRawBufferPointer, _ o: Int, _ type: DHCPMessageType) -> Int {
        buffer[o] = DHCPOption.messageType
        buffer[o + 1] = 1
        buffer[o + 2] = type.rawValue
        return o + 3
    }

    /// Ends the options with END and pads with zeros to the BOOTP minimum; returns the length.
    static func finish(_ buffer: UnsafeMutableRawBufferPointer, _ o: Int) -> Int {
        buffer[o] = DHCPOption.end
        var end = o + 1
        while end < bootpMinimumLength {
            buffer[end] = 0
            end += 1
        }
        return end
    }

    /// Builds an OFFER, ACK or INFORM-ACK (docs/protocol.md#replies with D-19): first the stored
    /// options the client asked for in option 55, in its order, each at most once; then 54, 51
    /// (unless `includeLeaseTime` is false, as for INFORM, RFC 2131 section 4.3.5), 53, END; padded
    /// to 300 bytes. Options that would not fit into `buffer` are left out. Returns the length
    /// (0 if `buffer` is smaller than `minimumReplyBuffer`).
    public static func buildReply(
        into buffer: UnsafeMutableRawBufferPointer, type: DHCPMessageType, client: DHCPClientFields,
        yourAddress: IPv4Address, parameterList: UnsafeRawBufferPointer, options: OptionStore,
        includeLeaseTime: Bool
    ) -> Int {
        guard buffer.count >= minimumReplyBuffer else { return 0 }
        writeHeader(buffer, client: client, yourAddress: yourAddress)
        let serverID = options.payload(DHCPOption.serverIdentifier)
        let leaseTime = includeLeaseTime ? options.payload(DHCPOption.leaseTime) : nil
        var tail = 3 + 1  // 53 and END
        if let s = serverID { tail += 2 + s.count }
        if let l = leaseTime { tail += 2 + l.count }
        // One bit per code already placed (or reserved for the tail).
        var seen = CodeSet()
        _ = seen.insert(DHCPOption.pad)
        _ = seen.insert(DHCPOption.end)
        _ = seen.insert(DHCPOption.messageType)
        _ = seen.insert(DHCPOption.serverIdentifier)
        _ = seen.insert(DHCPOption.leaseTime)
        var o = minimumLength
        for code in parameterList {
            if !seen.insert(code) { continue }
            guard let payload = options.payload(code) else { continue }
            guard o + 2 + payload.count + tail <= buffer.count else { continue }
            o = putOption(buffer, o, code: code, payload)
        }
        if let s = serverID { o = putOption(buffer, o, code: DHCPOption.serverIdentifier, s) }
        if let l = leaseTime { o = putOption(buffer, o, code: DHCPOption.leaseTime, l) }
        return finish(buffer, putMessageType(buffer, o, type))
    }

    /// Builds a NAK: header as C (yiaddr 0, ciaddr copied), options 54 (D-20, if configured),
    /// 53 = 6, END; padded to 300 bytes. A NAK through a relay gets the broadcast flag so the
    /// relay broadcasts it (RFC 2131 section 4.3.2).
    public static func buildNak(into buffer: UnsafeMutableRawBufferPointer, client: DHCPClientFields, options: OptionStore) -> Int {
        guard buffer.count >= minimumReplyBuffer else { return 0 }
        var fields = client
        if client.giaddr != .zero { fields.flags |= broadcastFlag }
        writeHeader(buffer, client: fields, yourAddress: .zero)
        var o = minimumLength
        if let s = options.payload(DHCPOption.serverIdentifier) { o = putOption(buffer, o, code: DHCPOption.serverIdentifier, s) }
        return finish(buffer, putMessageType(buffer, o, .nak))
    }

    /// Where a reply goes (docs/protocol.md#reply-destination with D-11, D-21): through the relay
    /// when giaddr ≠ 0; a NAK is otherwise always broadcast; other replies go to ciaddr when it is
    /// set and the broadcast flag is clear, else broadcast.
    public static func destination(for client: DHCPClientFields, isNak: Bool) -> DHCPDestination {
        if client.giaddr != .zero { return .relay(client.giaddr) }
        if isNak { return .broadcast }
        if client.ciaddr != .zero && !client.wantsBroadcast { return .unicast(client.ciaddr) }
        return .broadcast
    }
}

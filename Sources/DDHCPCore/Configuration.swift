// Configuration: C's defaults (docs/protocol.md#parameters, #ddhcpd-flags), validation of what C
// silently breaks on (docs/decisions.md D-24), and parsers for the argument texts (-N, -o, numbers
// with atoi/strtoul semantics,
// -I, -E). Parsers take raw bytes (argv bytes or control-socket bytes) and never allocate a
// String.

/// Errors found while validating the configuration (command line or control socket values).
public enum ConfigError: Error, Equatable {
    case prefixLengthTooShort  // -N .../L with L < 8
    case prefixLengthTooLong  // L > 32
    case blockSizeTooLarge  // block larger than the pool, or -b > 7 (S must fit the 1-byte wire field)
    case tentativeTimeoutTooShort  // -t < 2
    case blockTimeoutInvalid  // -B 0 or > 65535
    case spareLeasesInvalid  // -s < 0 or > 255
    case malformedOption  // -o CODE:LEN:P1.P2...
    case malformedNetwork  // -N without '/', bad address
    case tentativeTimeoutTooLong  // -t > 65535
    case needlessTimeoutInvalid  // -n < 0 or > 65535
    case poolOutOfRange  // prefix + pool size runs past 255.255.255.255
    case tooManyBlocks  // more than Configuration.maximumBlockCount blocks
    case malformedNodeID  // -I needs exactly 16 hex digits
    case malformedByteOrder  // -E needs "le" or "be"
    case malformedReservation  // --reserve A.B.C.D[-E.F.G.H | /L]
    case malformedStaticLease  // --static-lease MAC,A.B.C.D
    case staticLeaseNotReserved  // a static address outside every reserved range
    case duplicateStaticLease  // one MAC or address twice
    case tooManyReservations  // more than Reservations.maximumRanges / maximumStaticLeases

    /// A one-line explanation for the operator (no trailing newline).
    public var message: StaticString {
        switch self {
        case .prefixLengthTooShort: return "network (-N): prefix length must be at least 8"
        case .prefixLengthTooLong: return "network (-N): prefix length must be at most 32"
        case .blockSizeTooLarge: return "block size (-b): exponent must be 0..7 and the block must fit in the pool"
        case .tentativeTimeoutTooShort: return "tentative timeout (-t) must be at least 2 seconds"
        case .blockTimeoutInvalid: return "block timeout (-B) must be 1..65535 seconds"
        case .spareLeasesInvalid: return "spare leases (-s) must be 0..255"
        case .malformedOption: return "option (-o) must be CODE:LEN:P1.P2...Pn with LEN payload bytes, CODE 1..254"
        case .malformedNetwork: return "network (-N) must be A.B.C.D/L"
        case .tentativeTimeoutTooLong: return "tentative timeout (-t) must be at most 65535 seconds"
        case .needlessTimeoutInvalid: return "needless timeout (-n) must be 0..65535 seconds"
        case .poolOutOfRange: return "network (-N): the pool runs past 255.255.255.255"
        case .tooManyBlocks: return "network (-N) and block size (-b) give more than 131072 blocks; use a larger -b"
        case .malformedNodeID: return "node id (-I) must be exactly 16 hex digits"
        case .malformedByteOrder: return "RENEWLEASE byte order (-E) must be le or be"
        case .malformedReservation: return "reserve (--reserve) must be A.B.C.D, A.B.C.D-E.F.G.H or A.B.C.D/L"
        case .malformedStaticLease: return "static lease (--static-lease) must be MAC,A.B.C.D (MAC as aa:bb:cc:dd:ee:ff)"
        case .staticLeaseNotReserved: return "static lease (--static-lease): the address must lie in a reserved range (--reserve)"
        case .duplicateStaticLease: return "static lease (--static-lease): a MAC or an address is given twice"
        case .tooManyReservations: return "at most 64 reserved ranges and 256 static leases"
        }
    }
}

/// Everything the C daemon takes from its command line, with C's defaults
/// (docs/protocol.md#parameters).
public struct Configuration {
    public var prefix = IPv4Address(10, 0, 0, 0)
    public var prefixLength: UInt8 = 24
    public var blockSizeExponent: UInt8 = 5  // S = 1 << exponent
    public var blockTimeout: UInt16 = 60  // B, seconds
    public var tentativeTimeout: UInt16 = 15  // T, seconds
    public var needlessTimeout: UInt16 = 300  // seconds
    public var spareLeases: UInt32 = 2
    public var learningPhase = true  // -L turns it off
    /// Ask peers for the block table at start and end the learning phase on a complete answer
    /// (docs/fast-join.md; `--no-fast-join` turns it off).
    public var fastJoin = true
    /// The shell stores state images (`--state-file`); the node then produces them
    /// (StateImage.swift).
    public var keepsStateImage = false
    public var dhcpDisabled = false  // -S
    /// Keep each lease's host name (option 12) in a fixed table: set by the shell when a lease
    /// file or hotplug events want it (D-51); otherwise no memory is set aside for them.
    public var recordHostnames = false
    public var nodeID = NodeID.zero  // the shell sets a MAC-derived or random id
    /// Byte order used when *sending* the RENEWLEASE address (D-02); receiving accepts both.
    public var renewLeaseLittleEndian = true
    /// Options given with `-o`, in command-line order. The node adds the defaults of
    /// docs/protocol.md#default-options.
    public var options = OptionStore()
    /// Reserved ranges and static leases, mesh-wide (Reservations.swift, D-83).
    public var reservations = Reservations()
    /// Test only: behave like a C node on the wire (spare byte 0, messages 0x30/0x31 dropped,
    /// C's merge rule), so mixed meshes can be tested without the C daemon (D-82).
    public var cWire = false

    public init() {}

    /// `apply(flag:)` keys of the long-only options --reserve, --static-lease, --test-c-wire.
    public static let reserveKey: UInt8 = 0x90
    public static let staticLeaseKey: UInt8 = 0x91
    public static let cWireKey: UInt8 = 0x92

    /// Upper bound on N: keeps the block table (about 64 bytes per block) and the statistics
    /// answer bounded on small routers. /8 with -b 7 (131072 blocks) is still accepted.
    public static let maximumBlockCount: UInt64 = 1 << 17

    public var blockSize: UInt32 { 1 << UInt32(blockSizeExponent) }

    /// N = 2^(32 − L − b); 0 if the block does not fit (validate() rejects that).
    public var blockCount: UInt64 {
        let bits = 32 - Int(prefixLength) - Int(blockSizeExponent)
        return bits < 0 ? 0 : UInt64(1) << UInt64(bits)
    }

    /// The spare-lease target actually used: `-S` forces 0 (docs/protocol.md#ddhcpd-flags).
    public var effectiveSpareLeases: Int { dhcpDisabled ? 0 : Int(spareLeases) }

    /// Rejects everything C would silently break on (D-24).
    public func validate() throws(ConfigError) {
        if prefixLength < 8 { throw .prefixLengthTooShort }
        if prefixLength > 32 { throw .prefixLengthTooLong }
        if blockSizeExponent > 7 || Int(blockSizeExponent) > 32 - Int(prefixLength) { throw .blockSizeTooLarge }
        if blockCount > Configuration.maximumBlockCount { throw .tooManyBlocks }
        if UInt64(prefix.value) + blockCount * UInt64(blockSize) > 0x1_0000_0000 { throw .poolOutOfRange }
        if tentativeTimeout < 2 { throw .tentativeTimeoutTooShort }
        if blockTimeout == 0 { throw .blockTimeoutInvalid }
        if spareLeases > 255 { throw .spareLeasesInvalid }
        try reservations.validate()
    }

    /// Applies one daemon flag as the C getopt loop does, with range checks instead of silent
    /// truncation. Handles N b B t n s o L S I E; returns false for any other flag (the shell's
    /// business: i c C H d D v V h).
    public mutating func apply(flag: UInt8, argument: UnsafeRawBufferPointer) throws(ConfigError) -> Bool {
        switch flag {
        case UInt8(ascii: "N"):
            let network = try ArgumentText.parseNetwork(argument)
            prefix = network.prefix
            prefixLength = network.length
        case UInt8(ascii: "b"):
            let v = ArgumentText.atoi(argument)
            guard v >= 0, v <= 7 else { throw .blockSizeTooLarge }
            blockSizeExponent = UInt8(v)
        case UInt8(ascii: "B"):
            let v = ArgumentText.strtoul(argument)
            guard v > 0, v <= 65535 else { throw .blockTimeoutInvalid }
            blockTimeout = UInt16(v)
        case UInt8(ascii: "t"):
            let v = ArgumentText.atoi(argument)
            guard v >= 2 else { throw .tentativeTimeoutTooShort }
            guard v <= 65535 else { throw .tentativeTimeoutTooLong }
            tentativeTimeout = UInt16(v)
        case UInt8(ascii: "n"):
            let v = ArgumentText.atoi(argument)
            guard v >= 0, v <= 65535 else { throw .needlessTimeoutInvalid }
            needlessTimeout = UInt16(v)
        case UInt8(ascii: "s"):
            let v = ArgumentText.atoi(argument)
            guard v >= 0, v <= 255 else { throw .spareLeasesInvalid }
            spareLeases = UInt32(v)
        case UInt8(ascii: "o"):
            let option = try ArgumentText.parseOption(argument)
            options.set(option.code, option.payload)
        case UInt8(ascii: "L"):
            learningPhase = false
        case UInt8(ascii: "S"):
            dhcpDisabled = true
        case UInt8(ascii: "I"):
            guard let id = ArgumentText.parseNodeID(argument) else { throw .malformedNodeID }
            nodeID = id
        case UInt8(ascii: "E"):
            guard let littleEndian = ArgumentText.parseByteOrder(argument) else { throw .malformedByteOrder }
            renewLeaseLittleEndian = littleEndian
        case Configuration.reserveKey: try reservations.addRange(argument)  // D-83
        case Configuration.staticLeaseKey: try reservations.addStaticLease(argument)  // D-84
        case Configuration.cWireKey: cWire = true  // D-82, tests only
        default:
            return false
        }
        return true
    }
}

/// Parsers for argument text with the semantics of the C library calls C ddhcpd uses.
/// Every function works on raw bytes without a terminating NUL (a NUL byte ends the text too).
public enum ArgumentText {
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    /// Length of the text up to the first NUL (argv strings may be passed with it).
    @inline(__always) static func textLength(_ s: UnsafeRawBufferPointer) -> Int {
        var n = 0
        while n < s.count && s[n] != 0 { n += 1 }
        return n
    }

    /// C `atoi`: leading white space, optional sign, decimal digits; stops at the first other
    /// byte; 0 without digits. Saturates instead of overflowing (C's overflow is undefined).
    public static func atoi(_ s: UnsafeRawBufferPointer) -> Int64 {
        let end = textLength(s)
        var i = 0
        while i < end && isSpace(s[i]) { i += 1 }
        var negative = false
        if i < end && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) {
            negative = s[i] == UInt8(ascii: "-")
            i += 1
        }
        var value: Int64 = 0
        while i < end, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") {
            if value < Int64(Int32.max) + 1 { value = value * 10 + Int64(s[i] - UInt8(ascii: "0")) }
            i += 1
        }
        return negative ? -value : value
    }

    /// C `strtoul(s, &end, 0)` on `s[from...]`: white space, optional sign, then `0x`/`0X` +
    /// hex digits, a leading `0` = octal, otherwise decimal. Overflow gives UInt64.max (ULONG_MAX
    /// on 64-bit hosts); a minus sign negates modulo 2^64. Returns the value and the index after
    /// the last byte consumed (`from` if no number was found).
    public static func strtoul(_ s: UnsafeRawBufferPointer, from: Int) -> (value: UInt64, end: Int) {
        let end = textLength(s)
        var i = from
        while i < end && isSpace(s[i]) { i += 1 }
        var negative = false
        if i < end && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) {
            negative = s[i] == UInt8(ascii: "-")
            i += 1
        }
        var base: UInt64 = 10
        if i < end && s[i] == UInt8(ascii: "0") {
            if i + 1 < end && (s[i + 1] | 0x20) == UInt8(ascii: "x") && i + 2 < end && hexValue(s[i + 2]) != nil {
                base = 16
                i += 2
            } else {
                base = 8
            }
        }
        let digitsStart = i
        var value: UInt64 = 0
        var overflow = false
        while i < end, let d = digit(s[i], base: base) {
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { overflow = true }
            value = a
            i += 1
        }
        if i == digitsStart { return (0, from) }
        if overflow { return (UInt64.max, i) }
        return (negative ? 0 &- value : value, i)
    }

    /// `strtoul(s, NULL, 0)` of the whole text.
    public static func strtoul(_ s: UnsafeRawBufferPointer) -> UInt64 { strtoul(s, from: 0).value }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    @inline(__always) static func digit(_ c: UInt8, base: UInt64) -> UInt8? {
        guard let v = hexValue(c), UInt64(v) < base else { return nil }
        return v
    }

    /// `inet_aton`: 1 to 4 numbers (each strtoul base 0) separated by '.', the last one filling
    /// the remaining bytes (a, a.b, a.b.c, a.b.c.d); nothing else may follow. nil if invalid.
    public static func parseIPv4(_ s: UnsafeRawBufferPointer) -> IPv4Address? {
        let end = textLength(s)
        var parts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var n = 0
        var i = 0
        while true {
            guard i < end, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") else { return nil }
            let r = strtoul(s, from: i)
            guard r.end > i, n < 4 else { return nil }
            switch n {
            case 0: parts.0 = r.value
            case 1: parts.1 = r.value
            case 2: parts.2 = r.value
            default: parts.3 = r.value
            }
            n += 1
            i = r.end
            if i == end { break }
            guard s[i] == UInt8(ascii: ".") else { return nil }
            i += 1
        }
        switch n {
        case 1:
            guard parts.0 <= 0xFFFF_FFFF else { return nil }
            return IPv4Address(UInt32(parts.0))
        case 2:
            guard parts.0 <= 0xFF, parts.1 <= 0xFF_FFFF else { return nil }
            return IPv4Address(UInt32(parts.0) << 24 | UInt32(parts.1))
        case 3:
            guard parts.0 <= 0xFF, parts.1 <= 0xFF, parts.2 <= 0xFFFF else { return nil }
            return IPv4Address(UInt32(parts.0) << 24 | UInt32(parts.1) << 16 | UInt32(parts.2))
        default:
            guard parts.0 <= 0xFF, parts.1 <= 0xFF, parts.2 <= 0xFF, parts.3 <= 0xFF else { return nil }
            return IPv4Address(UInt8(parts.0), UInt8(parts.1), UInt8(parts.2), UInt8(parts.3))
        }
    }

    /// `-N A.B.C.D/L`: the address as typed (not masked) and L. Needs '/', a valid address and
    /// a length made of 1–3 decimal digits with 8 ≤ L ≤ 32.
    public static func parseNetwork(_ s: UnsafeRawBufferPointer) throws(ConfigError) -> (prefix: IPv4Address, length: UInt8) {
        let end = textLength(s)
        var slash = 0
        while slash < end && s[slash] != UInt8(ascii: "/") { slash += 1 }
        guard slash < end, slash + 1 < end, end - (slash + 1) <= 3 else { throw .malformedNetwork }
        var length = 0
        for i in (slash + 1)..<end {
            guard s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") else { throw .malformedNetwork }
            length = length * 10 + Int(s[i] - UInt8(ascii: "0"))
        }
        guard let prefix = parseIPv4(UnsafeRawBufferPointer(rebasing: s[0..<slash])) else { throw .malformedNetwork }
        if length < 8 { throw .prefixLengthTooShort }
        if length > 32 { throw .prefixLengthTooLong }
        return (prefix, UInt8(length))
    }

    /// `-o CODE:LEN:P1.P2.….Pn` (docs/protocol.md#option-syntax): CODE and LEN with atoi truncated
    /// to 8 bits as C does; then LEN payload items separated by '.', each parsed with strtoul base
    /// 0 (text after the number inside an item is ignored, as strtoul does: "08" is 0) and
    /// truncated to 8 bits; text after the LEN-th item is ignored. Errors: a ':' missing, fewer
    /// than LEN items, an item without any number (stricter than C, which would read 0), CODE 0
    /// (PAD) or 255 (END), which would corrupt every reply.
    public static func parseOption(_ s: UnsafeRawBufferPointer) throws(ConfigError) -> (code: UInt8, payload: [UInt8]) {
        let end = textLength(s)
        var firstColon = 0
        while firstColon < end && s[firstColon] != UInt8(ascii: ":") { firstColon += 1 }
        guard firstColon < end else { throw .malformedOption }
        var secondColon = firstColon + 1
        while secondColon < end && s[secondColon] != UInt8(ascii: ":") { secondColon += 1 }
        guard secondColon < end else { throw .malformedOption }
        let code = UInt8(truncatingIfNeeded: atoi(UnsafeRawBufferPointer(rebasing: s[0..<firstColon])))
        let length = Int(UInt8(truncatingIfNeeded: atoi(UnsafeRawBufferPointer(rebasing: s[(firstColon + 1)..<secondColon]))))
        guard code != 0, code != 255 else { throw .malformedOption }
        var payload: [UInt8] = []
        payload.reserveCapacity(length)
        var i = secondColon + 1
        while payload.count < length {
            guard i <= end else { throw .malformedOption }  // fewer than LEN items
            var itemEnd = i
            while itemEnd < end && s[itemEnd] != UInt8(ascii: ".") { itemEnd += 1 }
            let r = strtoul(UnsafeRawBufferPointer(rebasing: s[i..<itemEnd]), from: 0)
            guard r.end > 0 else { throw .malformedOption }  // an item without a number
            payload.append(UInt8(truncatingIfNeeded: r.value))
            i = itemEnd + 1
        }
        return (code, payload)
    }

    /// `-I NODEID`: exactly 16 hex digits (either case).
    public static func parseNodeID(_ s: UnsafeRawBufferPointer) -> NodeID? {
        let end = textLength(s)
        guard end == 16 else { return nil }
        var v: UInt64 = 0
        for i in 0..<16 {
            guard let d = hexValue(s[i]) else { return nil }
            v = v << 4 | UInt64(d)
        }
        return NodeID(v)
    }

    /// `-E le|be`: true for little-endian.
    public static func parseByteOrder(_ s: UnsafeRawBufferPointer) -> Bool? {
        guard textLength(s) == 2 else { return nil }
        if s[0] == UInt8(ascii: "l") && s[1] == UInt8(ascii: "e") { return true }
        if s[0] == UInt8(ascii: "b") && s[1] == UInt8(ascii: "e") { return false }
        return nil
    }
}

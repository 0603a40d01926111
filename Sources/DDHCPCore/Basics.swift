// Value types shared by every part of the core. Everything here must stay inside the
// Embedded Swift subset: no Foundation, no existentials, no untyped throws, no String work.

/// Monotonic time in milliseconds, always supplied by the caller. The core never reads a clock.
public typealias Millis = Int64

/// An IPv4 address as a number: 10.0.0.1 is 0x0A00_0001 (first octet most significant).
public struct IPv4Address: Equatable, Hashable, Comparable, Sendable {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public static let zero = IPv4Address(0)
    public static let broadcast = IPv4Address(0xFFFF_FFFF)

    public static func < (l: IPv4Address, r: IPv4Address) -> Bool { l.value < r.value }

    /// Octet `i` (0 = first, as written in dotted notation).
    @inline(__always) public func octet(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * i)) }
}

/// The 8-byte node id of the mesh header. Packed big-endian so that unsigned integer order is
/// exactly C's `memcmp` order: the larger value wins every tie.
public struct NodeID: Equatable, Hashable, Comparable, Sendable {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public static let zero = NodeID(0)

    public static func < (l: NodeID, r: NodeID) -> Bool { l.value < r.value }
}

/// The 16-byte `chaddr` field of a DHCP packet, kept whole: C identifies clients by all 16 bytes.
public struct HardwareAddress: Equatable, Hashable, Sendable {
    public var high: UInt64  // bytes 0...7, big-endian packed
    public var low: UInt64  // bytes 8...15

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static let zero = HardwareAddress(high: 0, low: 0)

    /// Byte `i` (0...15) of the raw field.
    @inline(__always) public func byte(_ i: Int) -> UInt8 {
        i < 8 ? UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            : UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * (i - 8)))
    }
}

/// The IPv6 address of a peer on the mesh link (a link-local address in practice). The scope
/// is always the server interface, so it is not carried.
public struct PeerAddress: Equatable, Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static let zero = PeerAddress(high: 0, low: 0)
}

/// Log levels, numbered as C ddhcpd numbers them.
public enum LogLevel: UInt8, Comparable, Sendable {
    case fatal = 0, error = 1, warning = 2, info = 3, debug = 4

    public static func < (l: LogLevel, r: LogLevel) -> Bool { l.rawValue < r.rawValue }

    /// The highest level compiled into this binary (`DDHCPD_LOG_LIMIT` in Package.swift).
    /// A constant, so `if LogLevel.compiledLimit >= .debug` folds away and the optimiser
    /// removes the whole logging branch from the binary.
    #if DDHCPD_LOG_LIMIT_0
    public static let compiledLimit: LogLevel = .fatal
    #elseif DDHCPD_LOG_LIMIT_1
    public static let compiledLimit: LogLevel = .error
    #elseif DDHCPD_LOG_LIMIT_2
    public static let compiledLimit: LogLevel = .warning
    #elseif DDHCPD_LOG_LIMIT_3
    public static let compiledLimit: LogLevel = .info
    #else
    public static let compiledLimit: LogLevel = .debug
    #endif
}

/// Hook actions; the shell runs `/bin/sh -e -- HOOK ACTION [ADDRESS MAC]`.
public enum HookAction: UInt8 {
    case lease, release, endLearning, inform
}

/// Where a DHCP reply goes (UDP port 68, except to a relay agent).
public enum DHCPDestination: Equatable {
    /// 255.255.255.255 on the client interface.
    case broadcast
    /// A client that already has `address` configured.
    case unicast(IPv4Address)
    /// A BOOTP relay agent (the request's giaddr): UDP port **67**, not 68 (docs/decisions.md
    /// D-21).
    case relay(IPv4Address)
}

/// Everything the core asks the outside world to do. The core calls these while it handles an
/// event; the daemon performs them at once, the simulation records them. Byte buffers are only
/// valid during the call (they point into the core's preallocated scratch space).
public protocol ActionSink {
    /// Multicast to [ff02::1234]:1234 on the server interface. Returns false if the send failed.
    mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool
    /// Unicast to [peer]:1235 on the server interface. Returns false if the send failed.
    mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool
    /// A DHCP reply from port 67 to port 68. `clientHardware` and `yourAddress` are given so a
    /// shell may deliver without broadcast where it can. Returns false if the send failed.
    mutating func sendDHCP(
        _ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
        clientHardware: HardwareAddress, yourAddress: IPv4Address) -> Bool
    /// Run the hook script (never blocks the caller).
    mutating func runHook(_ action: HookAction, address: IPv4Address, clientHardware: HardwareAddress)
    /// One log line without a trailing newline; already filtered by level.
    mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer)
    /// Store the state image (StateImage.swift) so that a restarted daemon gets it back
    /// through `Node.restoreState`; returns false if it could not be stored. Sinks that keep
    /// no image get a default that does nothing.
    mutating func writeState(_ image: UnsafeRawBufferPointer) -> Bool
    /// A lease in one of our blocks was granted (`add`), renewed (`update`) or ended by RELEASE,
    /// DECLINE or expiry (`remove`) (docs/protocol.md#lease-file). `hostname` is the client's
    /// option 12 as stored (legal host-name bytes only, at most `Hostnames.capacity`), empty if
    /// unknown or not recorded. Sinks that do not care need not implement it.
    mutating func leaseChanged(_ change: LeaseChange, address: IPv4Address, clientHardware: HardwareAddress,
                               hostname: UnsafeRawBufferPointer)
}

/// What happened to a lease of ours (the ACTION of OpenWrt's `dhcp` hotplug events).
public enum LeaseChange: UInt8, Sendable {
    case add, update, remove
}

extension ActionSink {
    public mutating func leaseChanged(_ change: LeaseChange, address: IPv4Address, clientHardware: HardwareAddress,
                                      hostname: UnsafeRawBufferPointer) {}
}

// CONTRACT between the core and its callers (daemon shell, simulation). The bodies here are
// placeholders until the core lands; the names and signatures are what the shell codes against.
// Extend freely; rename only together with every caller.

/// Errors found while validating the configuration (command line or control socket values).
public enum ConfigError: Error, Equatable {
    case prefixLengthTooShort  // -N .../L with L < 8
    case prefixLengthTooLong  // L > 32
    case blockSizeTooLarge  // block larger than the pool, or -b > 7 (S must fit the 1-byte wire field)
    case tentativeTimeoutTooShort  // -t < 2
    case blockTimeoutInvalid  // -B 0 or > 65535
    case spareLeasesInvalid
    case malformedOption  // -o CODE:LEN:P1.P2...
    case malformedNetwork  // -N without '/', bad address
}

/// Everything the C daemon takes from its command line, with C's defaults (PROTOCOL.md §5.1).
public struct Configuration {
    public var prefix = IPv4Address(10, 0, 0, 0)
    public var prefixLength: UInt8 = 24
    public var blockSizeExponent: UInt8 = 5  // S = 1 << exponent
    public var blockTimeout: UInt16 = 60  // B, seconds
    public var tentativeTimeout: UInt16 = 15  // T, seconds
    public var needlessTimeout: UInt16 = 300  // seconds
    public var spareLeases: UInt32 = 2
    public var learningPhase = true  // -L turns it off
    public var dhcpDisabled = false  // -S
    public var nodeID = NodeID.zero  // the shell sets a MAC-derived or random id
    /// Byte order used when *sending* the RENEWLEASE address; receiving accepts both.
    public var renewLeaseLittleEndian = true

    public init() {}

    public var blockSize: UInt32 { 1 << UInt32(blockSizeExponent) }
}

public final class Node {
    public private(set) var configuration: Configuration
    public var runtimeLogLevel: LogLevel = .warning

    public init(configuration: Configuration, randomSeed: UInt64, now: Millis) throws(ConfigError) {
        self.configuration = configuration
    }

    /// Call once after the sockets exist (runs `endlearning` at once with -L).
    public func start<S: ActionSink>(now: Millis, sink: inout S) {}

    /// A datagram read from the multicast socket (port 1234).
    public func handleMulticast<S: ActionSink>(
        _ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S) {}

    /// A datagram read from the unicast socket (port 1235).
    public func handleUnicast<S: ActionSink>(
        _ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S) {}

    /// A packet read from the DHCP socket (port 67).
    public func handleDHCP<S: ActionSink>(_ packet: UnsafeRawBufferPointer, now: Millis, sink: inout S) {}

    /// Timers: call when `now >= nextWakeup`, or whenever convenient; it is idempotent.
    public func tick<S: ActionSink>(now: Millis, sink: inout S) {}

    /// The earliest time at which `tick` has work to do.
    public var nextWakeup: Millis { 0 }

    /// One request read from the control socket; the answer text (possibly empty) goes to `reply`.
    public func handleControl<S: ActionSink>(
        _ request: UnsafeRawBufferPointer, now: Millis, reply: inout TextBuffer, sink: inout S) {}
}

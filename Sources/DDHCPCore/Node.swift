// CONTRACT between the core and its callers (daemon shell, simulation). The bodies here are
// placeholders until the core lands; the names and signatures are what the shell codes against.
// Extend freely; rename only together with every caller.

// Configuration and ConfigError live in Configuration.swift.

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

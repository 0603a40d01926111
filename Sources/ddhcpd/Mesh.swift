// Where the mesh is: its multicast group and ports, the datagram size, and IPv6 addresses as
// the C layer passes them (16 bytes) and as the core keeps them (two integers).

import DDHCPCore

/// The mesh's multicast group ff02::1234 and ports (docs/protocol.md#sockets).
enum Mesh {
    static let group: (UInt64, UInt64) = (0xFF02_0000_0000_0000, 0x0000_0000_0000_1234)
    static let multicastPort: Int32 = 1234
    static let unicastPort: Int32 = 1235
    static let dhcpServerPort: Int32 = 67
    static let dhcpClientPort: Int32 = 68
    /// Datagrams are read into a buffer of this size, as C does (longer ones are truncated and
    /// then fail the length check).
    static let datagramCapacity = 1500
}

/// 16 bytes of an IPv6 address, high half first.
func withAddressBytes<R>(_ high: UInt64, _ low: UInt64, _ body: (UnsafePointer<UInt8>) -> R) -> R {
    var raw = (high.bigEndian, low.bigEndian)
    return withUnsafeBytes(of: &raw) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
}

func peerAddress(_ bytes: UnsafePointer<UInt8>) -> PeerAddress {
    var high: UInt64 = 0
    var low: UInt64 = 0
    for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
    for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
    return PeerAddress(high: high, low: low)
}

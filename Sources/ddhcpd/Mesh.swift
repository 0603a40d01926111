// Where the mesh is: its multicast group and ports, the datagram size, and IPv6 addresses as
// the C layer passes them (16 bytes) and as the core keeps them (two integers).

import DDHCPCore

/// The mesh's multicast group ff02::1234, and the ports and datagram size the core defines
/// (docs/protocol.md#sockets) as the C layer takes them.
enum Mesh {
    static let group: (UInt64, UInt64) = (0xFF02_0000_0000_0000, 0x0000_0000_0000_1234)
    static let multicastPort = Int32(MeshWire.multicastPort)
    static let unicastPort = Int32(MeshWire.unicastPort)
    static let dhcpServerPort = Int32(DHCPWire.serverPort)
    static let dhcpClientPort = Int32(DHCPWire.clientPort)
    static let datagramCapacity = MeshWire.datagramCapacity
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

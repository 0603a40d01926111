// Statistics counters (docs/protocol.md#statistics), always compiled in: one array of integers,
// bumped in the handlers. `*.recv_pkg/byte` count every datagram read (before validation),
// `recv_<type>` count messages that passed validation, send counters count attempts and the byte
// counters add the bytes sent (−1 for a failed send, as C adds the send result).

public struct Statistics: Equatable {
    /// In C's output order; `dhcpRecvInform` exists but is not printed (as in C).
    public enum Counter: Int, CaseIterable, Sendable {
        case mcastRecvPkg, mcastSendPkg, mcastRecvByte, mcastSendByte
        case mcastSendUpdateclaim, mcastRecvUpdateclaim, mcastSendInquire, mcastRecvInquire
        case directRecvPkg, directSendPkg, directRecvByte, directSendByte
        case directRecvRenewlease, directSendRenewlease, directRecvLeaseack, directSendLeaseack
        case directRecvLeasenak, directSendLeasenak, directRecvRelease, directSendRelease
        case dhcpRecvPkg, dhcpSendPkg, dhcpRecvByte, dhcpSendByte, dhcpRecvDiscover
        case dhcpSendOffer, dhcpRecvRequest, dhcpSendAck, dhcpSendNak, dhcpRecvRelease
        case dhcpRecvInform

        /// Counters printed by the text answer (all but recv_inform).
        public static let printedCount = 30

        /// The name C prints.
        public var name: StaticString {
            switch self {
            case .mcastRecvPkg: return "mcast.recv_pkg"
            case .mcastSendPkg: return "mcast.send_pkg"
            case .mcastRecvByte: return "mcast.recv_byte"
            case .mcastSendByte: return "mcast.send_byte"
            case .mcastSendUpdateclaim: return "mcast.send_updateclaim"
            case .mcastRecvUpdateclaim: return "mcast.recv_updateclaim"
            case .mcastSendInquire: return "mcast.send_inquire"
            case .mcastRecvInquire: return "mcast.recv_inquire"
            case .directRecvPkg: return "direct.recv_pkg"
            case .directSendPkg: return "direct.send_pkg"
            case .directRecvByte: return "direct.recv_byte"
            case .directSendByte: return "direct.send_byte"
            case .directRecvRenewlease: return "direct.recv_renewlease"
            case .directSendRenewlease: return "direct.send_renewlease"
            case .directRecvLeaseack: return "direct.recv_leaseack"
            case .directSendLeaseack: return "direct.send_leaseack"
            case .directRecvLeasenak: return "direct.recv_leasenak"
            case .directSendLeasenak: return "direct.send_leasenak"
            case .directRecvRelease: return "direct.recv_release"
            case .directSendRelease: return "direct.send_release"
            case .dhcpRecvPkg: return "dhcp.recv_pkg"
            case .dhcpSendPkg: return "dhcp.send_pkg"
            case .dhcpRecvByte: return "dhcp.recv_byte"
            case .dhcpSendByte: return "dhcp.send_byte"
            case .dhcpRecvDiscover: return "dhcp.recv_discover"
            case .dhcpSendOffer: return "dhcp.send_offer"
            case .dhcpRecvRequest: return "dhcp.recv_request"
            case .dhcpSendAck: return "dhcp.send_ack"
            case .dhcpSendNak: return "dhcp.send_nak"
            case .dhcpRecvRelease: return "dhcp.recv_release"
            case .dhcpRecvInform: return "dhcp.recv_inform"
            }
        }
    }

    static let counterCount = 31
    var values: [Int64] = Array(repeating: 0, count: Statistics.counterCount)

    public init() {}

    public subscript(_ c: Counter) -> Int64 { values[c.rawValue] }

    @inline(__always) mutating func add(_ c: Counter, _ amount: Int64 = 1) { values[c.rawValue] &+= amount }

    /// One send attempt of `length` bytes on a channel: packet counter +1, bytes + length or −1.
    @inline(__always) mutating func sent(_ pkg: Counter, _ byte: Counter, length: Int, ok: Bool) {
        add(pkg)
        add(byte, ok ? Int64(length) : -1)
    }

    public mutating func reset() {
        for i in 0..<values.count { values[i] = 0 }
    }
}

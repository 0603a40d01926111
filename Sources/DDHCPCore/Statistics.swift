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

        /// The names C prints, one a line in case order (one constant instead of a switch over
        /// the cases: smaller code).
        static let names: StaticString = """
            mcast.recv_pkg
            mcast.send_pkg
            mcast.recv_byte
            mcast.send_byte
            mcast.send_updateclaim
            mcast.recv_updateclaim
            mcast.send_inquire
            mcast.recv_inquire
            direct.recv_pkg
            direct.send_pkg
            direct.recv_byte
            direct.send_byte
            direct.recv_renewlease
            direct.send_renewlease
            direct.recv_leaseack
            direct.send_leaseack
            direct.recv_leasenak
            direct.send_leasenak
            direct.recv_release
            direct.send_release
            dhcp.recv_pkg
            dhcp.send_pkg
            dhcp.recv_byte
            dhcp.send_byte
            dhcp.recv_discover
            dhcp.send_offer
            dhcp.recv_request
            dhcp.send_ack
            dhcp.send_nak
            dhcp.recv_release
            dhcp.recv_inform
            """

        /// The name C prints: line `rawValue` of `names`.
        public var name: UnsafeRawBufferPointer {
            let all = UnsafeRawBufferPointer(start: Counter.names.utf8Start, count: Counter.names.utf8CodeUnitCount)
            var start = 0
            var line = 0
            for i in 0..<all.count where all[i] == 10 {
                if line == rawValue { return UnsafeRawBufferPointer(rebasing: all[start..<i]) }
                line += 1
                start = i + 1
            }
            return UnsafeRawBufferPointer(rebasing: all[start..<all.count])
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

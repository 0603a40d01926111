// Reading node-to-node messages from the outside (docs/protocol.md#messages), for the trace and for
// the LEASEACK ownership check. Independent of the core's codec on purpose.
@testable import DDHCPCore

struct SimMeshMessage {
    enum Kind: Equatable {
        case updateClaim([(block: UInt32, timeout: UInt16)])
        case inquire([UInt32])
        case renewLease, leaseAck, leaseNak
        case other(UInt8)

        static func == (l: Kind, r: Kind) -> Bool {
            switch (l, r) {
            case (.renewLease, .renewLease), (.leaseAck, .leaseAck), (.leaseNak, .leaseNak): true
            case let (.other(a), .other(b)): a == b
            case let (.inquire(a), .inquire(b)): a == b
            case let (.updateClaim(a), .updateClaim(b)):
                a.count == b.count && zip(a, b).allSatisfy { $0.block == $1.block && $0.timeout == $1.timeout }
            default: false
            }
        }
    }

    var nodeID: UInt64
    var kind: Kind
    /// Lease messages: the raw address bytes (byte order per docs/decisions.md D-02), xid, chaddr.
    var leaseAddressBytes: [UInt8] = []
    var xid: UInt32 = 0
    var chaddr: [UInt8] = []

    /// nil if the datagram does not have the exact length its command and count demand.
    static func decode(_ d: [UInt8]) -> SimMeshMessage? {
        guard d.count >= 16 else { return nil }
        var id: UInt64 = 0
        for i in 0..<8 { id = id << 8 | UInt64(d[i]) }
        let command = d[14], count = Int(d[15])
        switch command {
        case 1:
            guard d.count == 16 + 7 * count else { return nil }
            var entries: [(block: UInt32, timeout: UInt16)] = []
            for e in 0..<count {
                let o = 16 + 7 * e
                entries.append((simRead32(d, o), UInt16(d[o + 4]) << 8 | UInt16(d[o + 5])))
            }
            return SimMeshMessage(nodeID: id, kind: .updateClaim(entries))
        case 2:
            guard d.count == 16 + 4 * count else { return nil }
            return SimMeshMessage(nodeID: id, kind: .inquire((0..<count).map { simRead32(d, 16 + 4 * $0) }))
        case 16, 17, 18:
            guard d.count == 44 else { return nil }
            let kind: Kind = command == 16 ? .renewLease : command == 17 ? .leaseAck : .leaseNak
            return SimMeshMessage(
                nodeID: id, kind: kind, leaseAddressBytes: Array(d[16..<20]), xid: simRead32(d, 20),
                chaddr: Array(d[28..<44]))
        default:
            return SimMeshMessage(nodeID: id, kind: .other(command))
        }
    }

    /// Both readings of the RENEWLEASE address (D-02): network order and reversed.
    var leaseAddressCandidates: [IPv4Address] {
        guard leaseAddressBytes.count == 4 else { return [] }
        let b = leaseAddressBytes
        let be = IPv4Address(b[0], b[1], b[2], b[3])
        let le = IPv4Address(b[3], b[2], b[1], b[0])
        return be == le ? [be] : [be, le]
    }

    var summary: String {
        let id = simHex16(nodeID)
        switch kind {
        case .updateClaim(let e): return "UPDATECLAIM id=\(id) " + e.map { "\($0.block)/\($0.timeout)s" }.joined(separator: ",")
        case .inquire(let b): return "INQUIRE id=\(id) " + b.map { "\($0)" }.joined(separator: ",")
        case .renewLease, .leaseAck, .leaseNak:
            let name = kind == .renewLease ? "RENEWLEASE" : kind == .leaseAck ? "LEASEACK" : "LEASENAK"
            let addrs = leaseAddressCandidates.map(simDotted).joined(separator: "|")
            return "\(name) id=\(id) addr=\(addrs) xid=\(simHex8(xid)) mac=\(simMAC(chaddr))"
        case .other(let c): return "command \(c) id=\(id)"
        }
    }
}

func simHex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}

func simHex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}

func simMAC(_ chaddr: [UInt8]) -> String {
    chaddr.prefix(6).map { b in
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }.joined(separator: ":")
}

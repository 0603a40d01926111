// Merge by lease count, lease handoff, reserved ranges and static leases at the level of one
// node (docs/protocol.md#merge-by-lease-count, #handover, #reservations).
import Testing
@testable import DDHCPCore

@Suite struct MergeReservationsTests {
    /// One LEASED address in block `b` (10.0.0.4·b + 2) for `mac(9)`, confirmed at `now`.
    /// Returns the UPDATECLAIMs sent meanwhile (housekeeping runs after the packet).
    @discardableResult
    func leaseOne(_ node: Node, block b: Int, now: Millis) -> [[UInt8]] {
        var sink = RecordingSink()
        let a = IPv4Address(10, 0, 0, UInt8(4 * b + 2))
        node.dhcp(clientPacket(.request, chaddr: mac(9), requested: a), now: now, &sink)
        #expect(node.lease(a)?.state == .leased)
        return sink.multicasts.filter { $0[14] == 1 }
    }

    func spareBytes(_ datagram: [UInt8]) -> [UInt8] {
        let n = Int(datagram[15])
        return (0..<n).map { datagram[16 + 7 * $0 + 6] }
    }

    @Test func updateClaimCarriesOnePlusActiveLeases() {
        let node = makeNode()
        node.forceOwn(3, now: 0)
        let claims = leaseOne(node, block: 3, now: 0)
        #expect(claims.count == 1)
        #expect(claims.map(spareBytes) == [[2]])
        // C-wire mode sends C's 0.
        let c = makeNode { $0.cWire = true }
        c.forceOwn(3, now: 0)
        #expect(leaseOne(c, block: 3, now: 0).map(spareBytes) == [[0]])
    }

    func claim(_ id: NodeID, block: UInt32, spare: UInt8) -> [UInt8] {
        var m = MeshWire.updateClaim(nodeID: id, pool: testPool, claims: [(block, 60)])
        m[16 + 6] = spare
        return m
    }

    @Test func largerCountKeepsTheBlockAndTheLoserHandsItsLeasesOver() {
        let node = makeNode()
        node.forceOwn(3, now: 0)
        #expect(leaseOne(node, block: 3, now: 0).map(spareBytes) == [[2]])  // count 1 announced
        var sink = RecordingSink()
        // A larger id with no active lease (byte 1): we keep the block and say so at once.
        sink.clear()
        node.multicast(claim(largerID, block: 3, spare: 1), now: 2000, &sink)
        #expect(node.block(3).state == .ours)
        #expect(sink.multicasts.contains { $0[14] == 1 })
        // A C node (byte 0) with a larger id: C's rule, the block goes, nothing is handed over.
        sink.clear()
        node.multicast(claim(largerID, block: 3, spare: 0), from: peerB, now: 3000, &sink)
        #expect(node.block(3).state == .claimed)
        #expect(sink.unicasts.isEmpty)
        // Ours again; now a smaller id with more active leases (byte 5) takes it, and our lease
        // goes to it in a HANDOFF: block 3, one entry 10.0.0.14, mac(9).
        let other = makeNode()
        other.forceOwn(3, now: 0)
        leaseOne(other, block: 3, now: 0)
        sink.clear()
        other.multicast(claim(smallerID, block: 3, spare: 5), from: peerB, now: 2000, &sink)
        #expect(other.block(3).state == .claimed)
        let handoffs = sink.unicasts.filter { $0.0[14] == 0x30 }
        #expect(handoffs.count == 1 && handoffs[0].1 == peerB)
        let h = handoffs[0].0
        #expect(h.count == 28 + 24 && h[15] == 1 && h[19] == 3 && h[24] == 4)  // LAST page
        #expect(Array(h[28..<32]) == [10, 0, 0, 14])
        // Resent every second until acknowledged, at most 6 times.
        var resent = 0
        for t in stride(from: 3000, through: 12_000, by: 1000) {
            sink.clear()
            other.tick(now: Millis(t), sink: &sink)
            resent += sink.unicasts.filter { $0.0[14] == 0x30 }.count
        }
        #expect(resent == 5)
    }

    @Test func handoffIsEnteredAndAcknowledged() {
        let node = makeNode()
        node.forceOwn(3, now: 0)
        leaseOne(node, block: 3, now: 0)  // 10.0.0.14 is ours for mac(9)
        var m = [UInt8](repeating: 0, count: 28 + 2 * 24)
        m.withUnsafeMutableBytes { b in
            MeshWire.writeHeader(b, nodeID: largerID, pool: testPool, command: .updateClaim, count: 2)
            b[14] = 0x30
            Bytes.put32(b, 16, 3)
            Bytes.put32(b, 20, 77)
            b[24] = 4
            Bytes.put32(b, 28, IPv4Address(10, 0, 0, 13).value)
            Bytes.put32(b, 32, 30)
            Bytes.putHardware(b, 36, mac(7))
            Bytes.put32(b, 52, IPv4Address(10, 0, 0, 14).value)  // held by our client: stays ours
            Bytes.put32(b, 56, 30)
            Bytes.putHardware(b, 60, mac(8))
        }
        var sink = RecordingSink()
        node.unicast(m, from: peerB, now: 5000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 13))?.state == .leased)
        #expect(node.lease(IPv4Address(10, 0, 0, 13))?.chaddr == mac(7))
        #expect(node.lease(IPv4Address(10, 0, 0, 14))?.chaddr == mac(9))
        #expect(sink.unicasts.count == 1)
        let ack = sink.unicasts[0].0
        #expect(ack.count == 28 && ack[14] == 0x31 && ack[23] == 77 && ack[24] == 0 && ack[25] == 1)
        // A C-wire node drops it like C (unknown command).
        let c = makeNode { $0.cWire = true }
        sink.clear()
        c.unicast(m, from: peerB, now: 5000, &sink)
        #expect(sink.unicasts.isEmpty)
    }

    @Test func reservationTexts() throws {
        var r = Reservations()
        try withRaw(bytes("10.0.0.8-10.0.0.11")) { try r.addRange($0) }
        try withRaw(bytes("10.0.0.64/30")) { try r.addRange($0) }
        try withRaw(bytes("10.0.0.1")) { try r.addRange($0) }
        #expect(r.ranges == [IPv4Address(10, 0, 0, 8), IPv4Address(10, 0, 0, 11), IPv4Address(10, 0, 0, 64),
                             IPv4Address(10, 0, 0, 67), IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 1)].map(\.value))
        for bad in ["10.0.0.9-10.0.0.8", "10.0.0.65/30", "10.0.0/33", "x", "10.0.0.1-", ""] {
            #expect(throws: ConfigError.malformedReservation) { try withRaw(bytes(bad)) { try r.addRange($0) } }
        }
        try withRaw(bytes("0A:00:00:00:00:09,10.0.0.9")) { try r.addStaticLease($0) }
        #expect(r.staticAddress(for: mac(9)) == IPv4Address(10, 0, 0, 9))
        #expect(r.staticAddress(for: mac(8)) == nil)
        #expect(throws: ConfigError.duplicateStaticLease) {
            try withRaw(bytes("0a-00-00-00-00-09,10.0.0.10")) { try r.addStaticLease($0) }
        }
        #expect(throws: ConfigError.malformedStaticLease) { try withRaw(bytes("0a:00:00:09:00,10.0.0.10")) { try r.addStaticLease($0) } }
        try withRaw(bytes("0a:00:00:00:00:07,10.0.0.30")) { try r.addStaticLease($0) }
        #expect(throws: ConfigError.staticLeaseNotReserved) { try r.validate() }
    }

    @Test func reservedAddressesAndBlocks() throws {
        // Block 1 (10.0.0.4–7) wholly reserved, 10.0.0.9 reserved, mac(9) → 10.0.0.5 static.
        let node = makeNode(seed: 3) { c in
            withRaw(bytes("10.0.0.4-10.0.0.7")) { try! c.reservations.addRange($0) }
            withRaw(bytes("10.0.0.9")) { try! c.reservations.addRange($0) }
            withRaw(bytes("0a:00:00:00:00:09,10.0.0.5")) { try! c.reservations.addStaticLease($0) }
            c.prefixLength = 28  // 4 blocks
        }
        // The static client is served at once, before the node owns any block.
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, chaddr: mac(9)), now: 0, &sink)
        #expect(sink.dhcp.map(\.yiaddr) == [IPv4Address(10, 0, 0, 5)])
        sink.clear()
        node.dhcp(clientPacket(.request, chaddr: mac(9), requested: IPv4Address(10, 0, 0, 5)), now: 0, &sink)
        #expect(sink.dhcp.map(\.yiaddr) == [IPv4Address(10, 0, 0, 5)])
        #expect(sink.hooks == [.hook(.lease, IPv4Address(10, 0, 0, 5), mac(9))])
        // 10.0.0.9 is never offered; another client's
        // REQUEST for .9 or .5 is NAKed.
        var offered: [IPv4Address] = []
        var t: Millis = 0
        for k: UInt8 in 20..<30 {
            for _ in 0..<8 {  // clients retry until a block is claimed for them
                t += 7000
                sink.clear()
                node.tick(now: t, sink: &sink)
                node.dhcp(clientPacket(.discover, chaddr: mac(k)), now: t, &sink)
                guard let a = sink.dhcp.first?.yiaddr else { continue }
                offered.append(a)
                node.dhcp(clientPacket(.request, chaddr: mac(k), requested: a), now: t, &sink)
                break
            }
        }
        // Block 1 is never claimed although the clients want more than the other three hold.
        #expect(!node.blocks(in: .ours).contains(1) && node.blocks(in: .ours).count == 3)
        #expect(offered.count == 10)  // blocks 0, 2, 3 without the server id 10.0.0.1 and 10.0.0.9
        #expect(!offered.contains(IPv4Address(10, 0, 0, 9)) && !offered.contains(IPv4Address(10, 0, 0, 5)))
        for a in [IPv4Address(10, 0, 0, 9), IPv4Address(10, 0, 0, 5)] {
            sink.clear()
            node.dhcp(clientPacket(.request, chaddr: mac(40), requested: a), now: t, &sink)
            #expect(sink.dhcp.count == 1 && sink.dhcp[0].yiaddr == .zero)  // NAK
        }
    }
}

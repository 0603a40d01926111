import Testing
@testable import DDHCPCore

/// Inputs the libFuzzer targets (Tests/Fuzz/) found, reduced to the behaviour they showed.
@Suite struct FuzzRegressionTests {
    /// D-90: the node did not run for longer than its blocks' timeout (stopped, suspended); the
    /// first event after the pause is a DISCOVER. The own block is past its timeout (peers have
    /// forgotten the claim), so no address of it may be offered.
    @Test func noOfferFromAnOwnBlockPastItsTimeout() {
        let node = makeNode { $0.spareLeases = 1 }
        var sink = RecordingSink()
        node.forceOwn(2, now: 0)
        node.tick(now: 0, sink: &sink)
        #expect(node.block(2).state == .ours)
        let stale = node.block(2).timeout + 1000
        sink.clear()
        node.dhcp(clientPacket(.discover, xid: 9, chaddr: mac(9)), now: stale, &sink)
        for reply in sink.dhcp {
            #expect(node.lease(reply.yiaddr) != nil, "offered \(reply.yiaddr.value & 0xFF) from a block without a lease table")
            #expect((reply.yiaddr.value &- IPv4Address(10, 0, 0, 0).value) / 4 != 2)
        }
        #expect(node.block(2).state != .ours)
    }

    /// The same for a peer's RENEWLEASE after the pause: no LEASEACK for an address of the expired
    /// block.
    @Test func noLeaseAckFromAnOwnBlockPastItsTimeout() {
        let node = makeNode { $0.spareLeases = 1 }
        var sink = RecordingSink()
        node.forceOwn(2, now: 0)
        node.tick(now: 0, sink: &sink)
        let stale = node.block(2).timeout + 1000
        sink.clear()
        let payload = LeasePayload(address: IPv4Address(10, 0, 0, 9), littleEndian: false, xid: 5, chaddr: mac(5))
        MeshWire.leaseMessage(nodeID: largerID, pool: node.meshPool, command: .renewLease, payload: payload)
            .withUnsafeBytes { node.handleUnicast($0, from: peerA, now: stale, sink: &sink) }
        let answers = sink.unicasts.map { $0.0[14] }
        #expect(!answers.contains(MeshCommand.leaseAck.rawValue))
        #expect(answers == [MeshCommand.leaseNak.rawValue])
    }
}

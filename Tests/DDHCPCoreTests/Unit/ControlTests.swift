import Foundation
import Testing
@testable import DDHCPCore

/// Control protocol answers (docs/protocol.md#control-protocol, #block-table, #option-listing,
/// #statistics), byte-exact; decision ids are in docs/decisions.md.
@Suite struct ControlTests {
    let header = "block size/number\t4/64 \n" +
        "      tentative timeout\t15\n" +
        "      timeout\t60\n" +
        "      refresh factor\t4\n" +
        "      spare leases needed\t2\n" +
        "      network: 10.0.0.0/24 \n" +
        "node id\t1000000000000000\n" +
        "ddhcp blocks\n" +
        "index\tstate\towner\t\t\tclaim\tleases\ttimeout\n"

    @Test func blockTableAtStartListsEveryFreeBlock() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        let out = node.control([1], now: 0, &sink)
        var expected = header
        for i in 0..<64 { expected += "\(i)\t0\t0000000000000000\t0\t-\t60\n" }
        expected += "\nblocks in use: 64\n"
        #expect(out == expected)
        // C's README recipe relies on exactly 9 header lines.
        #expect(out.split(separator: "\n", omittingEmptySubsequences: false).count == 9 + 64 + 3)
    }

    @Test func blockTableRowsForOwnedClaimedAndExpiredBlocks() {
        // -L, spare 0: no claiming of our own; housekeeping runs at every control request due.
        let node = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        node.forceOwn(3, now: 0)
        for i in 0..<3 {
            node.table.leases[node.table.slabIndex(3, i)] = Lease(state: .leased, xid: 1, chaddr: mac(UInt8(i)), end: 1_000_000)
        }
        node.forceClaimed(7, by: NodeID(0xABCD_EF01_2345_6789), at: peerA, until: 89_500)
        _ = node.table.attachTable(7)
        node.table.leases[node.table.slabIndex(7, 0)] = Lease(state: .offered, xid: 1, chaddr: mac(9), end: 1_000_000)
        node.table.blocks[9].state = .tentative
        node.table.blocks[9].timeout = 75_000
        let head = header.replacingOccurrences(of: "spare leases needed\t2", with: "spare leases needed\t0")
        // Early: every initial FREE block still has time left (60 s from start).
        let early = node.control([1], now: 1000, &sink)
        #expect(early.hasPrefix(head))
        #expect(early.contains("\n2\t0\t0000000000000000\t0\t-\t59\n3\t4\t1000000000000000\t3\t0/3\t60\n4\t0\t"))
        #expect(early.hasSuffix("\nblocks in use: 64\n"))
        // At 60 s the initial FREE rows are gone (timeout − now = 0 is not shown); our block was
        // refreshed by the housekeeping that ran first.
        let out = node.control([1], now: 60_000, &sink)
        #expect(out == head +
            "3\t4\t1000000000000000\t3\t0/3\t60\n" +
            "7\t2\tABCDEF0123456789\t0\t1/0\t30\n" +
            "9\t1\t0000000000000000\t0\t-\t15\n" +
            "\nblocks in use: 3\n")
    }

    @Test func secondsLeftRoundUp() {
        #expect(Node.secondsLeft(60_000, now: 0) == 60)
        #expect(Node.secondsLeft(60_000, now: 500) == 60)
        #expect(Node.secondsLeft(60_000, now: 59_999) == 1)
        #expect(Node.secondsLeft(60_000, now: 60_000) == 0)
        #expect(Node.secondsLeft(60_000, now: 70_000) == 0)
    }

    @Test func optionListing() {
        let node = makeNode()
        var sink = RecordingSink()
        let out = node.control([2], now: 0, &sink)
        #expect(out == "DHCP Lease Time: 300\n\nDHCP Disabled: 0\nDHCP Option Store\ncode\tlen\tpayload\n" +
            "1\t4\t255\t255\t255\t0\t\n2\t4\t0\t0\t0\t0\t\n28\t4\t10\t0\t0\t255\t\n51\t4\t0\t0\t1\t44\t\n54\t4\t10\t0\t0\t1\t\n")
        let disabled = makeNode { $0.dhcpDisabled = true }
        #expect(disabled.control([2], now: 0, &sink).contains("DHCP Disabled: 1\n"))
    }

    @Test func setAndRemoveOptions() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        #expect(node.control([3, 3, 4, 10, 0, 0, 254], now: 0, &sink) == "")
        #expect(node.control([3, 0x0C, 0], now: 0, &sink) == "")  // empty option
        #expect(node.optionStore.payload(3) == [10, 0, 0, 254])
        #expect(node.optionStore.payload(12) == [])
        #expect(node.optionStore.codes == [1, 2, 28, 51, 54, 3, 12])
        // Replacing keeps the position; surplus bytes after LEN are ignored.
        #expect(node.control([3, 1, 4, 255, 255, 0, 0, 99], now: 0, &sink) == "")
        #expect(node.optionStore.payload(1) == [255, 255, 0, 0])
        #expect(node.optionStore.codes.first == 1)
        #expect(node.control([4, 51], now: 0, &sink) == "")
        #expect(node.leaseTime == 0)
        #expect(node.control([2], now: 0, &sink).hasPrefix("DHCP Lease Time: 0\n"))
        #expect(node.control([4, 200], now: 0, &sink) == "")  // absent: nothing happens
        // ddhcpdctl -l 0x258 → 600 s.
        let lease = Array("0x258".utf8).withUnsafeBytes { ControlRequest.leaseTime($0) }
        #expect(lease == [3, 51, 4, 0, 0, 2, 0x58])
        _ = node.control(lease, now: 0, &sink)
        #expect(node.leaseTime == 600)
        #expect(sink.effects.isEmpty)
    }

    @Test func setLogLevel() {
        let node = makeNode()
        var sink = RecordingSink()
        _ = node.control([5, 4], now: 0, &sink)
        #expect(node.runtimeLogLevel == .debug)
        _ = node.control([5, 0], now: 0, &sink)
        #expect(node.runtimeLogLevel == .fatal)
        _ = node.control([5, 200], now: 0, &sink)
        #expect(node.runtimeLogLevel == .debug)
        _ = node.control([5, 2, 9], now: 0, &sink)
        #expect(node.runtimeLogLevel == .warning)
    }

    @Test func malformedRequestsChangeNothing() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        let before = node.control([2], now: 0, &sink)
        let level = node.runtimeLogLevel
        for bad: [UInt8] in [[], [1, 0], [2, 2], [3], [3, 1], [3, 3, 4, 10, 0, 0], [3, 0, 0], [3, 255, 1, 1], [4], [5], [0x41, 1], [0x48, 0], [0x49, 0]] {
            sink.clear()
            #expect(node.control(bad, now: 0, &sink) == "")
            #expect(sink.logs == ["Malformed command on control socket."])
            #expect(sink.effects.isEmpty)
        }
        #expect(node.control([2], now: 0, &sink) == before)
        #expect(node.runtimeLogLevel == level)
        sink.clear()
        #expect(node.control([9], now: 0, &sink) == "")
        #expect(node.control([0x7F, 1, 2], now: 0, &sink) == "")
        #expect(sink.logs == ["Unknown command on control socket: 9", "Unknown command on control socket: 127"])
    }

    @Test func statisticsTextInCOrderAndReset() {
        let node = makeNode()
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)  // one INQUIRE (20 bytes)
        node.multicast(MeshWire.updateClaim(nodeID: NodeID(0xAB00_0000_0000_0001), pool: testPool, claims: [(60, 60)]), now: 1, &sink)
        node.dhcp(clientPacket(.discover), now: 2, &sink)
        let claimingBlock = Int(node.inquiryList[0])
        let out = node.control([7], now: 3, &sink)
        let names = ["mcast.recv_pkg", "mcast.send_pkg", "mcast.recv_byte", "mcast.send_byte",
                     "mcast.send_updateclaim", "mcast.recv_updateclaim", "mcast.send_inquire", "mcast.recv_inquire",
                     "direct.recv_pkg", "direct.send_pkg", "direct.recv_byte", "direct.send_byte",
                     "direct.recv_renewlease", "direct.send_renewlease", "direct.recv_leaseack", "direct.send_leaseack",
                     "direct.recv_leasenak", "direct.send_leasenak", "direct.recv_release", "direct.send_release",
                     "dhcp.recv_pkg", "dhcp.send_pkg", "dhcp.recv_byte", "dhcp.send_byte", "dhcp.recv_discover",
                     "dhcp.send_offer", "dhcp.recv_request", "dhcp.send_ack", "dhcp.send_nak", "dhcp.recv_release"]
        // The UPDATECLAIM at 1 ms runs housekeeping but no second INQUIRE round (rounds are
        // floor(T/2) s apart): one INQUIRE sent.
        let values: [String: Int] = ["mcast.recv_pkg": 1, "mcast.send_pkg": 1, "mcast.recv_byte": 23, "mcast.send_byte": 20,
                                     "mcast.send_inquire": 1, "mcast.recv_updateclaim": 1, "dhcp.recv_pkg": 1,
                                     "dhcp.recv_byte": clientPacket(.discover).count, "dhcp.recv_discover": 1]
        var expected = ""
        for n in names { expected += "\(n) \(values[n] ?? 0)\n" }
        for i in 0..<64 { expected += "block.\(i).owner \(i == 60 ? 171 : 0)\n" }
        let claimingCount = node.inquiryList.count
        expected += "ddhcp.blocks.free \(64 - 1 - claimingCount)\nddhcp.blocks.tentative \(claimingCount)\nddhcp.blocks.claimed 1\n"
        #expect(out == expected)
        #expect(node.block(claimingBlock).state == .claiming)
        // Reset happened after the answer.
        #expect(node.statistics == Statistics())
        #expect(node.control([6], now: 3, &sink).hasPrefix("mcast.recv_pkg 0\nmcast.send_pkg 0\n"))
    }

    private func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    @Test func blocksJSON() throws {
        let node = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        node.forceOwn(3, now: 0)
        node.table.leases[node.table.slabIndex(3, 1)] = Lease(state: .leased, xid: 1, chaddr: mac(1), end: 1_000_000)
        node.forceClaimed(7, by: NodeID(0xABCD_EF01_2345_6789), at: peerA, until: 89_500)
        let early = try json(node.control([0x41], now: 1000, &sink))
        #expect(early["node_id"] as? String == "1000000000000000")
        #expect(early["block_size"] as? Int == 4 && early["block_count"] as? Int == 64)
        #expect(early["network"] as? String == "10.0.0.0" && early["prefix_length"] as? Int == 24)
        #expect(early["learning"] as? Bool == false)
        #expect((early["blocks"] as? [Any])?.count == 64)
        let own = try #require((early["blocks"] as? [[String: Any]])?.first { $0["index"] as? Int == 3 })
        #expect(own["state"] as? String == "ours" && own["claim"] as? Int == 3 && own["timeout"] as? Int == 60)
        let leases = try #require(own["leases"] as? [String: Any])
        #expect(leases["free"] as? Int == 3 && leases["offered"] as? Int == 0 && leases["leased"] as? Int == 1)
        let o = try json(node.control([0x41], now: 60_000, &sink))
        let blocks = try #require(o["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["index"] as? Int } == [3, 7])
        #expect(blocks[1]["state"] as? String == "claimed")
        #expect(blocks[1]["owner"] as? String == "ABCDEF0123456789")  // full id (D-30)
        #expect(blocks[1]["timeout"] as? Int == 30)
        #expect(blocks[1]["leases"] is NSNull)
        let learning = try json(makeNode { $0.learningPhase = true }.control([0x41], now: 0, &sink))
        #expect(learning["learning"] as? Bool == true)
    }

    @Test func leasesJSON() throws {
        let node = makeNode()
        var sink = RecordingSink()
        node.forceOwn(2, now: 0)
        node.dhcp(clientPacket(.request, xid: 0x42, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 1000, &sink)
        let o = try json(node.control([0x49], now: 2000, &sink))
        let leases = try #require(o["leases"] as? [[String: Any]])
        #expect(leases.count == 1)
        #expect(leases[0]["address"] as? String == "10.0.0.9")
        #expect(leases[0]["state"] as? String == "leased")
        #expect(leases[0]["mac"] as? String == "0A:00:00:00:00:01")
        #expect(leases[0]["chaddr"] as? String == "0A0000000001" + String(repeating: "0", count: 20))
        #expect(leases[0]["xid"] as? Int == 0x42)
        #expect(leases[0]["expires_in"] as? Int == 309)
        #expect(leases[0]["own_block"] as? Bool == true)
        #expect(leases[0]["block"] as? Int == 2)
        let empty = try json(makeNode().control([0x49], now: 0, &sink))
        #expect((empty["leases"] as? [Any])?.isEmpty == true)
    }

    @Test func leaseListingText() {
        let node = makeNode()
        var sink = RecordingSink()
        node.forceOwn(2, now: 0)
        node.forceClaimed(5, by: largerID, at: peerB, until: 1_000_000)
        node.dhcp(clientPacket(.request, xid: 0x42, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 1000, &sink)
        node.dhcp(clientPacket(.discover, xid: 0x43, chaddr: mac(2)), now: 1000, &sink)
        node.dhcp(clientPacket(.request, xid: 0x44, chaddr: mac(3), requested: IPv4Address(10, 0, 0, 22)), now: 1000, &sink)
        #expect(node.control([0x48], now: 2000, &sink) ==
            "address\tstate\tmac\tblock\towner\texpires\n" +
            "10.0.0.8\toffered\t0A:00:00:00:00:02\t2\t1000000000000000\t11\n" +
            "10.0.0.9\tleased\t0A:00:00:00:00:01\t2\t1000000000000000\t309\n" +
            "10.0.0.22\toffered\t0A:00:00:00:00:03\t5\tFF00000000000001\t309\n" +
            "\nleases: 3\n")
        #expect(makeNode().control([0x48], now: 0, &sink) == "address\tstate\tmac\tblock\towner\texpires\n\nleases: 0\n")
    }

    @Test func statisticsJSONWithFullIdsAndReset() throws {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.forceClaimed(7, by: NodeID(0xABCD_EF01_2345_6789), at: peerA, until: 89_500)
        node.dhcp(clientPacket(.inform, ciaddr: IPv4Address(10, 0, 0, 5)), now: 0, &sink)
        let o = try json(node.control([0x47], now: 0, &sink))
        #expect(o["dhcp.recv_inform"] as? Int == 1)
        #expect(o["dhcp.send_ack"] as? Int == 1)
        #expect(o["ddhcp.blocks.claimed"] as? Int == 1 && o["ddhcp.blocks.free"] as? Int == 63)
        let owners = try #require(o["block_owners"] as? [String])
        #expect(owners.count == 64 && owners[7] == "ABCDEF0123456789" && owners[0] == "0000000000000000")
        #expect(node.statistics == Statistics())
        let again = try json(node.control([0x46], now: 0, &sink))
        #expect(again["dhcp.send_ack"] as? Int == 0)
    }

    @Test func controlRequestEncoders() throws {
        func raw(_ s: String, _ f: (UnsafeRawBufferPointer) -> [UInt8]) -> [UInt8] { Array(s.utf8).withUnsafeBytes(f) }
        #expect(raw("3") { ControlRequest.removeOption($0) } == [4, 3])
        #expect(raw("4") { ControlRequest.logLevel($0) } == [5, 4])
        #expect(ControlRequest.simple(.showBlocks) == [1])
        let set = Array("6:4:10.0.0.53".utf8).withUnsafeBytes { p -> [UInt8]? in try? ControlRequest.setOption(p) }
        #expect(set == [3, 6, 4, 10, 0, 0, 53])
    }
}

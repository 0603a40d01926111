// Table request/answer (docs/fast-join.md#messages): paging of a large table, the conservative
// merge, and the fall-back when nobody answers.
import Testing
@testable import DDHCPCore

@Suite struct FastJoinTests {
    /// 1,024 blocks of 4 (10.0.0.0/20 with -b 2), gluon timers, learning phase on.
    func largeConfiguration(_ c: inout Configuration) {
        c.prefixLength = 20
        c.blockTimeout = 300
        c.tentativeTimeout = 15
        c.learningPhase = true
    }

    @Test func aFullTableOf1024BlocksIsPagedIntoSingleDatagrams() {
        // The answerer: every block claimed by some node, learning over.
        let answerer = makeNode { c in largeConfiguration(&c); c.learningPhase = false; c.nodeID = largerID }
        for b in 0..<1024 { answerer.forceClaimed(b, by: NodeID(UInt64(b) + 0x77), at: peerB, until: 200_000) }
        let joiner = makeNode(now: 100_000) { c in largeConfiguration(&c) }
        #expect(joiner.isLearning)
        var js = RecordingSink()
        joiner.start(now: 100_000, sink: &js)
        var toAnswerer = js.multicasts.filter { $0[14] == TableWire.request }
        #expect(toAnswerer.count == 1)
        var pages = 0
        var now: Millis = 100_000
        while let request = toAnswerer.popLast(), pages < 100 {
            var asink = RecordingSink()
            answerer.unicast(request, from: peerA, now: now, &asink)
            let answers = asink.unicasts
            #expect(answers.count == 1)
            guard let (page, to) = answers.first else { break }
            #expect(to == peerA)
            #expect(page.count <= 1452, "page of \(page.count) bytes does not fit a 1500-byte link")
            pages += 1
            now += 5
            js.clear()
            joiner.unicast(page, from: peerB, now: now, &js)
            toAnswerer = js.unicasts.map(\.0).filter { $0[14] == TableWire.request }
        }
        #expect(pages == (1024 + TableWire.entriesPerPage - 1) / TableWire.entriesPerPage)
        #expect(!joiner.isLearning, "a complete answer ends the learning phase")
        #expect(joiner.blocks(in: .claimed).count == 1024)
        #expect(joiner.block(1000).owner == NodeID(1000 + 0x77))
        #expect(joiner.block(1000).ownerAddress == peerB)
        #expect(joiner.block(1000).timeout > now + 99_000 && joiner.block(1000).timeout <= now + 100_000)
    }

    @Test func theAnswerNeverLowersWhatTheJoinerHeardItself() {
        let answerer = makeNode { c in c.nodeID = largerID }
        answerer.forceOwn(3, now: 0)
        let joiner = makeNode(now: 1000) { c in c.learningPhase = true; c.nodeID = smallerID }
        var s = RecordingSink()
        joiner.start(now: 1000, sink: &s)
        // Someone inquires block 5 before the answer comes: the answer shows it FREE.
        joiner.multicast(MeshWire.inquire(nodeID: NodeID(9), pool: testPool, blocks: [5]), from: peerB, now: 1001, &s)
        var a = RecordingSink()
        answerer.unicast(TableWire.requestMessage(nodeID: smallerID, pool: testPool, first: 0), from: peerA, now: 1002, &a)
        s.clear()
        joiner.unicast(a.unicasts[0].0, from: peerB, now: 1003, &s)
        #expect(!joiner.isLearning)
        #expect(joiner.block(5).state != .free, "block 5 was being inquired")
        #expect(joiner.block(3).state == .claimed && joiner.block(3).owner == largerID)
        // The first claim starts at once, and never with blocks 3 or 5.
        #expect(!joiner.inquiryList.isEmpty && !joiner.inquiryList.contains(3) && !joiner.inquiryList.contains(5))
    }

    @Test func aLearningNodeDoesNotAnswer() {
        let asker = makeNode { c in c.learningPhase = true }
        var s = RecordingSink()
        asker.unicast(TableWire.requestMessage(nodeID: smallerID, pool: testPool, first: 0), from: peerA, now: 10, &s)
        #expect(s.unicasts.isEmpty)
    }

    @Test func withoutAnswersTheLearningPhaseRunsOn() {
        let joiner = makeNode { c in c.learningPhase = true }
        var s = RecordingSink()
        joiner.start(now: 0, sink: &s)
        joiner.run(until: 10_000, &s)
        let requests = s.multicasts.filter { $0[14] == TableWire.request }.count
        #expect(requests == FastJoin.maximumRequests)
        #expect(joiner.isLearning)
        joiner.run(until: 60_001, &s)
        #expect(!joiner.isLearning)
    }

    @Test func aRequestFloodGetsABoundedNumberOfPages() {
        let node = makeNode()
        var s = RecordingSink()
        let request = TableWire.requestMessage(nodeID: smallerID, pool: testPool, first: 0)
        for k in 0..<200 { node.unicast(request, from: peerA, now: 5_000 + Millis(k), &s) }
        #expect(s.unicasts.count == FastJoin.pagesPerSecond)
        s.clear()
        node.unicast(request, from: peerA, now: 6_001, &s)
        #expect(s.unicasts.count == 1, "the next second answers again")
    }

    @Test func malformedTableMessagesAreDropped() {
        let node = makeNode()
        var s = RecordingSink()
        var bad = TableWire.requestMessage(nodeID: smallerID, pool: testPool, first: 0)
        bad.append(0)
        node.unicast(bad, now: 1, &s)
        var answer = [UInt8](repeating: 0, count: TableWire.answerHeaderSize + 3)  // length mismatch
        answer[14] = TableWire.answer
        node.unicast(answer, now: 2, &s)
        #expect(s.unicasts.isEmpty)
        #expect(node.blocks(in: .claimed).isEmpty)
    }

    @Test func ourOwnOldBlockIsTakenBackWithItsAddressesHeld() {
        // After a reboot (no state image) the mesh still lists block 7 as ours.
        let peer = makeNode { c in c.nodeID = largerID }
        peer.forceClaimed(7, by: ourID, at: peerA, until: 250_000)
        let node = makeNode(now: 100_000) { c in c.learningPhase = true }
        var s = RecordingSink()
        node.start(now: 100_000, sink: &s)
        var a = RecordingSink()
        peer.unicast(TableWire.requestMessage(nodeID: ourID, pool: testPool, first: 0), from: peerA, now: 100_001, &a)
        node.unicast(a.unicasts[0].0, from: peerB, now: 100_002, &s)
        #expect(node.block(7).state == .ours)
        let address = IPv4Address(10, 0, 0, 7 * 4 + 1)
        #expect(node.lease(address)?.state == .declined, "no new client may get it for a lease time")
        // The client that held it renews (REQUEST with ciaddr): acknowledged.
        s.clear()
        node.dhcp(clientPacket(.request, xid: 9, chaddr: mac(1), ciaddr: address), now: 100_100, &s)
        #expect(s.dhcp.count == 1 && s.dhcp[0].yiaddr == address)
        #expect(node.lease(address)?.state == .leased)
    }
}

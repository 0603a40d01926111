import Testing
@testable import DDHCPCore

/// Every transition of docs/protocol.md#transitions, with the decisions of docs/decisions.md
/// (D-04, D-05, D-15, D-17).
@Suite struct BlockStateMachineTests {
    // MARK: Claim procedure and timing

    @Test func claimTimelineWithoutLearningPhase() throws {
        let node = makeNode()
        node.runtimeLogLevel = .info
        var sink = RecordingSink()
        #expect(node.nextWakeup == 0)  // -L: first housekeeping at start
        node.start(now: 0, sink: &sink)
        #expect(sink.hooks == [.hook(.endLearning, .zero, .zero)])
        sink.clear()

        node.tick(now: 0, sink: &sink)
        #expect(node.nextWakeup == 7000)  // floor(15/2) s
        let claimed = try #require(node.inquiryList.first)
        #expect(node.inquiryList.count == 1)
        #expect(sink.multicasts.count == 1)
        // INQUIRE bytes: our id, pool header, command 2, count 1, block index.
        let b = claimed
        #expect(sink.multicasts[0] == hex("1000000000000000 0a000000 18 04 02 01") +
                [UInt8(b >> 24), UInt8((b >> 16) & 0xFF), UInt8((b >> 8) & 0xFF), UInt8(b & 0xFF)])
        var info = node.block(Int(b))
        #expect(info.state == .claiming && info.claimCounter == 1 && info.timeout == 15_000)

        sink.clear()
        node.tick(now: 7000, sink: &sink)
        #expect(sink.multicasts.map { decodeSent($0)! } == [Sent(id: ourID, command: 2, blocks: [b], timeouts: [])])
        #expect(node.block(Int(b)).claimCounter == 2)
        #expect(node.block(Int(b)).timeout == 22_000)  // D-04: refreshed per INQUIRE

        sink.clear()
        node.tick(now: 14_000, sink: &sink)
        #expect(sink.multicasts.count == 1)
        #expect(node.block(Int(b)).claimCounter == 3)

        // Fourth run: owned and announced at once (D-05).
        sink.clear()
        node.tick(now: 21_000, sink: &sink)
        #expect(sink.multicasts.map { decodeSent($0)! } == [Sent(id: ourID, command: 1, blocks: [b], timeouts: [60])])
        info = node.block(Int(b))
        #expect(info.state == .ours && info.owner == ourID && info.claimCounter == 3 && info.hasLeaseTable)
        #expect(info.timeout == 81_000)
        #expect(node.inquiryList.isEmpty)
        #expect(sink.logs.contains("block \(b) claimed after 3 claims"))

        // Refresh once more than floor(B/4) s passed: threshold now + 45 s.
        sink.clear()
        node.tick(now: 28_000, sink: &sink)
        node.tick(now: 35_000, sink: &sink)
        #expect(sink.multicasts.isEmpty)
        node.tick(now: 42_000, sink: &sink)
        #expect(sink.multicasts.map { decodeSent($0)! } == [Sent(id: ourID, command: 1, blocks: [b], timeouts: [60])])
        #expect(node.block(Int(b)).timeout == 102_000)
    }

    @Test func learningPhaseDelaysHousekeeping() {
        let node = makeNode { $0.learningPhase = true; $0.fastJoin = false }  // C's learning phase (fast join: FastJoinTests)
        var sink = RecordingSink()
        node.start(now: 0, sink: &sink)
        #expect(sink.effects.isEmpty)
        #expect(node.nextWakeup == 60_000)
        #expect(node.isLearning)
        node.tick(now: 59_999, sink: &sink)
        // A valid multicast is processed, but no housekeeping runs while learning.
        node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [3]), now: 30_000, &sink)
        #expect(sink.effects.isEmpty)
        #expect(node.block(3).state == .tentative)
        node.tick(now: 60_000, sink: &sink)
        #expect(!node.isLearning)
        #expect(sink.hooks == [.hook(.endLearning, .zero, .zero)])
        #expect(sink.multicasts.count == 1 && decodeSent(sink.multicasts[0])!.command == 2)
        #expect(node.nextWakeup == 67_000)
    }

    @Test func housekeepingSpacingIsHalfTRoundedDown() {
        for (t, spacing) in [(2, 1000), (3, 1000), (15, 7000), (20, 10_000)] as [(UInt16, Millis)] {
            let node = makeNode { $0.tentativeTimeout = t }
            var sink = RecordingSink()
            node.tick(now: 500, sink: &sink)
            #expect(node.nextWakeup == 500 + spacing)
            node.tick(now: 500 + spacing - 1, sink: &sink)  // not due: nothing changes
            #expect(node.nextWakeup == 500 + spacing)
        }
    }

    @Test func validMulticastTriggersHousekeepingGarbageDoesNot() {
        let node = makeNode()
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        sink.clear()
        // Garbage and foreign pools: dropped, no housekeeping.
        node.multicast([1, 2, 3], now: 100, &sink)
        node.multicast(MeshWire.inquire(nodeID: largerID, pool: MeshPool(prefix: IPv4Address(10, 1, 0, 0), prefixLength: 24, blockSize: 4), blocks: [1]), now: 100, &sink)
        #expect(sink.multicasts.isEmpty)
        // A valid one runs housekeeping (D-14), but the next INQUIRE round waits until
        // floor(T/2) s after the last one, so traffic cannot rush a claim past competitors.
        node.multicast(MeshWire.updateClaim(nodeID: largerID, pool: testPool, claims: []), now: 200, &sink)
        #expect(sink.multicasts.isEmpty)
        #expect(node.block(Int(node.inquiryList[0])).claimCounter == 1)
        // Once a round is due, a valid multicast drives it without waiting for the timer.
        node.multicast(MeshWire.updateClaim(nodeID: largerID, pool: testPool, claims: []), now: 7000, &sink)
        #expect(sink.multicasts.count == 1)
        #expect(node.block(Int(node.inquiryList[0])).claimCounter == 2)
    }

    @Test func trafficCannotRushTheClaimRounds() throws {
        // D-14: a multicast every 50 ms still gives one INQUIRE per round, and the block is
        // owned only a round after the third INQUIRE (T = 15: rounds 7 s apart; the rounds
        // fall at 0, 7001 and 14001, so ownership at 21001).
        let node = makeNode()
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        let b = Int(try #require(node.inquiryList.first))
        for t in stride(from: Millis(1), through: 20_999, by: 50) {
            node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [UInt32((b + 1) % 64)]), now: t, &sink)
        }
        #expect(node.block(b).claimCounter == 3)
        #expect(node.block(b).state == .claiming)
        #expect(sink.multicasts.compactMap { decodeSent($0) }.filter { $0.command == 2 }.count == 3)
        node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [UInt32((b + 1) % 64)]), now: 21_000, &sink)
        #expect(node.block(b).state == .claiming)
        node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [UInt32((b + 1) % 64)]), now: 21_001, &sink)
        #expect(node.block(b).state == .ours)
    }

    @Test func ownsOnlyIfStillClaiming() throws {
        // D-04: counter 3 but meanwhile TENTATIVE (a larger id inquired) → not owned.
        let node = makeNode()
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        node.tick(now: 7000, sink: &sink)
        node.tick(now: 14_000, sink: &sink)
        let b = Int(try #require(node.inquiryList.first))
        #expect(node.block(b).claimCounter == 3)
        node.table.blocks[b].state = .tentative
        node.table.blocks[b].timeout = 100_000
        sink.clear()
        node.tick(now: 21_000, sink: &sink)
        #expect(node.block(b).state == .tentative)
        #expect(!node.inquiryList.contains(UInt32(b)))
        // need is still 1: a different block is selected and inquired instead.
        #expect(node.inquiryList.count == 1)
        let sent = decodeSent(sink.multicasts[0])!
        #expect(sent.command == 2 && sent.blocks != [UInt32(b)])
    }

    @Test func lostClaimIsRemovedFromTheList() throws {
        let node = makeNode()
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        let b = Int(try #require(node.inquiryList.first))
        // Someone announces it: CLAIMED; the next claim step drops it and picks another.
        node.multicast(MeshWire.updateClaim(nodeID: smallerID, pool: testPool, claims: [(UInt32(b), 60)]), now: 1000, &sink)
        #expect(node.block(b).state == .claimed)
        #expect(!node.inquiryList.contains(UInt32(b)))
        #expect(node.inquiryList.count == 1)
    }

    @Test func claimingExpiresWhenInquiriesFail() throws {
        let node = makeNode()
        var sink = RecordingSink()
        sink.failSends = true
        node.tick(now: 0, sink: &sink)
        let b = Int(try #require(node.inquiryList.first))
        #expect(node.block(b).claimCounter == 0)  // send failed: not counted
        #expect(node.block(b).timeout == 15_000)
        node.tick(now: 15_001, sink: &sink)
        // Expired to FREE in step 1, dropped by the claim step, and a block (chosen at random
        // again, maybe the same one) is selected anew with counter 0.
        let c = Int(try #require(node.inquiryList.first))
        #expect(node.inquiryList.count == 1)
        #expect(node.block(c).state == .claiming && node.block(c).claimCounter == 0 && node.block(c).timeout == 30_001)
        if c != b { #expect(node.block(b).state == .free) }
        #expect(node.statistics[.mcastSendInquire] == 2)
        #expect(node.statistics[.mcastSendPkg] == 2)
        #expect(node.statistics[.mcastSendByte] == -2)
    }

    // MARK: UPDATECLAIM (docs/protocol.md#transitions rows 1–3)

    @Test func claimFromSmallerIdForOurBlockIsAnsweredAtOnce() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.forceOwn(5, now: 0)
        node.announceOwnBlocks(now: 0, sink: &sink)
        sink.clear()
        node.multicast(MeshWire.updateClaim(nodeID: smallerID, pool: testPool, claims: [(5, 60)]), now: 1000, &sink)
        #expect(node.block(5).state == .ours && node.block(5).owner == ourID)
        #expect(sink.multicasts.map { decodeSent($0)! } == [Sent(id: ourID, command: 1, blocks: [5], timeouts: [60])])
        #expect(node.block(5).timeout == 61_000)
    }

    @Test func claimFromLargerOrEqualIdTakesOurBlock() {
        for id in [largerID, ourID] {
            let node = makeNode { $0.learningPhase = true }
            var sink = RecordingSink()
            node.forceOwn(5, now: 0)
            node.multicast(MeshWire.updateClaim(nodeID: id, pool: testPool, claims: [(5, 45)]), from: peerB, now: 2000, &sink)
            let info = node.block(5)
            #expect(info.state == .claimed && info.owner == id && info.ownerAddress == peerB)
            #expect(info.timeout == 47_000)
            #expect(info.hasLeaseTable)  // D-13: kept
            #expect(sink.multicasts.isEmpty)
        }
    }

    @Test func claimOverridesEveryOtherState() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.table.blocks[1].state = .tentative
        node.forceClaimed(2, by: largerID, at: peerA, until: 5000)
        node.table.blocks[3].state = .claiming
        node.inquiryList.append(3)
        node.table.blocks[4].state = .blocked
        node.multicast(MeshWire.updateClaim(nodeID: smallerID, pool: testPool, claims: [(0, 60), (1, 60), (2, 30), (3, 60), (4, 60)]),
                       from: peerB, now: 1000, &sink)
        for b in 0...4 {
            #expect(node.block(b).state == .claimed)
            #expect(node.block(b).owner == smallerID)  // no id comparison
            #expect(node.block(b).ownerAddress == peerB)
        }
        #expect(node.block(2).timeout == 31_000)
        #expect(node.block(0).timeout == 61_000)
        #expect(sink.multicasts.isEmpty)
    }

    @Test func entriesOutsideThePoolAreSkippedOthersApplied() {
        let node = makeNode { $0.learningPhase = true }
        node.runtimeLogLevel = .warning
        var sink = RecordingSink()
        node.multicast(MeshWire.updateClaim(nodeID: smallerID, pool: testPool, claims: [(64, 60), (7, 60), (0xFFFF_FFFF, 60)]), now: 0, &sink)
        #expect(node.block(7).state == .claimed)
        #expect(sink.logs == ["Ignoring claim for block 64 outside the pool", "Ignoring claim for block 4294967295 outside the pool"])
        sink.clear()
        node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [100, 9]), now: 0, &sink)
        #expect(node.block(9).state == .tentative)
        #expect(sink.logs == ["Ignoring inquiry for block 100 outside the pool"])
    }

    @Test func claimsOnTheUnicastSocketAreIgnored() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.unicast(MeshWire.updateClaim(nodeID: smallerID, pool: testPool, claims: [(7, 60)]), now: 0, &sink)
        node.unicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [8]), now: 0, &sink)
        #expect(node.block(7).state == .free && node.block(8).state == .free)
        #expect(sink.effects.isEmpty)
    }

    // MARK: INQUIRE (docs/protocol.md#transitions rows 4–8)

    @Test func inquiryForOurBlocksIsAnsweredWithOneUpdateClaim() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.forceOwn(5, now: 0)
        node.forceOwn(9, now: 0)
        node.announceOwnBlocks(now: 0, sink: &sink)
        sink.clear()
        node.multicast(MeshWire.inquire(nodeID: largerID, pool: testPool, blocks: [5, 9]), now: 3000, &sink)
        #expect(node.block(5).state == .ours && node.block(9).state == .ours)
        #expect(sink.multicasts.map { decodeSent($0)! } == [Sent(id: ourID, command: 1, blocks: [5, 9], timeouts: [60, 60])])
    }

    @Test func inquiryFromLargerIdMakesOurClaimTentative() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.table.blocks[3].state = .claiming
        node.table.blocks[3].timeout = 15_000
        node.inquiryList.append(3)
        node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [3]), now: 1000, &sink)
        #expect(node.block(3).state == .claiming && node.block(3).timeout == 15_000)
        node.multicast(MeshWire.inquire(nodeID: ourID, pool: testPool, blocks: [3]), now: 1000, &sink)
        #expect(node.block(3).state == .claiming)  // equal ids: we keep inquiring
        node.multicast(MeshWire.inquire(nodeID: largerID, pool: testPool, blocks: [3]), now: 2000, &sink)
        #expect(node.block(3).state == .tentative && node.block(3).timeout == 17_000)
        #expect(sink.effects.isEmpty)
    }

    @Test func inquiryMakesFreeAndTentativeBlocksTentativeButLeavesClaimedAlone() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.table.blocks[1].state = .tentative
        node.table.blocks[1].timeout = 3000
        node.forceClaimed(2, by: largerID, at: peerA, until: 50_000)
        node.table.blocks[4].state = .blocked
        node.multicast(MeshWire.inquire(nodeID: smallerID, pool: testPool, blocks: [0, 1, 2, 4]), now: 2000, &sink)
        #expect(node.block(0).state == .tentative && node.block(0).timeout == 17_000)
        #expect(node.block(1).state == .tentative && node.block(1).timeout == 17_000)
        #expect(node.block(2) == BlockInfo(state: .claimed, owner: largerID, ownerAddress: peerA, claimCounter: 0,
                                           timeout: 50_000, hasLeaseTable: false, needless: false))  // D-17
        #expect(node.block(4).state == .tentative)
        #expect(node.block(0).owner == .zero)
    }

    // MARK: Expiry (docs/protocol.md#transitions, #expiry)

    @Test func expiredBlocksBecomeFreeKeepingTheOwnerAddress() {
        let node = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        node.forceClaimed(2, by: largerID, at: peerA, until: 10_000)
        node.table.blocks[3].state = .tentative
        node.table.blocks[3].timeout = 10_000
        node.tick(now: 10_000, sink: &sink)  // timeout < now is strict
        #expect(node.block(2).state == .claimed && node.block(3).state == .tentative)
        node.tick(now: 17_000, sink: &sink)
        #expect(node.block(2).state == .free && node.block(2).owner == .zero)
        #expect(node.block(2).ownerAddress == peerA)  // D-33
        #expect(node.block(3).state == .free)
    }

    @Test func ownBlockExpiresWhenAnnouncementsFail() {
        let node = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        sink.failSends = true
        node.forceOwn(5, now: 0)  // timeout 60 s, announcement pending
        node.tick(now: 0, sink: &sink)
        #expect(node.block(5).state == .ours)
        #expect(sink.multicasts.count == 1)  // attempted
        node.tick(now: 60_001, sink: &sink)
        #expect(node.block(5).state == .free && !node.block(5).hasLeaseTable)
        #expect(node.freeLeaseTables == 64)
    }

    @Test func foreignBlockReleasesItsEmptyLeaseTableButKeepsItsState() {
        // D-15 decision.
        let node = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        node.forceClaimed(6, by: largerID, at: peerA, until: 1_000_000)
        _ = node.table.attachTable(6)
        let s = node.table.slabIndex(6, 1)
        node.table.leases[s] = Lease(state: .offered, xid: 1, chaddr: mac(1), end: 20_000)
        node.tick(now: 10_000, sink: &sink)
        #expect(node.block(6).hasLeaseTable)
        node.tick(now: 20_001, sink: &sink)
        #expect(!node.block(6).hasLeaseTable)
        #expect(node.block(6).state == .claimed && node.block(6).owner == largerID)
    }

    @Test func expiredLeasesOfOurBlocksBecomeFree() {
        let node = makeNode()
        var sink = RecordingSink()
        node.forceOwn(6, now: 0)
        let s = node.table.slabIndex(6, 2)
        node.table.leases[s] = Lease(state: .leased, xid: 9, chaddr: mac(2), end: 5000)
        node.tick(now: 5000, sink: &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 26))?.state == .leased)
        node.tick(now: 12_000, sink: &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 26)) == LeaseInfo(state: .free, xid: 0, chaddr: .zero, end: 0))
    }

    // MARK: Spare-driven claiming and dropping (docs/protocol.md#how-many-blocks, #needless-blocks)

    @Test func claimsAnotherBlockWhenSpareLeasesRunLow() {
        let node = makeNode()
        var sink = RecordingSink()
        node.forceOwn(8, now: 0)
        node.tick(now: 0, sink: &sink)
        #expect(node.inquiryList.isEmpty)  // 4 free ≥ 2
        for i in 0..<3 {
            node.table.leases[node.table.slabIndex(8, i)] = Lease(state: .leased, xid: 1, chaddr: mac(UInt8(i)), end: 1_000_000)
        }
        #expect(node.spareLeases == 1)
        sink.clear()
        node.tick(now: 7000, sink: &sink)
        #expect(node.inquiryList.count == 1)
        #expect(decodeSent(sink.multicasts[0])!.command == 2)
    }

    @Test func spareTargetNeedsSeveralBlocks() {
        let node = makeNode { $0.spareLeases = 9 }  // ceil(9/4) = 3 blocks
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        #expect(node.inquiryList.count == 3)
        #expect(decodeSent(sink.multicasts[0])!.blocks == node.inquiryList)
    }

    @Test func serverIdentifierAddressIsNotASpareLease() {
        let node = makeNode()
        node.forceOwn(0, now: 0)  // 10.0.0.0–3 holds the default server id 10.0.0.1
        #expect(node.spareLeases == 3)
    }

    @Test func needlessBlockIsMarkedThenDroppedSilently() {
        let node = makeNode { $0.needlessTimeout = 20 }
        var sink = RecordingSink()
        node.forceOwn(8, now: 0)
        node.forceOwn(9, now: 1000)  // younger
        node.tick(now: 1000, sink: &sink)  // spare 8 − 2 = 6 surplus ≥ S → need −1
        #expect(node.block(9).needless && !node.block(8).needless)
        node.tick(now: 8000, sink: &sink)
        #expect(node.block(9).state == .ours)
        sink.clear()
        node.tick(now: 22_000, sink: &sink)  // needless_since ≤ now − 20 s
        #expect(node.block(9).state == .free && !node.block(9).hasLeaseTable)
        #expect(node.block(8).state == .ours)
        #expect(sink.multicasts.allSatisfy { decodeSent($0)!.blocks == [8] })  // nothing about 9
    }

    @Test func needlessMarksAreClearedWhenNoLongerSurplus() {
        let node = makeNode { $0.needlessTimeout = 20 }
        var sink = RecordingSink()
        node.forceOwn(8, now: 0)
        node.forceOwn(9, now: 1000)
        node.tick(now: 1000, sink: &sink)
        #expect(node.block(9).needless)
        for i in 0..<3 {
            node.table.leases[node.table.slabIndex(8, i)] = Lease(state: .leased, xid: 1, chaddr: mac(UInt8(i)), end: 1_000_000)
        }
        node.tick(now: 8000, sink: &sink)  // spare 5 − 2 = 3 < S → need 0
        #expect(!node.block(9).needless)
        node.tick(now: 30_000, sink: &sink)
        #expect(node.block(9).state == .ours)
    }

    // MARK: Announcing (docs/protocol.md#announcing)

    @Test func refreshPacksAtMost32BlocksPerUpdateClaim() {
        let node = makeNode { $0.spareLeases = 0; $0.learningPhase = true }
        var sink = RecordingSink()
        for b in 0..<40 { node.forceOwn(b, now: 0) }
        node.announceOwnBlocks(now: 0, sink: &sink)
        let sent = sink.multicasts.map { decodeSent($0)! }
        #expect(sent.count == 2)
        #expect(sent[0].blocks == (0..<32).map { UInt32($0) })
        #expect(sent[1].blocks == (32..<40).map { UInt32($0) })
        #expect(sent.allSatisfy { $0.timeouts.allSatisfy { $0 == 60 } })
        #expect(sink.multicasts[0].count == 16 + 7 * 32)
        // Only the group holding a stale block is sent again.
        sink.clear()
        node.table.blocks[35].timeout = 10_000
        node.announceOwnBlocks(now: 5000, sink: &sink)
        #expect(sink.multicasts.map { decodeSent($0)!.blocks } == [(32..<40).map { UInt32($0) }])
        #expect(node.block(35).timeout == 65_000 && node.block(0).timeout == 60_000)
    }

    @Test func noUpdateClaimWithoutOwnedBlocks() {
        let node = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        node.tick(now: 7000, sink: &sink)
        #expect(sink.multicasts.isEmpty)
    }

    // MARK: Limits

    @Test func noFreeBlocksLeft() {
        let node = makeNode()
        node.runtimeLogLevel = .warning
        var sink = RecordingSink()
        for b in 0..<64 { node.forceClaimed(b, by: largerID, at: peerA, until: 1_000_000) }
        node.tick(now: 0, sink: &sink)
        #expect(sink.logs == ["Network has no free blocks left!"])
        #expect(sink.multicasts.isEmpty)
    }

    @Test func claimingStopsWhenLeaseTablesRunOut() {
        let node = makeNode()
        node.runtimeLogLevel = .warning
        var sink = RecordingSink()
        node.table.freeSlots.removeAll()
        node.tick(now: 0, sink: &sink)
        #expect(node.inquiryList.isEmpty && sink.multicasts.isEmpty)
        #expect(sink.logs == ["Lease tables exhausted: not claiming more blocks"])
    }

    @Test func leaseSlabSizeIsBounded() throws {
        // min(N, 65536 / S) tables: /8 with S = 128 → 131072 blocks but 512 tables.
        let node = try Node(configuration: testConfiguration { $0.prefixLength = 8; $0.blockSizeExponent = 7 }, randomSeed: 1, now: 0)
        #expect(node.blockCount == 131_072)
        #expect(node.freeLeaseTables == 512)
        #expect(makeNode().freeLeaseTables == 64)
    }
}

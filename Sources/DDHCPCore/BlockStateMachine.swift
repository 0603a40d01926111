// The block state machine (docs/protocol.md#block-state-machine, #allocation) — the one place
// where block states change.
//
// Decisions beyond C (docs/decisions.md):
//  D-04 a block is owned after 3 INQUIREs only if it is still CLAIMING; each INQUIRE sent
//       refreshes the CLAIMING timeout (now + T) so the claim survives C's timing.
//  D-05 a newly owned block is announced at once (announcePending), whatever its timeout.
//  D-15 a foreign block whose lease table empties keeps its state; only the table is released.
//  D-17 an INQUIRE for a block CLAIMED by a third node leaves it CLAIMED.
//  D-37 the immediate UPDATECLAIM that answers an INQUIRE or a smaller id's claim for our
//       blocks is sent once per received message (C sends one per entry).
//  D-27 free addresses that can never be offered (our server identifier) do not count as
//       spare leases.
//  D-14 INQUIRE rounds (and the ownership step after the third) are at least floor(T/2) s
//       apart, C's idle cadence, although housekeeping still runs after every multicast.
//       Rounds driven by other nodes' traffic would otherwise finish within milliseconds,
//       before a competing claimer's INQUIRE arrives, and both would own the block.
//  D-39 demand-aware need: clients recently left without an offer raise the spare target,
//       within the bounds explained in ClientDemand.swift.
//  D-100 unconfirmed offers count as spare; D-101 every surplus block is dropped after one
//       needless timeout (FloodPolicy.swift, docs/protocol.md#needless-blocks).

extension Node {
    // MARK: Receiving UPDATECLAIM / INQUIRE

    /// Validates and applies one multicast datagram. Returns true if it was a valid message of
    /// our pool.
    func receiveBlockMessage<S: ActionSink>(
        _ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S
    ) -> Bool {
        let message: MeshMessage
        do throws(MeshDecodeError) {
            message = try MeshWire.decode(datagram, pool: pool)
        } catch {
            logDropped(error, &sink)
            return false
        }
        var announce = false
        switch message.command {
        case .updateClaim:
            statistics.add(.mcastRecvUpdateclaim)
            announce = receiveUpdateClaim(message, from: peer, now: now, sink: &sink)
        case .inquire:
            statistics.add(.mcastRecvInquire)
            announce = applyInquiries(message, now: now, sink: &sink)
        case .renewLease, .leaseAck, .leaseNak:
            break  // valid lease messages on the multicast socket are ignored (protocol.md#receiving)
        }
        if announce { announceOwnBlocks(now: now, sink: &sink) }
        return true
    }

    func logDropped<S: ActionSink>(_ error: MeshDecodeError, _ sink: inout S) {
        switch error {
        case .tooShort(let length):
            log(.warning, &sink) { $0.append("Dropping short packet ("); $0.append(length); $0.append(" bytes)") }
        case .unknownCommand(let command):
            log(.warning, &sink) { $0.append("Dropping packet with unknown command "); $0.append(Int(command)) }
        case .lengthMismatch(let expected, let actual):
            log(.warning, &sink) {
                $0.append("Dropping packet of length ")
                $0.append(actual)
                $0.append(", expected ")
                $0.append(expected)
            }
        case .foreignPool:
            log(.debug, &sink) { $0.append("Dropping foreign packet") }
        }
    }

    /// UPDATECLAIM entries (docs/protocol.md#transitions). Returns true if one of our blocks must
    /// be re-announced.
    func receiveUpdateClaim<S: ActionSink>(_ m: MeshMessage, from peer: PeerAddress, now: Millis, sink: inout S) -> Bool {
        var announce = false
        for e in 0..<m.entryCount {
            let (index, ttl) = m.claimEntry(e)
            guard index < UInt32(table.count) else {
                log(.warning, &sink) { $0.append("Ignoring claim for block "); $0.append(unsigned: UInt64(index)); $0.append(" outside the pool") }
                continue
            }
            let i = Int(index)
            log(.debug, &sink) {
                $0.append("node 0x")
                $0.append(hex: m.nodeID.value, digits: 16)
                $0.append(" claims block ")
                $0.append(i)
                $0.append(" with TTL ")
                $0.append(Int(ttl))
            }
            let spare = m.claimSpare(e)
            var handOff = false
            if table.blocks[i].state == .ours {
                if !peerTakesBlock(i, peer: m.nodeID, spare: spare) {
                    // The claimer loses (C: a smaller id; D-80: fewer active leases): we keep
                    // the block and say so at once.
                    table.blocks[i].announcePending = true
                    announce = true
                    continue
                }
                log(.info, &sink) {
                    $0.append("Block ")
                    $0.append(i)
                    $0.append(" lost to node 0x")
                    $0.append(hex: m.nodeID.value, digits: 16)
                }
                // Our lease table stays (D-13): renewals get forwarded to the new owner, and a
                // node that counts gets our leases of the block (D-81).
                handOff = spare != 0 && !configuration.cWire && table.hasTable(i)
            }
            var block = table.blocks[i]  // one write: each one updates the table's bookkeeping
            block.advertised = spare
            block.state = .claimed
            block.owner = m.nodeID
            block.ownerAddress = peer
            block.timeout = now + Millis(ttl) * 1000
            block.needlessMarked = false
            block.announcePending = false
            table.blocks[i] = block
            if handOff { startHandoff(i, to: peer, id: m.nodeID, transfer: false, now: now, sink: &sink) }
        }
        return announce
    }

    /// INQUIRE entries (docs/protocol.md#transitions). Returns true if one of our blocks must be
    /// re-announced.
    func applyInquiries<S: ActionSink>(_ m: MeshMessage, now: Millis, sink: inout S) -> Bool {
        var announce = false
        for e in 0..<m.entryCount {
            let index = m.inquireEntry(e)
            guard index < UInt32(table.count) else {
                log(.warning, &sink) { $0.append("Ignoring inquiry for block "); $0.append(unsigned: UInt64(index)); $0.append(" outside the pool") }
                continue
            }
            let i = Int(index)
            log(.debug, &sink) {
                $0.append("node 0x")
                $0.append(hex: m.nodeID.value, digits: 16)
                $0.append(" inquires block ")
                $0.append(i)
            }
            switch table.blocks[i].state {
            case .ours:
                table.blocks[i].announcePending = true
                announce = true
            case .claiming:
                if m.nodeID > configuration.nodeID {
                    // The larger id continues; we back off.
                    makeTentative(i, until: now + tentativeTimeoutMs)
                }
            case .claimed:
                break  // D-17: the owner's claim stands
            case .free, .tentative, .blocked:
                makeTentative(i, until: now + tentativeTimeoutMs)
            }
        }
        return announce
    }

    // MARK: Housekeeping (docs/protocol.md#housekeeping)

    func housekeeping<S: ActionSink>(now: Millis, sink: inout S) {
        // D-200: the incremental counts match a full recount (debug builds, every 16th time).
        assert(incrementalCountsChecked(), "block table counts differ from a recount")
        expireBlocksAndLeases(now: now, sink: &sink)
        let (spare, offered) = countSpareLeases()
        // D-100: unconfirmed offers can be recycled, so they count as spare.
        let deficit = spareTarget + demandLeases(now: now) - spare - offered
        let blockSize = table.blockSize
        // C's integer division and remainder: a negative deficit never rounds up.
        let need = deficit / blockSize + (deficit % blockSize > 0 ? 1 : 0)
        if need < 0 {
            dropNeedlessBlocks(surplus: -need, now: now, sink: &sink)  // D-101
        } else {
            if needlessMarksExist {
                // Only the marked ones are written (unmarked entries' pages stay untouched, D-222).
                for i in 0..<table.count where table.blocks[i].needlessMarked { table.blocks[i].needlessMarked = false }
                needlessMarksExist = false
            }
            if need > 0 && now >= join.claimHoldUntil {
                claim(need: need, now: now, sink: &sink)
                requestBlock(now: now, sink: &sink)  // D-85: a peer with a spare block may hand one over
            }
        }
        announceOwnBlocks(now: now, sink: &sink)
        requests.expire(now: now)
        persistIfDue(now: now, sink: &sink)
    }

    /// Step 1: blocks whose timeout passed become FREE; leases whose end passed become FREE;
    /// a foreign block's table is released once it is empty (D-15: the block keeps its state).
    ///
    /// D-200: the same steps in the same block order as a scan of the whole table, but blocks
    /// are visited only while one of their steps can do something: every block once a block
    /// timeout may have passed (the table's expiry bound), every block with a lease table once a
    /// lease end may have passed, else only foreign blocks with a table (whose release needs no
    /// deadline). Each full visit sets the bound it passed to the exact earliest deadline again.
    func expireBlocksAndLeases<S: ActionSink>(now: Millis, sink: inout S) {
        let blocksDue = table.blocks.expiryBound < now
        let leasesDue = table.leases.expiryBound < now
        if blocksDue { table.blocks.expiryBound = .max }  // visits and writes lower it again
        if leasesDue { table.leases.expiryBound = .max }
        var i = blocksDue ? 0 : leasesDue ? table.blocks.nextWithTable(from: 0) : table.blocks.nextForeignTable(from: 0)
        while i < table.count {
            // One read of the block and the bound kept here: this runs for every block of the
            // table whenever the bound passes (the array's noteExpiry costs retains per block).
            let block = table.blocks[i]
            if blocksDue && BlockIndex.expires(block.state) {
                if block.timeout < now {
                    if block.state == .ours {
                        log(.warning, &sink) { $0.append("Own block "); $0.append(i); $0.append(" FREE through timeout") }
                    } else {
                        log(.info, &sink) { $0.append("Block "); $0.append(i); $0.append(" FREE through timeout") }
                    }
                    makeFree(i)
                } else if block.timeout < table.blocks.expiryBound {
                    table.blocks.expiryBound = block.timeout
                }
            }
            if table.hasTable(i) {
                if leasesDue { expireLeases(i, now: now, sink: &sink) }
                if table.blocks[i].state != .ours && table.allFree(i) {
                    table.releaseTable(i)
                }
            }
            i = blocksDue ? i + 1 : leasesDue ? table.blocks.nextWithTable(from: i + 1) : table.blocks.nextForeignTable(from: i + 1)
        }
    }

    func expireLeases<S: ActionSink>(_ block: Int, now: Millis, sink: inout S) {
        let base = table.slabIndex(block, 0)
        for i in 0..<table.blockSize {
            let l = table.leases[base + i]
            if l.state != .free && l.end < now {
                log(.debug, &sink) { $0.append("Lease "); $0.append(table.address(block: block, lease: i)); $0.append(" expired") }
                leaseEnded(block: block, lease: i, sink: &sink)
                table.leases[base + i] = Lease()
            } else {
                table.leases.noteExpiry(base + i)
            }
        }
    }

    /// Debug builds: every 16th call recounts the block table and compares (D-200).
    func incrementalCountsChecked() -> Bool {
        countsCheckRuns &+= 1
        return countsCheckRuns & 15 != 0 || table.countsMatch()
    }

    /// A block becomes FREE: owner id zeroed (owner address kept, D-33), lease table released,
    /// needless mark cleared. The claim counter is kept (C does not reset it either).
    func makeFree(_ block: Int) {
        if table.blocks[block].state == .ours && table.hasTable(block) && table.leaseCounts(block).leased > 0 {
            ownLeasesVersion &+= 1  // its leases leave the lease file
        }
        // One read and one write of the entry (each field write would be a write of its own).
        var updated = table.blocks[block]
        updated.state = .free
        updated.owner = .zero
        updated.needlessMarked = false
        updated.announcePending = false
        table.blocks[block] = updated
        table.releaseTable(block)
    }

    /// A block becomes CLAIMED by node `owner` at `address` until `timeout`, unmarked and not
    /// to be announced.
    func makeClaimed(_ block: Int, by owner: NodeID, at address: PeerAddress, until timeout: Millis) {
        var updated = table.blocks[block]
        updated.state = .claimed
        updated.owner = owner
        updated.ownerAddress = address
        updated.timeout = timeout
        updated.needlessMarked = false
        updated.announcePending = false
        table.blocks[block] = updated
    }

    /// A block becomes TENTATIVE (an INQUIRE for it was seen) until `timeout`.
    func makeTentative(_ block: Int, until timeout: Millis) {
        var updated = table.blocks[block]
        updated.state = .tentative
        updated.timeout = timeout
        table.blocks[block] = updated
    }

    /// FREE leases of OURS blocks that could be offered (the server identifier never is, D-27),
    /// and OFFERED leases of OURS blocks (offers no REQUEST confirmed yet).
    func countSpareLeases() -> (spare: Int, offered: Int) {
        let serverID = optionStore.serverIdentifier
        var spare = 0
        var offered = 0
        // D-200: per-table counts; only blocks with reserved addresses are read lease by lease.
        let serverLocation = serverID.flatMap { table.location(of: $0) }
        forEachOursBlock { block in
            guard table.hasTable(block) else { return true }
            let base = table.slabIndex(block, 0)
            if !table.blocks[block].partlyReserved {
                spare += table.leases.freeCount(table: base)
                offered += table.leases.offeredCount(table: base)
                if let (serverBlock, serverLease) = serverLocation, serverBlock == block, table.leases[base + serverLease].state == .free { spare -= 1 }
                return true
            }
            for i in 0..<table.blockSize {
                switch table.leases[base + i].state {
                case .free:
                    if let s = serverID, table.address(block: block, lease: i) == s { continue }
                    if table.blocks[block].partlyReserved && configuration.reservations.contains(table.address(block: block, lease: i)) {
                        continue  // D-83: reserved addresses are never offered
                    }
                    spare += 1
                case .offered: offered += 1
                case .leased, .declined: break
                }
            }
            return true
        }
        return (spare, offered)
    }

    /// Leases added to the spare target for waiting clients: their number, at most
    /// `demandBlocksPerRound` blocks and a quarter of the FREE blocks. (Unconfirmed offers are
    /// not subtracted here: they count as spare, D-100.)
    func demandLeases(now: Millis) -> Int {
        let waiting = demand.waiting(now: now, window: demandWindowMs)
        guard waiting > 0 else { return 0 }
        let blocks = min(Node.demandBlocksPerRound, table.blocks.freeCount / 4)
        return min(waiting, blocks * table.blockSize)
    }

    // MARK: Claiming (docs/protocol.md#claiming)

    func claim<S: ActionSink>(need: Int, now: Millis, sink: inout S) {
        var need = need
        let roundDue = now >= nextInquiryRound  // D-14: see the header
        // 1. Walk the claiming list: own blocks inquired three times, drop lost ones.
        var i = 0
        while i < inquiryList.count {
            let block = Int(inquiryList[i])
            let entry = table.blocks[block]
            if entry.claimCounter >= 3 {
                if entry.state == .claiming && !roundDue {
                    i += 1  // peers get a full round to object to our third INQUIRE
                    continue
                }
                if entry.state == .claiming {  // D-04: only if nobody interfered
                    if table.attachTable(block) {
                        own(block, now: now, sink: &sink)
                        join.fastRoundsUntil = .min  // D-71: fast rounds for the first claim only
                        need -= 1
                    } else {
                        table.blocks[block].claimCounter = 0
                        log(.warning, &sink) { $0.append("No lease table left for block "); $0.append(block) }
                    }
                }
                inquiryList.remove(at: i)
            } else if entry.state != .claiming {
                inquiryList.remove(at: i)
            } else {
                i += 1
            }
        }
        // 2. Select more FREE blocks, at random, while lease tables remain for them.
        if need > inquiryList.count {
            var extra = min(need, inquiryListCapacity) - inquiryList.count
            // Every block on the list will need a lease table once owned.
            let tablesLeft = table.freeSlotCount - inquiryList.count
            if extra > tablesLeft {
                log(.warning, &sink) { $0.append("Lease tables exhausted: not claiming more blocks") }
                extra = max(0, tablesLeft)
            }
            while extra > 0 {
                guard let block = randomFreeBlock() else {
                    log(.warning, &sink) { $0.append("Network has no free blocks left!") }
                    break
                }
                var updated = table.blocks[block]
                updated.state = .claiming
                updated.claimCounter = 0
                updated.timeout = now + tentativeTimeoutMs
                table.blocks[block] = updated
                inquiryList.append(UInt32(block))
                assert(inquiryList.count <= inquiryListCapacity, "the INQUIRE count is one byte")
                extra -= 1
            }
        }
        // 3. One INQUIRE listing every block on the list, once per round.
        guard !inquiryList.isEmpty, roundDue else { return }
        MeshWire.writeHeader(meshOut, nodeID: configuration.nodeID, pool: pool, command: .inquire,
                             count: UInt8(truncatingIfNeeded: inquiryList.count))
        for (k, block) in inquiryList.enumerated() { MeshWire.writeInquireEntry(meshOut, k, block: block) }
        let length = MeshWire.headerSize + MeshWire.inquireEntrySize * inquiryList.count
        let ok = sink.sendMulticast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]))
        statistics.add(.mcastSendInquire)
        statistics.sent(.mcastSendPkg, .mcastSendByte, length: length, ok: ok)
        guard ok else { return }
        nextInquiryRound = now + roundSpacing(now)  // D-71: faster right after a fast join
        for listed in inquiryList {
            let block = Int(listed)
            var updated = table.blocks[block]
            updated.claimCounter &+= 1
            updated.timeout = now + tentativeTimeoutMs  // D-04: keep the claim alive
            table.blocks[block] = updated
        }
    }

    /// Uniformly random among FREE blocks (docs/protocol.md#choosing-a-block); nil if there is
    /// none.
    func randomFreeBlock() -> Int? {
        let free = table.blocks.claimableCount  // D-200: kept by the block array
        guard free > 0 else { return nil }
        let block = table.blocks.claimableBlock(Int(random.next(below: UInt64(free))))
        return block < table.count ? block : nil
    }

    /// Ownership (docs/protocol.md#transitions, "claim step, counter 3"); the caller attached
    /// the lease table.
    func own<S: ActionSink>(_ block: Int, now: Millis, sink: inout S) {
        assert(table.hasTable(block), "an owned block always has a lease table")
        var updated = table.blocks[block]
        updated.state = .ours
        updated.owner = configuration.nodeID
        updated.firstClaimed = now
        updated.needlessMarked = false
        updated.timeout = now + blockTimeoutMs
        updated.announcePending = true  // D-05
        table.blocks[block] = updated
        log(.info, &sink) { $0.append("block "); $0.append(block); $0.append(" claimed after 3 claims") }
    }

    /// Calls `body` with each OURS block in index order (D-200: the block array's OURS set, not
    /// a scan of the table) until it returns false. Reads the table afresh for every step, so
    /// `body` may change it.
    @inline(__always)
    func forEachOursBlock(_ body: (Int) -> Bool) {
        var i = table.blocks.nextOurs(from: 0)
        while i < table.count && body(i) { i = table.blocks.nextOurs(from: i + 1) }
    }

    /// The youngest (latest `firstClaimed`) OURS block whose addresses are all FREE and for
    /// which `eligible` holds; -1 if there is none. What a node can give away or drop (D-85, D-101).
    @inline(__always)
    func youngestEmptyOursBlock(where eligible: (Int) -> Bool) -> Int {
        var youngest = -1
        forEachOursBlock { i in
            if eligible(i) && table.allFree(i)
                && (youngest < 0 || table.blocks[i].firstClaimed > table.blocks[youngest].firstClaimed) { youngest = i }
            return true
        }
        return youngest
    }

    // MARK: Announcing (docs/protocol.md#announcing)

    /// Multicasts UPDATECLAIMs for our blocks in groups of 32 (index order); a group is sent if
    /// one of its blocks is due for refresh (timeout < now + B − floor(B/4)) or pending.
    func announceOwnBlocks<S: ActionSink>(now: Millis, sink: inout S) {
        let timeoutSeconds = Millis(configuration.blockTimeout)  // B
        let threshold = now + (timeoutSeconds - timeoutSeconds / 4) * 1000
        var any = false
        forEachOursBlock { i in
            any = table.blocks[i].timeout < threshold || table.blocks[i].announcePending
            return !any
        }
        guard any else { return }
        var k = 0
        var groupDue = false
        forEachOursBlock { i in
            MeshWire.writeClaimEntry(meshOut, k, block: UInt32(i), timeout: configuration.blockTimeout)
            meshOut[MeshWire.claimEntryOffset(k) + MeshWire.ClaimEntry.spare] = claimSpareByte(i, now: now)  // D-80
            if table.blocks[i].timeout < threshold || table.blocks[i].announcePending { groupDue = true }
            k += 1
            if k == MeshWire.maximumClaimsPerMessage {
                if groupDue { sendClaimGroup(count: k, now: now, sink: &sink) }
                k = 0
                groupDue = false
            }
            return true
        }
        if k > 0 && groupDue { sendClaimGroup(count: k, now: now, sink: &sink) }
    }

    /// Sends the `count` entries already written to meshOut; on success they are refreshed.
    func sendClaimGroup<S: ActionSink>(count: Int, now: Millis, sink: inout S) {
        MeshWire.writeHeader(meshOut, nodeID: configuration.nodeID, pool: pool, command: .updateClaim,
                             count: UInt8(count))
        let length = MeshWire.headerSize + MeshWire.claimEntrySize * count
        let ok = sink.sendMulticast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]))
        statistics.add(.mcastSendUpdateclaim)
        statistics.sent(.mcastSendPkg, .mcastSendByte, length: length, ok: ok)
        guard ok else { return }
        let written = UnsafeRawBufferPointer(meshOut)
        for k in 0..<count {
            let entry = MeshWire.claimEntryOffset(k)
            let i = Int(Bytes.u32(written, entry + MeshWire.ClaimEntry.block))
            var updated = table.blocks[i]
            updated.timeout = now + blockTimeoutMs
            updated.announcePending = false
            updated.advertised = written[entry + MeshWire.ClaimEntry.spare]
            table.blocks[i] = updated
        }
    }
}

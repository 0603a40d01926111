// Flood policy (docs/decisions.md D-100, D-101; docs/protocol.md#flood-policy): what keeps a node
// serving real clients while a DISCOVER flood from random MACs (clients that never REQUEST)
// hits it, and what brings its block count back afterwards.
//
//  D-100 Unconfirmed offers do not hold addresses against new clients. A DISCOVER that finds no
//        FREE lease takes over the oldest offer of our oldest block that has one (never a
//        LEASED lease), and a SELECTING REQUEST (our server identifier) for an address that is
//        only OFFERED to another client is acknowledged: a client that completes DORA is served
//        even when the flood took its offer over in the meantime. Offers count as spare leases
//        when housekeeping computes `need`, so a flood no longer claims a block per claim cycle
//        (C's rule: every offer used up a FREE lease). The work per DISCOVER stays one pass
//        over our lease tables; nothing is kept per flooding MAC.
//  D-101 After a flood or a burst, every whole surplus block is released after one needless
//        timeout, not one block per needless timeout: the `surplus` youngest empty OURS blocks
//        are marked together (at most `marksPerHousekeeping` new marks per housekeeping, so one
//        housekeeping stays O(marks × N)), and each is dropped once marked for `-n` s.

extension Node {
    /// New needless marks per housekeeping (D-101).
    static let marksPerHousekeeping = 32

    /// The oldest offer (earliest end) of the oldest OURS block (earliest `firstClaimed`) that
    /// has an OFFERED lease; nil if there is none. The oldest block, as for FREE addresses
    /// (docs/protocol.md#choosing-an-address): real clients then gather in the old blocks and
    /// the young ones empty once a flood's offers expire (D-101).
    func oldestOffer() -> (block: Int, lease: Int)? {
        var best = -1
        var bestLease = -1
        for block in 0..<table.count where table.blocks[block].state == .ours && table.hasTable(block) {
            if best >= 0 && table.blocks[block].firstClaimed >= table.blocks[best].firstClaimed { continue }
            let base = table.slabIndex(block, 0)
            var pick = -1
            for i in 0..<table.blockSize where table.leases[base + i].state == .offered {
                if pick < 0 || table.leases[base + i].end < table.leases[base + pick].end { pick = i }
            }
            if pick >= 0 {
                best = block
                bestLease = pick
            }
        }
        return best >= 0 ? (best, bestLease) : nil
    }

    /// D-100: a DISCOVER from `chaddr` found no FREE lease; take over the oldest offer. Returns
    /// the lease, or nil if every address of our blocks is LEASED (or declined).
    func recycleOffer<S: ActionSink>(for chaddr: HardwareAddress, now: Millis, sink: inout S) -> (block: Int, lease: Int)? {
        guard let (block, i) = oldestOffer() else { return nil }
        let s = table.slabIndex(block, i)
        log(.debug, &sink) {
            $0.append("Offer of ")
            $0.append(table.address(block: block, lease: i))
            $0.append(" to ")
            $0.append(mac: table.leases[s].chaddr)
            $0.append(" recycled")
        }
        table.leases[s] = Lease()
        // It was handed out already, so the state image covers it as maybe given (D-75): no
        // new image is needed before it is offered again.
        table.leases[s].provisional = true
        return (block, i)
    }

    /// D-101: needless handling with `surplus` (≥ 1) whole blocks more than the target needs.
    /// Dropping any `surplus` empty blocks keeps the spare target: each held at most S spare
    /// leases.
    func dropNeedlessBlocks<S: ActionSink>(surplus: Int, now: Millis, sink: inout S) {
        // Marked blocks that are no longer empty lose their mark (an OFFER clears it too).
        // (needlessMarksExist is false only when no block is marked; after this loop only OURS
        // blocks are, so the loops below visit OURS blocks only.)
        var marked = 0
        for i in 0..<(needlessMarksExist ? table.count : 0) where table.blocks[i].needlessMarked {
            if table.blocks[i].state == .ours && table.allFree(i) {
                marked += 1
            } else {
                table.blocks[i].needlessMarked = false
            }
        }
        // Mark the youngest unmarked empty blocks until `surplus` are marked.
        var newMarks = 0
        while marked < surplus && newMarks < Node.marksPerHousekeeping {
            let youngest = youngestEmptyOursBlock { !table.blocks[$0].needlessMarked }
            guard youngest >= 0 else { break }
            var entry = table.blocks[youngest]
            entry.needlessMarked = true
            entry.needlessSince = now
            table.blocks[youngest] = entry
            // D-195: the next image lists none of its addresses as maybe given (a grant from it
            // writes the image first, D-75), so a restart restores it all FREE, still marked.
            let base = table.slabIndex(youngest, 0)
            for k in 0..<table.blockSize { table.leases.base[base + k].provisional = false }
            needlessMarksExist = true
            marked += 1
            newMarks += 1
        }
        // Drop those marked for -n seconds, at most `surplus`.
        var dropped = 0
        if needlessMarksExist {
            forEachOursBlock { i in
                guard table.blocks[i].needlessMarked && table.blocks[i].needlessSince <= now - needlessTimeoutMs else { return true }
                log(.info, &sink) { $0.append("Dropping needless block "); $0.append(i) }
                makeFree(i)  // nothing is sent; peers let it expire
                noteDroppedBlock(i, at: now, now: now)  // D-192: a restart must not take it back
                dropped += 1
                return dropped < surplus
            }
        }
        if dropped > 0 {
            needlessMarksExist = false
            for i in 0..<table.count where table.blocks[i].needlessMarked {
                needlessMarksExist = true
                break
            }
        }
    }
}

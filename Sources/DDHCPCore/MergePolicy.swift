// Merge by lease count (docs/protocol.md#merge-by-lease-count, docs/decisions.md D-80, D-81).
//
// When two of our nodes own the same block (a healed partition), the one whose block holds
// more active leases keeps it; the node id breaks ties, as in C. The count travels in the
// UPDATECLAIM entry's seventh byte, which C sends as 0 and never reads: our nodes send
// 1 + min(count, 254), so 0 always means "no count" (a C node, or a node in test C-wire mode)
// and toward such a node C's rule (the larger id keeps the block) stays — a C node applies
// that rule itself, so both sides of every pair decide alike.
//
// Each side compares the count it last *sent* for the block with the count the peer sent, so
// two nodes whose messages cross compare the same pair of numbers and agree on the winner.
// The loser hands its leases of the block to the winner (Handover.swift, message 0x30), so
// the winner never leases them to someone else and the loser's clients renew through the
// winner without a NAK.

extension Node {
    /// Active leases of `block`: LEASED entries confirmed within the last half lease time
    /// (their end lies at least LT/2 + slack ahead), i.e. clients that renew on schedule.
    func activeLeaseCount(_ block: Int, now: Millis) -> Int {
        guard table.hasTable(block) else { return 0 }
        let threshold = now + Millis(optionStore.leaseTime) * 500 + Node.leaseSlackMs
        let base = table.slabIndex(block, 0)
        var n = 0
        for i in 0..<table.blockSize where table.leases[base + i].state == .leased && table.leases[base + i].end >= threshold {
            n += 1
        }
        return n
    }

    /// The spare byte of our UPDATECLAIM entry for `block` (0 in C-wire mode).
    func claimSpareByte(_ block: Int, now: Millis) -> UInt8 {
        if configuration.cWire || configuration.nodeID == .zero { return 0 }
        return UInt8(1 + min(activeLeaseCount(block, now: now), 254))
    }

    /// True if `peer`'s claim (with `spare`) takes our OURS `block` from us.
    func peerTakesBlock(_ block: Int, peer: NodeID, spare: UInt8) -> Bool {
        let ours = table.blocks[block].advertised
        if spare == 0 || ours == 0 || peer == .zero || configuration.cWire {
            return !(peer < configuration.nodeID)  // C's rule: a smaller id never takes our block
        }
        if spare != ours { return spare > ours }
        return !(peer < configuration.nodeID)
    }

    /// Whether a peer is one of our nodes: it owns a block it announced with a count.
    func peerSpeaksCounts(_ peer: PeerAddress) -> Bool {
        for i in 0..<table.count
        where table.blocks[i].state == .claimed && table.blocks[i].ownerAddress == peer && table.blocks[i].advertised != 0 {
            return true
        }
        return false
    }
}

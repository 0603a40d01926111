// Lease handoff and block handover between our nodes (docs/protocol.md#handover, docs/decisions.md
// D-81, D-85, D-86). Two messages, never understood by C (C drops unknown commands):
//
//   0x30 HANDOFF  header (count = n entries, n ≤ 48), block u32, sequence u32, flags u8,
//                 3 bytes 0, then n entries of 24 bytes: address u32 (network order),
//                 remaining lease seconds u32, chaddr 16 bytes.            Length 28 + 24·n.
//        flags:   1 TRANSFER  the block itself moves to the receiver (with the leases listed)
//                 2 REQUEST   multicast, block 0, n = 0: "I own no block and need one"
//                 4 LAST      the last page of the block's leases
//   0x31 ACK      header (count 0), block u32, sequence u32, status u8, accepted u8, 2 bytes 0.
//                 Length 28. status: 0 accepted, 1 not the owner, 2 declined.
//
// Both are unicast to port 1235 (REQUEST multicast to 1234). A HANDOFF is resent every second
// until its ACK arrives, at most `HandoffTable.attempts` times; pages are sent one at a time.
//
// Block transfer (D-86), sender O, receiver N; invariant: at no moment do two nodes lease
// from the block.
//   1. O: the block goes OURS → BLOCKED. From now on O offers, acknowledges and answers
//      RENEWLEASE for none of its addresses, and stops announcing it. O sends HANDOFF+TRANSFER.
//   2. N: accepts only if it is not in its learning phase and can attach a lease table;
//      the block becomes OURS at N with the listed leases, N announces it at once
//      (UPDATECLAIM with its count) and ACKs. Only now does N lease from it.
//   3. O: on ACK accepted, or on N's UPDATECLAIM for the block, BLOCKED → CLAIMED by N.
//      On ACK declined or not-owner: BLOCKED → OURS again (N never leased from it).
//      With no answer after every attempt: CLAIMED by N (O never leases from it again; if N
//      never took it, peers let it expire). O never returns to leasing without a refusal,
//      so a lost ACK cannot make two owners.

enum HandoverWire {
    static let handoff: UInt8 = 0x30
    static let ack: UInt8 = 0x31
    static let fixedSize = 28
    static let entrySize = 24
    static let maximumEntries = 48
    static let ackSize = 28

    static let transfer: UInt8 = 1
    static let request: UInt8 = 2
    static let last: UInt8 = 4

    static let accepted: UInt8 = 0
    static let notOwner: UInt8 = 1
    static let declined: UInt8 = 2

    /// Field offsets after the header (both messages).
    static let block = 16  // u32
    static let sequence = 20  // u32
    static let flagsOrStatus = 24  // HANDOFF: flags; ACK: status
    static let acceptedCount = 25  // ACK: entries taken
    /// Field offsets inside one HANDOFF entry.
    enum Entry {
        static let address = 0  // u32
        static let secondsLeft = 4  // u32
        static let chaddr = 8  // 16 bytes
    }

    /// The header of one of our messages of our pool; nil otherwise. Lengths are checked here.
    static func check(_ d: UnsafeRawBufferPointer, pool: MeshPool) -> UInt8? {
        guard d.count >= MeshWire.headerSize else { return nil }
        let command = d[MeshWire.Header.command]
        guard command == handoff || command == ack, MeshWire.isOurPool(d, pool) else { return nil }
        let n = Int(d[MeshWire.Header.count])
        if command == handoff {
            guard n <= maximumEntries, d.count == fixedSize + entrySize * n else { return nil }
        } else {
            guard n == 0, d.count == ackSize else { return nil }
        }
        return command
    }
}

struct HandoffSlot {
    var inUse = false
    var transfer = false
    var block = 0
    var peer = PeerAddress.zero
    var peerID = NodeID.zero
    var sequence: UInt32 = 0
    /// First lease index of the page in flight, and the index after its last entry.
    var cursor = 0
    var pageEnd = 0
    var attempts = 0
    var nextSend: Millis = .max
}

/// Fixed table of handoffs in flight (allocated once with the node).
struct HandoffTable {
    static let capacity = 16
    static let attempts = 6
    static let retryMs: Millis = 1000

    var slots = [HandoffSlot](repeating: HandoffSlot(), count: HandoffTable.capacity)
    var nextSequence: UInt32 = 1
    /// Earliest time of the next block REQUEST (one per INQUIRE round).
    var nextRequest: Millis = .min

    var nextSend: Millis {
        var t = Millis.max
        for s in slots where s.inUse && s.nextSend < t { t = s.nextSend }
        return t
    }

    func find(block: Int) -> Int? {
        for i in 0..<slots.count where slots[i].inUse && slots[i].block == block { return i }
        return nil
    }

    func transferring(to peer: PeerAddress) -> Bool {
        for s in slots where s.inUse && s.transfer && s.peer == peer { return true }
        return false
    }

    mutating func freeSlot() -> Int? {
        for i in 0..<slots.count where !slots[i].inUse { return i }
        return nil
    }
}

extension Node {
    // MARK: Sending

    /// Starts handing the leases of `block` (and with `transfer` the block) to `peer`.
    func startHandoff<S: ActionSink>(_ block: Int, to peer: PeerAddress, id: NodeID, transfer: Bool, now: Millis, sink: inout S) {
        if let old = handoffs.find(block: block) { handoffs.slots[old].inUse = false }
        guard let k = handoffs.freeSlot() else {
            log(.warning, &sink) { $0.append("No handoff slot left for block "); $0.append(block) }
            return
        }
        handoffs.slots[k] = HandoffSlot(inUse: true, transfer: transfer, block: block, peer: peer, peerID: id,
                                        sequence: 0, cursor: 0, pageEnd: 0, attempts: 0, nextSend: now)
        if transfer { table.blocks[block].state = .blocked }
        log(.info, &sink) {
            $0.append(transfer ? "Handing block " : "Handing leases of block ")
            $0.append(block)
            $0.append(" to node 0x")
            $0.append(hex: id.value, digits: 16)
        }
        sendHandoffPage(k, now: now, sink: &sink)
    }

    /// Sends (or resends) the page of slot `k`; a new page gets a new sequence number.
    func sendHandoffPage<S: ActionSink>(_ k: Int, now: Millis, sink: inout S) {
        var slot = handoffs.slots[k]
        if slot.attempts == 0 {
            slot.sequence = handoffs.nextSequence
            handoffs.nextSequence &+= 1
        }
        let block = slot.block
        var n = 0
        var i = slot.cursor
        if table.hasTable(block) {
            let base = table.slabIndex(block, 0)
            while i < table.blockSize && n < HandoverWire.maximumEntries {
                let l = table.leases[base + i]
                if l.state == .leased && l.end > now {
                    let o = HandoverWire.fixedSize + n * HandoverWire.entrySize
                    Bytes.put32(meshOut, o + HandoverWire.Entry.address, table.address(block: block, lease: i).value)
                    Bytes.put32(meshOut, o + HandoverWire.Entry.secondsLeft, UInt32(truncatingIfNeeded: (l.end - now + 999) / 1000))
                    Bytes.putHardware(meshOut, o + HandoverWire.Entry.chaddr, l.chaddr)
                    n += 1
                }
                i += 1
            }
        } else {
            i = table.blockSize
        }
        slot.pageEnd = i
        var flags: UInt8 = slot.transfer ? HandoverWire.transfer : 0
        if i >= table.blockSize { flags |= HandoverWire.last }
        let length = writeHandoverHeader(command: HandoverWire.handoff, count: n, block: block, sequence: slot.sequence, byte: flags)
        let ok = sink.sendUnicast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]), to: slot.peer)
        statistics.sent(.directSendPkg, .directSendByte, length: length, ok: ok)
        slot.attempts += 1
        slot.nextSend = now + HandoffTable.retryMs
        handoffs.slots[k] = slot
    }

    func writeHandoverHeader(command: UInt8, count: Int, block: Int, sequence: UInt32, byte: UInt8, second: UInt8 = 0) -> Int {
        MeshWire.writeHeader(meshOut, nodeID: configuration.nodeID, pool: pool, rawCommand: command,
                             count: UInt8(truncatingIfNeeded: count))
        Bytes.put32(meshOut, HandoverWire.block, UInt32(truncatingIfNeeded: block))
        Bytes.put32(meshOut, HandoverWire.sequence, sequence)
        meshOut[HandoverWire.flagsOrStatus] = byte
        meshOut[HandoverWire.acceptedCount] = second
        meshOut[HandoverWire.acceptedCount + 1] = 0
        meshOut[HandoverWire.acceptedCount + 2] = 0
        return HandoverWire.fixedSize + count * HandoverWire.entrySize
    }

    /// Timer: resend pages whose ACK is overdue; give up after the last attempt.
    func serviceHandoffs<S: ActionSink>(now: Millis, sink: inout S) {
        for k in 0..<handoffs.slots.count where handoffs.slots[k].inUse && handoffs.slots[k].nextSend <= now {
            let slot = handoffs.slots[k]
            if slot.transfer && table.blocks[slot.block].state != .blocked {
                handoffs.slots[k].inUse = false  // settled otherwise (the receiver's UPDATECLAIM)
                continue
            }
            if slot.attempts < HandoffTable.attempts {
                sendHandoffPage(k, now: now, sink: &sink)
                continue
            }
            handoffs.slots[k].inUse = false
            log(.warning, &sink) { $0.append("Handoff of block "); $0.append(slot.block); $0.append(" unanswered") }
            if slot.transfer { giveUpBlock(slot, now: now) }
        }
    }

    /// BLOCKED → CLAIMED by the receiver: we never lease from the block again (step 3).
    func giveUpBlock(_ slot: HandoffSlot, now: Millis) {
        makeClaimed(slot.block, by: slot.peerID, at: slot.peer, until: now + blockTimeoutMs)
    }

    // MARK: Receiving

    /// A multicast 0x30 REQUEST (D-85). True if the datagram was one of ours (consumed).
    func receiveHandoverMulticast<S: ActionSink>(
        _ d: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S
    ) -> Bool {
        guard !configuration.cWire, HandoverWire.check(d, pool: pool) == HandoverWire.handoff else { return false }
        guard d[HandoverWire.flagsOrStatus] & HandoverWire.request != 0, !learning else { return true }
        offerSpareBlock(to: peer, id: NodeID(Bytes.u64(d, MeshWire.Header.nodeID)), now: now, sink: &sink)
        return true
    }

    /// A unicast 0x30 / 0x31. True if the datagram was one of ours (consumed).
    func receiveHandover<S: ActionSink>(_ d: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S) -> Bool {
        guard !configuration.cWire, let command = HandoverWire.check(d, pool: pool) else { return false }
        let index = Bytes.u32(d, HandoverWire.block)
        let sequence = Bytes.u32(d, HandoverWire.sequence)
        guard index < UInt32(table.count) else { return true }
        let block = Int(index)
        if command == HandoverWire.ack {
            handoffAnswered(block, sequence: sequence, status: d[HandoverWire.flagsOrStatus], from: peer, now: now, sink: &sink)
            return true
        }
        let flags = d[HandoverWire.flagsOrStatus]
        guard flags & HandoverWire.request == 0 else { return true }
        let count = Int(d[MeshWire.Header.count])
        var status = HandoverWire.notOwner
        if flags & HandoverWire.transfer != 0 {
            status = acceptTransfer(block, entries: count, from: peer, id: NodeID(Bytes.u64(d, MeshWire.Header.nodeID)), now: now, sink: &sink)
        } else if table.blocks[block].state == .ours && table.hasTable(block) {
            status = HandoverWire.accepted
        }
        var taken = 0
        if status == HandoverWire.accepted { taken = installHandedLeases(d, block: block, count: count, now: now) }
        let length = writeHandoverHeader(command: HandoverWire.ack, count: 0, block: block, sequence: sequence,
                                         byte: status, second: UInt8(truncatingIfNeeded: taken))
        let ok = sink.sendUnicast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]), to: peer)
        statistics.sent(.directSendPkg, .directSendByte, length: length, ok: ok)
        if flags & HandoverWire.transfer != 0 && status == HandoverWire.accepted {
            announceOwnBlocks(now: now, sink: &sink)  // step 2: announce the new owner at once
        }
        return true
    }

    /// Enters the listed leases into our OURS `block`. A FREE address becomes LEASED for the
    /// listed client; the same client's lease is extended; an address one of our clients holds
    /// stays ours (that client has the block's active majority, D-81). Returns entries taken.
    func installHandedLeases(_ d: UnsafeRawBufferPointer, block: Int, count: Int, now: Millis) -> Int {
        guard table.hasTable(block) else { return 0 }
        let longest = Millis(optionStore.leaseTime) * 1000 + Node.leaseSlackMs
        var taken = 0
        for e in 0..<count {
            let o = HandoverWire.fixedSize + e * HandoverWire.entrySize
            let address = IPv4Address(Bytes.u32(d, o + HandoverWire.Entry.address))
            guard let (addressBlock, i) = table.location(of: address), addressBlock == block, isAssignable(address) else { continue }
            let end = now + min(Millis(Bytes.u32(d, o + HandoverWire.Entry.secondsLeft)) * 1000, longest)
            let chaddr = Bytes.hardware(d, o + HandoverWire.Entry.chaddr)
            let s = table.slabIndex(block, i)
            let l = table.leases[s]
            if l.state == .free || (l.state == .offered && l.chaddr == chaddr) {
                table.leases[s] = Lease(state: .leased, xid: 0, chaddr: chaddr, end: end)
                table.hostnames.clear(s)  // a handed-over lease comes without a host name (D-53)
                taken += 1
            } else if l.state == .leased && l.chaddr == chaddr {
                table.leases[s].end = max(l.end, end)
                taken += 1
            }
        }
        if taken > 0 { ownLeasesVersion &+= 1 }  // the lease file lists them (D-51)
        return taken
    }

    /// Receiver side of a block transfer (step 2).
    func acceptTransfer<S: ActionSink>(_ block: Int, entries: Int, from peer: PeerAddress, id: NodeID, now: Millis, sink: inout S) -> UInt8 {
        if table.blocks[block].state == .ours { return HandoverWire.accepted }  // a resent offer
        if learning || table.blocks[block].state == .blocked || table.blocks[block].reserved { return HandoverWire.declined }
        if entries == 0 {
            // A spare block for a joining node: only while we still need one.
            let (spare, offered) = countSpareLeases()  // offers count as spare (D-100)
            guard spare + offered < spareTarget + demandLeases(now: now) else { return HandoverWire.declined }
        }
        guard table.attachTable(block) else { return HandoverWire.declined }
        if table.blocks[block].state != .claimed || table.blocks[block].owner != id {
            // A table left from forwarding through another owner is stale: start empty.
            table.releaseTable(block)
            guard table.attachTable(block) else { return HandoverWire.declined }
        }
        if let k = inquiryList.firstIndex(of: UInt32(block)) { inquiryList.remove(at: k) }
        table.blocks[block].claimCounter = 3
        own(block, now: now, sink: &sink)
        log(.info, &sink) { $0.append("Block "); $0.append(block); $0.append(" handed over by node 0x"); $0.append(hex: id.value, digits: 16) }
        return HandoverWire.accepted
    }

    /// Sender side: the receiver answered page `sequence` of `block`.
    func handoffAnswered<S: ActionSink>(_ block: Int, sequence: UInt32, status: UInt8, from peer: PeerAddress, now: Millis, sink: inout S) {
        guard let k = handoffs.find(block: block), handoffs.slots[k].sequence == sequence, handoffs.slots[k].peer == peer else { return }
        let slot = handoffs.slots[k]
        if status != HandoverWire.accepted {
            handoffs.slots[k].inUse = false
            if slot.transfer && table.blocks[block].state == .blocked {
                table.blocks[block].state = .ours  // refused: the receiver never leased from it
                log(.info, &sink) { $0.append("Block "); $0.append(block); $0.append(" handover declined") }
            }
            return
        }
        if slot.pageEnd < table.blockSize && !slot.transfer {
            handoffs.slots[k].cursor = slot.pageEnd
            handoffs.slots[k].attempts = 0
            sendHandoffPage(k, now: now, sink: &sink)
            return
        }
        handoffs.slots[k].inUse = false
        if slot.transfer && table.blocks[block].state == .blocked { giveUpBlock(slot, now: now) }
    }

    // MARK: Triggers

    /// D-86: the block's only lease was just renewed for a client that now lives at `peer` (a
    /// node of ours): the block moves there.
    func considerRoamHandover<S: ActionSink>(_ block: Int, from peer: PeerAddress, now: Millis, sink: inout S) {
        guard !configuration.cWire, !learning, table.blocks[block].state == .ours, handoffs.find(block: block) == nil else { return }
        let counts = table.leaseCounts(block)
        guard counts.leased + counts.offered == 1, peerSpeaksCounts(peer) else { return }
        var id = NodeID.zero
        for i in 0..<table.count where table.blocks[i].state == .claimed && table.blocks[i].ownerAddress == peer {
            id = table.blocks[i].owner
            break
        }
        startHandoff(block, to: peer, id: id, transfer: true, now: now, sink: &sink)
    }

    /// Some block is owned by a node that sends counts (one of ours).
    var countingPeerKnown: Bool {
        if join.haveSource { return true }  // a table answer comes only from our nodes (D-70)
        for i in 0..<table.count where table.blocks[i].state == .claimed && table.blocks[i].advertised != 0 { return true }
        return false
    }

    /// D-85: we own no block yet and need one, and one of our nodes is in the mesh: ask our
    /// peers once per INQUIRE round (a mesh of C nodes never sees the message).
    func requestBlock<S: ActionSink>(now: Millis, sink: inout S) {
        guard !configuration.cWire, now >= handoffs.nextRequest, !ownsAnyBlock, countingPeerKnown else { return }
        handoffs.nextRequest = now + max(housekeepingSpacingMs, 1000)
        let length = writeHandoverHeader(command: HandoverWire.handoff, count: 0, block: 0, sequence: 0, byte: HandoverWire.request)
        let ok = sink.sendMulticast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]))
        statistics.sent(.mcastSendPkg, .mcastSendByte, length: length, ok: ok)
    }

    /// D-85: answer a REQUEST with a block we can spare: OURS, every address FREE, and our
    /// spare leases stay at the target without it.
    func offerSpareBlock<S: ActionSink>(to peer: PeerAddress, id: NodeID, now: Millis, sink: inout S) {
        guard !handoffs.transferring(to: peer) else { return }
        let (spare, _) = countSpareLeases()
        guard spare - table.blockSize >= spareTarget else { return }  // before the search: most nodes cannot spare
        // Every node runs this for each REQUEST: OURS blocks only.
        let pick = youngestEmptyOursBlock { handoffs.find(block: $0) == nil }
        guard pick >= 0 else { return }
        startHandoff(pick, to: peer, id: id, transfer: true, now: now, sink: &sink)
    }
}

extension Node {
    /// True if lease `i` of our `block` is LEASED to `chaddr` (it came with a handover).
    func handedLease(_ block: Int, _ i: Int, _ chaddr: HardwareAddress) -> Bool {
        guard table.hasTable(block) else { return false }
        let l = table.leases[table.slabIndex(block, i)]
        return l.state == .leased && l.chaddr == chaddr
    }
}

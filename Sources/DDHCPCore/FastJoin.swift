// Fast join (docs/fast-join.md, decisions D-70..D-73): a starting node asks its peers for the
// block table (TABLE REQUEST 0x20) and ends its learning phase as soon as one of our nodes has
// sent it the whole table (TABLE ANSWER 0x21, paged). C nodes drop both commands (their length
// check knows only 1, 2, 16..18), so with C peers only nothing answers and the learning phase
// runs its B seconds as in C.
//
// After a complete answer the first block (besides restored or taken-back ones) is claimed with INQUIRE rounds FastJoin.roundMs apart
// instead of floor(T/2) s (D-71); see docs/fast-join.md#safety for why that keeps the
// guarantee of the three INQUIREs.

/// Wire layout of the two messages (docs/fast-join.md#messages). Both use the normal 16-byte
/// header with command 0x20 / 0x21.
public enum TableWire {
    public static let request: UInt8 = 0x20
    public static let answer: UInt8 = 0x21
    /// Header + first block wanted (u32).
    public static let requestSize = 20
    /// Header + first block (u32) + end block, exclusive (u32) + N (u32).
    public static let answerHeaderSize = 28
    /// Block u32, kind u8, seconds left u16, owner id u64, owner address 16 bytes.
    public static let entrySize = 31
    /// 28 + 44·31 = 1392 bytes: one unfragmented IPv6 datagram on a 1500-byte link.
    public static let entriesPerPage = 44
    /// Entry kinds.
    public static let kindInquired: UInt8 = 1
    public static let kindClaimed: UInt8 = 2

    /// Field offsets after the header: the request's first block wanted; the answer's first
    /// block, end block (exclusive) and N.
    static let firstBlock = 16  // u32
    static let endBlock = 20  // u32, answer only
    static let blockCount = 24  // u32, answer only
    /// Field offsets inside one answer entry.
    enum Entry {
        static let block = 0  // u32
        static let kind = 4
        static let secondsLeft = 5  // u16
        static let owner = 7  // u64
        static let ownerAddress = 15  // 16 bytes, zero: the answerer itself
    }

    /// Valid table message of our pool: command, or nil. Length and pool checked.
    static func command(_ d: UnsafeRawBufferPointer, pool: MeshPool, blockCount: Int) -> UInt8? {
        guard d.count >= MeshWire.headerSize else { return nil }
        let c = d[MeshWire.Header.command]
        guard c == request || c == answer, MeshWire.isOurPool(d, pool) else { return nil }
        if c == request { return d.count == requestSize ? c : nil }
        let n = Int(d[MeshWire.Header.count])
        guard n <= entriesPerPage, d.count == answerHeaderSize + entrySize * n,
              Bytes.u32(d, TableWire.blockCount) == UInt32(blockCount) else { return nil }
        let from = Bytes.u32(d, firstBlock), to = Bytes.u32(d, endBlock)
        guard from < to, to <= UInt32(blockCount) else { return nil }
        return c
    }

    /// Writes a TABLE REQUEST for blocks from `first` into `b`; returns its length.
    static func writeRequest(_ b: UnsafeMutableRawBufferPointer, nodeID: NodeID, pool: MeshPool, first: UInt32) -> Int {
        MeshWire.writeHeader(b, nodeID: nodeID, pool: pool, rawCommand: request, count: 0)
        Bytes.put32(b, firstBlock, first)
        return requestSize
    }

    /// A TABLE REQUEST for blocks from `first` (tests and tools; the node uses its scratch buffer).
    public static func requestMessage(nodeID: NodeID, pool: MeshPool, first: UInt32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: requestSize)
        out.withUnsafeMutableBytes { b in _ = writeRequest(b, nodeID: nodeID, pool: pool, first: first) }
        return out
    }
}

/// The joining side's progress (one per node).
struct FastJoinState {
    enum Phase { case off, asking, done }
    var phase = Phase.off
    /// The answerer whose pages are being collected (the first to answer).
    var source = NodeID.zero
    var sourceAddress = PeerAddress.zero
    var haveSource = false
    /// Blocks [0, covered) are known from the source's pages.
    var covered: UInt32 = 0
    var nextRequest: Millis = .max
    var requestsSent = 0
    /// Until then (or until the first block claimed by INQUIREs is owned) rounds are
    /// FastJoin.roundMs apart.
    var fastRoundsUntil: Millis = .min
    /// No claims and no D-07 NAKs before this time (a restored node whose table is not known yet).
    var claimHoldUntil: Millis = .min
    /// Answer pages sent in the current second (a flood of requests gets at most
    /// FastJoin.pagesPerSecond pages back).
    var answerWindow: Millis = .min
    var answersInWindow = 0
}

public enum FastJoin {
    /// Spacing of table requests while no complete answer came.
    public static let retryMs: Millis = 250
    /// Requests before giving up (then the learning phase runs on, as in C): 2 s in all.
    public static let maximumRequests = 8
    /// INQUIRE round spacing after a complete answer (D-71).
    public static let roundMs: Millis = 300
    /// How long fast rounds may be used after the answer.
    public static let fastWindowMs: Millis = 10_000
    /// Answer pages per second at most: a whole table of 1,408 claimed blocks.
    public static let pagesPerSecond = 32
}

extension Node {
    /// Called from init: decide whether to ask.
    func fastJoinSetUp(now: Millis) {
        if configuration.fastJoin && configuration.learningPhase && !configuration.cWire {  // D-82: C-wire asks nothing
            join.phase = .asking
            join.nextRequest = now
        }
    }

    /// The earliest time the join machinery wants a tick.
    var fastJoinWakeup: Millis { join.phase == .asking ? join.nextRequest : .max }

    /// Timer step: (re)send the request while asking.
    func fastJoinTick<S: ActionSink>(now: Millis, sink: inout S) {
        guard join.phase == .asking, now >= join.nextRequest else { return }
        guard learning || now < join.claimHoldUntil else {  // the learning phase ended on its own meanwhile
            join.phase = .off
            forgetPendingBlocks()
            return
        }
        if join.requestsSent >= FastJoin.maximumRequests {
            join.phase = .off
            forgetPendingBlocks()  // D-191: nobody confirmed them
            join.nextRequest = .max
            log(.info, &sink) { $0.append("No table answer from our nodes: the learning phase runs on") }
            return
        }
        sendTableRequest(now: now, sink: &sink)
    }

    @inline(never)  // one copy: keeps the binary small
    func sendTableRequest<S: ActionSink>(now: Millis, sink: inout S) {
        let first = join.haveSource ? join.covered : 0
        let length = TableWire.writeRequest(meshOut, nodeID: configuration.nodeID, pool: pool, first: first)
        let bytes = UnsafeRawBufferPointer(rebasing: meshOut[0..<length])
        // Every other request goes to the whole mesh again, in case the source went away.
        if join.haveSource && join.requestsSent % 2 == 1 {
            let ok = sink.sendUnicast(bytes, to: join.sourceAddress)
            statistics.sent(.directSendPkg, .directSendByte, length: TableWire.requestSize, ok: ok)
        } else {
            let ok = sink.sendMulticast(bytes)
            statistics.sent(.mcastSendPkg, .mcastSendByte, length: TableWire.requestSize, ok: ok)
        }
        join.requestsSent += 1
        join.nextRequest = now + FastJoin.retryMs
    }

    /// Handles 0x20/0x21 from either socket. Returns false if the datagram is not one of them
    /// (the caller decodes it as usual).
    func receiveTableMessage<S: ActionSink>(
        _ d: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S
    ) -> Bool {
        guard d.count >= MeshWire.headerSize,
              d[MeshWire.Header.command] == TableWire.request || d[MeshWire.Header.command] == TableWire.answer
        else { return false }
        guard let command = TableWire.command(d, pool: pool, blockCount: table.count) else {
            log(.debug, &sink) { $0.append("Dropping malformed or foreign table message") }
            return true
        }
        let sender = NodeID(Bytes.u64(d, MeshWire.Header.nodeID))
        if command == TableWire.request {
            answerTableRequest(first: Bytes.u32(d, TableWire.firstBlock), to: peer, now: now, sink: &sink)
        } else {
            applyTableAnswer(d, sender: sender, from: peer, now: now, sink: &sink)
        }
        return true
    }

    /// Sends one page from `first`, by unicast to the asker. Only a node that knows the table
    /// (not learning, not holding its claims back) answers.
    @inline(never)  // one copy: keeps the binary small
    func answerTableRequest<S: ActionSink>(first: UInt32, to peer: PeerAddress, now: Millis, sink: inout S) {
        guard !learning, now >= join.claimHoldUntil, Int(first) < table.count else { return }
        if now >= join.answerWindow + 1000 {
            join.answerWindow = now
            join.answersInWindow = 0
        }
        guard join.answersInWindow < FastJoin.pagesPerSecond else { return }
        join.answersInWindow += 1
        var n = 0
        var i = Int(first)
        while i < table.count && n < TableWire.entriesPerPage {
            let b = table.blocks[i]
            var kind: UInt8 = 0
            var owner = NodeID.zero
            var address = PeerAddress.zero  // zero: the answerer itself
            switch b.state {
            case .ours: kind = TableWire.kindClaimed; owner = configuration.nodeID
            case .claimed: kind = TableWire.kindClaimed; owner = b.owner; address = b.ownerAddress
            case .tentative, .claiming: kind = TableWire.kindInquired
            case .free, .blocked: break
            }
            if kind != 0 {
                let o = TableWire.answerHeaderSize + n * TableWire.entrySize
                let left = max(1, min(65535, (b.timeout - now + 999) / 1000))
                Bytes.put32(meshOut, o + TableWire.Entry.block, UInt32(i))
                meshOut[o + TableWire.Entry.kind] = kind
                Bytes.put16(meshOut, o + TableWire.Entry.secondsLeft, UInt16(left))
                Bytes.put64(meshOut, o + TableWire.Entry.owner, owner.value)
                Bytes.put64(meshOut, o + TableWire.Entry.ownerAddress, address.high)
                Bytes.put64(meshOut, o + TableWire.Entry.ownerAddress + 8, address.low)
                n += 1
            }
            i += 1
        }
        MeshWire.writeHeader(meshOut, nodeID: configuration.nodeID, pool: pool, rawCommand: TableWire.answer, count: UInt8(n))
        Bytes.put32(meshOut, TableWire.firstBlock, first)
        Bytes.put32(meshOut, TableWire.endBlock, UInt32(i))
        Bytes.put32(meshOut, TableWire.blockCount, UInt32(table.count))
        let length = TableWire.answerHeaderSize + n * TableWire.entrySize
        let ok = sink.sendUnicast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]), to: peer)
        statistics.sent(.directSendPkg, .directSendByte, length: length, ok: ok)
    }

    /// Merges one page into our table, only ever adding knowledge (D-72): a block another node
    /// owns becomes CLAIMED, an inquired one TENTATIVE; a block the answer shows as ours but
    /// which we do not hold (we restarted without a state image) is taken back with its addresses
    /// kept from new clients for a lease time (D-73).
    @inline(never)  // one copy: keeps the binary small
    func applyTableAnswer<S: ActionSink>(
        _ d: UnsafeRawBufferPointer, sender: NodeID, from peer: PeerAddress, now: Millis, sink: inout S
    ) {
        let count = Int(d[MeshWire.Header.count])
        let from = Bytes.u32(d, TableWire.firstBlock), to = Bytes.u32(d, TableWire.endBlock)
        let me = configuration.nodeID
        for e in 0..<count {
            let o = TableWire.answerHeaderSize + e * TableWire.entrySize
            let index = Bytes.u32(d, o + TableWire.Entry.block)
            guard index >= from, index < to else { continue }
            let i = Int(index)
            let kind = d[o + TableWire.Entry.kind]
            let timeout = now + Millis(Bytes.u16(d, o + TableWire.Entry.secondsLeft)) * 1000
            let owner = NodeID(Bytes.u64(d, o + TableWire.Entry.owner))
            var address = PeerAddress(high: Bytes.u64(d, o + TableWire.Entry.ownerAddress),
                                      low: Bytes.u64(d, o + TableWire.Entry.ownerAddress + 8))
            if address == .zero { address = peer }
            let state = table.blocks[i].state
            if kind == TableWire.kindClaimed {
                if owner == me && me != .zero {
                    // D-192: not a block we dropped as needless (entirely FREE): it holds no lease.
                    if state != .ours && join.phase == .asking && !droppedByUs(i, now: now) {
                        takeBackOldBlock(i, now: now, sink: &sink)
                    }
                    continue
                }
                if state == .ours {
                    // Restored from a state image but another node owns it now: its claim is live.
                    guard join.phase == .asking else { continue }
                    log(.info, &sink) { $0.append("Block "); $0.append(i); $0.append(" is owned by another node: giving it up") }
                }
                if state == .claimed && table.blocks[i].owner == owner && table.blocks[i].timeout >= timeout { continue }
                makeClaimed(i, by: owner, at: address, until: timeout)
            } else if kind == TableWire.kindInquired && state == .free {
                makeTentative(i, until: timeout)
            }
        }
        guard join.phase == .asking else { return }
        if !join.haveSource {
            join.haveSource = true
            join.source = sender
            join.sourceAddress = peer
            join.covered = 0
        }
        guard sender == join.source, from <= join.covered, to > join.covered else { return }
        join.covered = to
        join.requestsSent = 0  // progress: the retry budget starts again
        if Int(to) >= table.count {
            finishFastJoin(now: now, sink: &sink)
        } else {
            sendTableRequestNow(now: now, sink: &sink)
        }
    }

    @inline(never)  // one copy: keeps the binary small
    func sendTableRequestNow<S: ActionSink>(now: Millis, sink: inout S) {
        // The next page by unicast straight away.
        let length = TableWire.writeRequest(meshOut, nodeID: configuration.nodeID, pool: pool, first: join.covered)
        let ok = sink.sendUnicast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]), to: join.sourceAddress)
        statistics.sent(.directSendPkg, .directSendByte, length: TableWire.requestSize, ok: ok)
        join.nextRequest = now + FastJoin.retryMs
    }

    /// The whole table is known: the learning phase ends now (D-70) and the first claim may use
    /// fast rounds (D-71).
    @inline(never)  // one copy: keeps the binary small
    func finishFastJoin<S: ActionSink>(now: Millis, sink: inout S) {
        join.phase = .done
        forgetPendingBlocks()  // D-191: not shown as ours, so not ours
        join.nextRequest = .max
        join.claimHoldUntil = .min
        join.fastRoundsUntil = now + FastJoin.fastWindowMs
        log(.info, &sink) {
            $0.append("Block table received from node 0x")
            $0.append(hex: join.source.value, digits: 16)
            $0.append(": learning phase over")
        }
        if learning {
            learning = false
            sink.runHook(.endLearning, address: .zero, clientHardware: .zero)
        }
        nextHousekeeping = now + FastJoin.roundMs
        housekeeping(now: now, sink: &sink)
    }

    /// INQUIRE round and housekeeping spacing right now.
    func roundSpacing(_ now: Millis) -> Millis {
        if join.phase == .done && now < join.fastRoundsUntil {
            return min(FastJoin.roundMs, housekeepingSpacingMs)
        }
        return housekeepingSpacingMs
    }

    /// A block the mesh still attributes to us although we hold no record of it (restart
    /// without a state image): we own it again at once (nobody else may claim it while our
    /// claim lives) and announce it; its addresses stay away from new clients until every
    /// lease the old process could have granted has ended. Clients renewing one are
    /// acknowledged (only we gave addresses from it).
    /// A block of the state image whose recorded claim had ended (D-191) is taken back with the
    /// image's leases instead: the image knows which addresses may be held.
    @inline(never)  // one copy: keeps the binary small
    func takeBackOldBlock<S: ActionSink>(_ b: Int, now: Millis, sink: inout S) {
        guard table.attachTable(b) else { return }
        if let k = inquiryList.firstIndex(of: UInt32(b)) { inquiryList.remove(at: k) }
        table.blocks[b].claimCounter = 3
        if let k = persist.pendingBlocks.firstIndex(of: UInt32(b)) {
            persist.pendingBlocks.remove(at: k)
            let firstClaimed = persist.pendingFirstClaimed.remove(at: k)
            own(b, now: now, sink: &sink)
            table.blocks[b].firstClaimed = firstClaimed
            ownLeasesVersion &+= 1  // its restored leases enter the lease file
            log(.info, &sink) { $0.append("Block "); $0.append(b); $0.append(" is still ours: taken back with the leases of the state image") }
            return
        }
        own(b, now: now, sink: &sink)
        let base = table.slabIndex(b, 0)
        let until = leaseEnd(now)
        for i in 0..<table.blockSize {
            table.leases[base + i] = Lease(state: .declined, xid: 0, chaddr: .zero, end: until, unknownHolder: true)
        }
        log(.info, &sink) { $0.append("Block "); $0.append(b); $0.append(" was ours before the restart: taken back, addresses held for a lease time") }
    }

    /// A renewal or INIT-REBOOT for an address whose holder we do not know (D-73): true if it
    /// is acknowledged.
    func isUnknownHolderLease(_ b: Int, _ i: Int) -> Bool {
        table.hasTable(b) && table.leases[table.slabIndex(b, i)].unknownHolder
            && table.leases[table.slabIndex(b, i)].state == .declined
    }

    /// D-07 NAKs need a known table: not while learning or holding claims back.
    func tableKnown(_ now: Millis) -> Bool { !learning && now >= join.claimHoldUntil }
}

#if canImport(Glibc)
import Glibc
#endif

// The whole node: the input is a configuration byte, our id byte, then records, each an
// operation byte, a time step byte and the operation's bytes. Operations: raw or structured
// DHCP packets, raw or structured multicast and unicast datagrams, control requests, timer
// ticks; with bit 3 of the operation byte: structured table request/answer (0x20/0x21,
// multicast), handover HANDOFF/ACK (0x30/0x31, unicast) and a kill -9 + respawn from the
// node's state image (possibly with one byte flipped). The clock is virtual. After every record the node's tables are checked
// (`checkNodeInvariants`); at the end the clock jumps far ahead and everything that can expire
// must have expired.

struct NodeFuzzState {
    var now: Millis = 0
    /// Expected packet counters since the last statistics reset.
    var mcastRecv: Int64 = 0, directRecv: Int64 = 0, dhcpRecv: Int64 = 0
    var mcastSent: Int64 = 0, directSent: Int64 = 0, dhcpSent: Int64 = 0
    /// Largest lease time (s) the node has had.
    var maxLeaseTime: Millis = 0
}

/// DDHCP_FUZZ_TRACE=1: print every record's effect (for reading a crash input).
let fuzzTrace = getenv("DDHCP_FUZZ_TRACE") != nil

nonisolated(unsafe) var nodeScratch = [UInt8](repeating: 0, count: 1600)

func fuzzNode(_ input: UnsafeRawBufferPointer) {
    var r = FuzzReader(input)
    let selector = r.byte()
    let idByte = r.byte()
    let config = fuzzConfiguration(selector, nodeID: UInt64(idByte) << 8 | 0x80)
    guard var node = try? Node(configuration: config, randomSeed: UInt64(input.count), now: 0) else { fail("node init") }
    // Every log line composed for one id in four (composing them costs most of the time).
    node.runtimeLogLevel = idByte & 3 == 0 ? .debug : .error
    var sink = FuzzSink()
    var st = NodeFuzzState()
    st.maxLeaseTime = Millis(node.leaseTime)
    node.start(now: 0, sink: &sink)  // may multicast already (a table request at start)
    st.mcastSent = Int64(sink.multicasts); st.directSent = Int64(sink.unicasts); st.dhcpSent = Int64(sink.dhcpReplies)
    var steps = 0
    while !r.isAtEnd && steps < 100 {
        steps += 1
        let op = r.byte()
        let step = r.byte()
        st.now += step < 128 ? Millis(step) * 100 : Millis(step - 128) * 10_000
        sink.replies.removeAll(keepingCapacity: true)
        let before = (sink.multicasts, sink.unicasts, sink.dhcpReplies)
        var kind = op & 7
        switch kind {
        case 0, 1:
            let n = kind == 0 ? rawPacket(&r) : dhcpPacket(&r, node)
            nodeScratch.withUnsafeBytes { b in node.handleDHCP(UnsafeRawBufferPointer(rebasing: b[0..<n]), now: st.now, sink: &sink) }
            st.dhcpRecv += 1
        case 2, 3:
            let peer = PeerAddress(high: 0xFE80 << 48, low: UInt64(r.byte()))
            let n = kind == 2 ? rawPacket(&r) : op & 8 != 0 ? tableMessage(&r, node) : blockMessage(&r, node)
            nodeScratch.withUnsafeBytes { b in node.handleMulticast(UnsafeRawBufferPointer(rebasing: b[0..<n]), from: peer, now: st.now, sink: &sink) }
            st.mcastRecv += 1
        case 4, 5:
            let peer = PeerAddress(high: 0xFE80 << 48, low: UInt64(r.byte()))
            let n = kind == 4 ? rawPacket(&r) : op & 8 != 0 ? handoverMessage(&r, node) : leaseMessage(&r, node)
            nodeScratch.withUnsafeBytes { b in node.handleUnicast(UnsafeRawBufferPointer(rebasing: b[0..<n]), from: peer, now: st.now, sink: &sink) }
            st.directRecv += 1
        case 6 where op & 8 != 0:
            node = respawn(node, config, &r, now: st.now, sink: &sink)
        case 6:
            let n = rawPacket(&r)
            var reply = TextBuffer(capacity: 0)
            nodeScratch.withUnsafeBytes { b in node.handleControl(UnsafeRawBufferPointer(rebasing: b[0..<n]), now: st.now, reply: &reply, sink: &sink) }
        default:
            node.tick(now: st.now, sink: &sink)
            kind = 7
        }
        if fuzzTrace {
            print("t=\(st.now) op \(kind) replies \(sink.replies.map { "\($0.type) \($0.address.value & 0xFF)" })")
            for b in 0..<node.table.count where node.table.blocks[b].state != .free {
                print("  block \(b) \(node.table.blocks[b].state) table \(node.table.hasTable(b)) timeout \(node.table.blocks[b].timeout)")
            }
            fflush(stdout)
        }
        st.mcastSent += Int64(sink.multicasts - before.0)
        st.directSent += Int64(sink.unicasts - before.1)
        st.dhcpSent += Int64(sink.dhcpReplies - before.2)
        if kind == 6 {
            // A control request may reset the statistics (commands 7 and 0x47): start counting again.
            let s = node.statistics
            st.mcastRecv = s[.mcastRecvPkg]; st.directRecv = s[.directRecvPkg]; st.dhcpRecv = s[.dhcpRecvPkg]
            st.mcastSent = s[.mcastSendPkg]; st.directSent = s[.directSendPkg]; st.dhcpSent = s[.dhcpSendPkg]
        }
        st.maxLeaseTime = max(st.maxLeaseTime, Millis(node.leaseTime))
        checkNodeInvariants(node, st, sink, fromDHCP: kind <= 1)
    }
    // Quiet for long enough: every foreign claim, every tentative mark and every lease (if the lease
    // time is sane) ends; our own claiming may go on.
    let quiet = 4 * Millis(config.blockTimeout) * 1000 + 2 * Millis(config.tentativeTimeout) * 1000 + 4 * st.maxLeaseTime * 1000 + 60_000
    if st.maxLeaseTime <= 86_400 {
        for _ in 0..<3 {
            st.now += quiet / 3 + 1
            node.tick(now: st.now, sink: &sink)
        }
        // Then housekeeping rounds: our own claims (no peer answers) complete, tentative marks end.
        for _ in 0..<8 {
            st.now = node.nextWakeup
            node.tick(now: st.now, sink: &sink)
        }
        st.mcastSent = node.statistics[.mcastSendPkg]
        st.mcastRecv = node.statistics[.mcastRecvPkg]; st.directRecv = node.statistics[.directRecvPkg]; st.dhcpRecv = node.statistics[.dhcpRecvPkg]
        st.directSent = node.statistics[.directSendPkg]; st.dhcpSent = node.statistics[.dhcpSendPkg]
        sink.replies.removeAll()
        checkNodeInvariants(node, st, sink, fromDHCP: false)
        for b in 0..<node.table.count {
            let s = node.table.blocks[b].state
            if s == .claimed || s == .tentative {
                fatalError("fuzz invariant violated: block \(b) \(s) (timeout \(node.table.blocks[b].timeout), now \(st.now)) survives a quiet period")
            }
            if node.table.hasTable(b) {
                check(s == .ours, "table of a foreign block survives a quiet period")
                for i in 0..<node.table.blockSize {
                    let l = node.table.leases[node.table.slabIndex(b, i)]
                    check(!l.isHeld, "lease survives a quiet period")
                }
            }
        }
        check(node.pendingForwardedRequests == 0, "forwarded request survives a quiet period")
    }
}

/// kill -9 and respawn: a new node of the same configuration restores the old one's state
/// image (as it would be written now), with one byte flipped for a flip byte below 64.
func respawn(_ old: Node, _ config: Configuration, _ r: inout FuzzReader, now: Millis, sink: inout FuzzSink) -> Node {
    let flip = r.byte()
    guard let node = try? Node(configuration: config, randomSeed: UInt64(flip) &+ UInt64(now), now: now) else { fail("node init") }
    node.runtimeLogLevel = old.runtimeLogLevel
    if old.persisting {
        let n = old.encodeStateImage(now: now)
        var image = Array(UnsafeRawBufferPointer(rebasing: old.persist.buffer[0..<n]))
        if flip < 64 { image[Int(flip) * image.count / 64] ^= 0x5A }
        image.withUnsafeBytes { _ = node.restoreState($0, now: now, sink: &sink) }
    }
    node.start(now: now, sink: &sink)
    node.tick(now: now, sink: &sink)  // the daemon's loop ticks at once (restore wakes it now)
    return node
}

/// TABLE REQUEST or a TABLE ANSWER page of our pool: entries inquired or claimed, by our own
/// id (a block taken back, D-73/D-191) or another.
func tableMessage(_ r: inout FuzzReader, _ node: Node) -> Int {
    let sender = NodeID(UInt64(r.byte()) << 8)
    let shape = r.byte()
    let blocks = UInt32(node.blockCount)
    let first = UInt32(r.byte()) % blocks
    return nodeScratch.withUnsafeMutableBytes { b in
        if shape & 1 == 0 {
            return TableWire.writeRequest(b, nodeID: sender, pool: node.meshPool, first: first)
        }
        let end = min(blocks, first + 1 + UInt32(r.byte()) % 64)
        let count = min(Int(shape >> 1) % 8, Int(end - first), TableWire.entriesPerPage)
        MeshWire.writeHeader(b, nodeID: sender, pool: node.meshPool, rawCommand: TableWire.answer, count: UInt8(count))
        Bytes.put32(b, TableWire.firstBlock, first)
        Bytes.put32(b, TableWire.endBlock, end)
        Bytes.put32(b, TableWire.blockCount, blocks)
        for e in 0..<count {
            let o = TableWire.answerHeaderSize + e * TableWire.entrySize
            let k = r.byte()
            Bytes.put32(b, o + TableWire.Entry.block, first + UInt32(k) % (end - first))
            b[o + TableWire.Entry.kind] = 1 + (k >> 7)
            Bytes.put16(b, o + TableWire.Entry.secondsLeft, UInt16(r.byte()))
            let owner = k & 0x40 != 0 ? node.configuration.nodeID.value : UInt64(r.byte()) << 8
            Bytes.put64(b, o + TableWire.Entry.owner, owner)
            Bytes.put64(b, o + TableWire.Entry.ownerAddress, 0)
            Bytes.put64(b, o + TableWire.Entry.ownerAddress + 8, UInt64(k & 3))
        }
        return TableWire.answerHeaderSize + count * TableWire.entrySize
    }
}

/// HANDOFF (leases, a block transfer or a block request) or ACK of our pool, for a block of
/// the pool and addresses of that block.
func handoverMessage(_ r: inout FuzzReader, _ node: Node) -> Int {
    let sender = NodeID(UInt64(r.byte()) << 8)
    let shape = r.byte()
    let block = Int(r.byte()) % node.blockCount
    let sequence = UInt32(r.byte() & 7)
    return nodeScratch.withUnsafeMutableBytes { b in
        if shape & 1 != 0 {
            MeshWire.writeHeader(b, nodeID: sender, pool: node.meshPool, rawCommand: HandoverWire.ack, count: 0)
            Bytes.put32(b, HandoverWire.block, UInt32(block))
            Bytes.put32(b, HandoverWire.sequence, sequence)
            b[HandoverWire.flagsOrStatus] = (shape >> 1) % 4
            b[HandoverWire.acceptedCount] = shape >> 3
            b[26] = 0; b[27] = 0
            return HandoverWire.ackSize
        }
        let count = Int(shape >> 5) % 4
        MeshWire.writeHeader(b, nodeID: sender, pool: node.meshPool, rawCommand: HandoverWire.handoff, count: UInt8(count))
        Bytes.put32(b, HandoverWire.block, UInt32(block))
        Bytes.put32(b, HandoverWire.sequence, sequence)
        b[HandoverWire.flagsOrStatus] = (shape >> 1) & 7
        b[25] = 0; b[26] = 0; b[27] = 0
        for e in 0..<count {
            let o = HandoverWire.fixedSize + e * HandoverWire.entrySize
            let k = r.byte()
            let address = node.table.address(block: block, lease: Int(k) % node.table.blockSize)
            Bytes.put32(b, o + HandoverWire.Entry.address, address.value)
            Bytes.put32(b, o + HandoverWire.Entry.secondsLeft, UInt32(r.byte()) * 4)
            Bytes.putHardware(b, o + HandoverWire.Entry.chaddr, HardwareAddress(high: UInt64(k & 7) << 40, low: 0))
        }
        return HandoverWire.fixedSize + count * HandoverWire.entrySize
    }
}

/// A length byte, then that many bytes copied to the scratch buffer.
func rawPacket(_ r: inout FuzzReader) -> Int {
    let n = Int(r.byte()) * 4 + Int(r.byte() & 3)
    let b = r.bytes(min(n, 1500))
    for i in 0..<b.count { nodeScratch[i] = b[i] }
    return b.count
}

/// A well-formed client packet: type, client, xid, option 50 / 54 / 55 / ciaddr / giaddr
/// chosen by the input.
func dhcpPacket(_ r: inout FuzzReader, _ node: Node) -> Int {
    for i in 0..<300 { nodeScratch[i] = 0 }
    let type = 1 + r.byte() % 8
    let client = r.byte() & 15
    let xid = UInt32(r.byte() & 7)
    let shape = r.byte()
    let addressByte = r.byte()
    let address = IPv4Address(node.configuration.prefix.value &+ UInt32(addressByte))
    nodeScratch[0] = 1; nodeScratch[1] = 1; nodeScratch[2] = 6
    nodeScratch.withUnsafeMutableBytes { b in
        Bytes.put32(b, 4, xid)
        if shape & 1 != 0 { Bytes.put32(b, 12, address.value) }  // ciaddr
        if shape & 2 != 0 { Bytes.put32(b, 24, IPv4Address(192, 168, 1, 1).value) }  // giaddr
        if shape & 4 != 0 { Bytes.put16(b, 10, 0x8000) }
        b[28] = 0x0A; b[33] = client
        Bytes.put32(b, 236, DHCPWire.magicCookie)
    }
    var o = 240
    func put(_ bytes: UInt8...) { for x in bytes { nodeScratch[o] = x; o += 1 } }
    put(53, 1, type)
    if shape & 8 != 0 { put(50, 4, address.octet(0), address.octet(1), address.octet(2), address.octet(3)) }
    if shape & 16 != 0 {
        let s = shape & 32 != 0 ? (node.optionStore.serverIdentifier ?? IPv4Address(10, 9, 9, 9)) : IPv4Address(10, 9, 9, 9)
        put(54, 4, s.octet(0), s.octet(1), s.octet(2), s.octet(3))
    }
    if shape & 64 != 0 { put(55, 4, 1, 3, 6, 51) }
    put(255)
    return max(o, 300)
}

/// An UPDATECLAIM or INQUIRE of our pool from peer id byte << 8 (so both smaller and larger than
/// ours), with up to 8 entries of blocks near the pool (one past its end reachable).
func blockMessage(_ r: inout FuzzReader, _ node: Node) -> Int {
    let id = NodeID(UInt64(r.byte()) << 8)
    let kindAndCount = r.byte()
    let count = Int(kindAndCount & 7) + 1
    let command: MeshCommand = kindAndCount & 0x80 != 0 ? .inquire : .updateClaim
    let entrySize = command == .inquire ? MeshWire.inquireEntrySize : MeshWire.claimEntrySize
    let n = MeshWire.headerSize + count * entrySize
    nodeScratch.withUnsafeMutableBytes { b in
        MeshWire.writeHeader(b, nodeID: id, pool: node.meshPool, command: command, count: UInt8(count))
        for i in 0..<count {
            let block = UInt32(r.byte()) % UInt32(node.blockCount + 1)
            if command == .inquire {
                MeshWire.writeInquireEntry(b, i, block: block)
            } else {
                MeshWire.writeClaimEntry(b, i, block: block, timeout: UInt16(r.byte()) * 2)
            }
        }
    }
    return n
}

/// A RENEWLEASE / LEASEACK / LEASENAK of our pool for an address near the pool, in either byte
/// order, with a small xid and client.
func leaseMessage(_ r: inout FuzzReader, _ node: Node) -> Int {
    let id = NodeID(UInt64(r.byte()) << 8)
    let c = r.byte()
    let command: MeshCommand = c % 3 == 0 ? .renewLease : c % 3 == 1 ? .leaseAck : .leaseNak
    let address = IPv4Address(node.configuration.prefix.value &+ UInt32(r.byte()))
    var payload = LeasePayload(address: address, littleEndian: c & 0x80 != 0, xid: UInt32(r.byte() & 7),
                               chaddr: HardwareAddress(high: 0x0A00_0000_0000_0000 | UInt64(r.byte() & 15) << 16, low: 0))
    payload.leaseSeconds = UInt32(r.byte()) * 60
    return nodeScratch.withUnsafeMutableBytes { b in
        MeshWire.writeLeaseMessage(b, nodeID: id, pool: node.meshPool, command: command, payload: payload)
    }
}

/// The core's invariants, from its own tables.
func checkNodeInvariants(_ node: Node, _ st: NodeFuzzState, _ sink: FuzzSink, fromDHCP: Bool) {
    let t = node.table
    let now = st.now
    // Lease-table slots: every slot exactly once, either free or with one block.
    var slotUser = [Int](repeating: -1, count: t.slotCount)
    var used = 0
    for b in 0..<t.count {
        let block = t.blocks[b]
        let slot = Int(block.leaseSlot)
        if slot >= 0 {
            check(slot < t.slotCount, "slot out of range")
            check(slotUser[slot] == -1, "two blocks share a lease table")
            slotUser[slot] = b
            used += 1
        }
        switch block.state {
        case .free:
            // Only a block of a restored image that waits for the table answer (D-191).
            check(slot < 0 || node.persist.pendingBlocks.contains(UInt32(b)), "FREE block with a lease table")
            check(block.owner == .zero, "FREE block with an owner")
        case .ours:
            check(slot >= 0, "own block without a lease table")
            check(block.owner == node.nodeID, "own block with another owner")
            check(block.timeout >= now, "own block past its timeout")
        case .claimed:
            check(block.owner != node.nodeID, "foreign block owned by us")
        case .tentative, .claiming, .blocked:
            check(slot < 0 || node.persist.pendingBlocks.contains(UInt32(b)), "lease table on a block we neither own nor lost")
        }
        check(block.claimCounter <= 3, "claim counter")
    }
    for s in t.freeSlots {
        check(s >= 0 && Int(s) < t.slotCount, "free slot out of range")
        check(slotUser[Int(s)] == -1, "a free slot in use or listed twice")
        slotUser[Int(s)] = -2
    }
    check(used + t.freeSlots.count == t.slotCount, "lease tables lost or duplicated")
    // The block table's incremental counts and expiry bounds match a full recount (D-200).
    check(t.countsMatch(), "block table counts differ from a recount")
    // Leases: held ones end within one lease time of now, except that one restored from a state
    // image ends at the hold recorded there, at most one renewal cover later (D-193); never the
    // server identifier in an own block.
    let longest = now + st.maxLeaseTime * 1000 + Node.leaseSlackMs
    let longestRestored = longest + max(st.maxLeaseTime * 1000, StateImage.minimumRenewalCoverMs)
    let serverID = node.optionStore.serverIdentifier
    for b in 0..<t.count where t.hasTable(b) {
        for i in 0..<t.blockSize {
            let l = t.leases[t.slabIndex(b, i)]
            if l.isHeld {
                check(l.end <= (l.restoredHold ? longestRestored : longest), "lease ends beyond the lease time")
                if t.blocks[b].state == .ours && t.address(block: b, lease: i) == serverID {
                    fail("server identifier leased")
                }
            }
        }
    }
    // Replies: an OFFER or ACK names an address held by that client; from DHCP input (not a
    // forwarded answer) only in a block we own.
    for reply in sink.replies where reply.type == DHCPMessageType.offer.rawValue || (reply.type == DHCPMessageType.ack.rawValue && reply.address != .zero) {
        guard let (b, i) = t.location(of: reply.address) else { fail("reply for an address outside the pool") }
        check(reply.address != serverID, "server identifier offered")
        // A forwarded request's ACK is relayed even when its block's table is gone (the block
        // expired meanwhile): the owner granted it.
        if !fromDHCP && !t.hasTable(b) { continue }
        check(t.hasTable(b), "reply for a block without a lease table")
        let l = t.leases[t.slabIndex(b, i)]
        check(l.isHeld && l.chaddr == reply.chaddr, "reply for an address not held by the client")
        if reply.type == DHCPMessageType.ack.rawValue { check(l.state == .leased, "ACK without a lease") }
        if fromDHCP && reply.type == DHCPMessageType.offer.rawValue { check(t.blocks[b].state == .ours, "OFFER from a block not ours") }
    }
    // Bounded lists.
    check(node.inquiryList.count <= node.inquiryListCapacity, "claiming list size")
    for (k, c) in node.inquiryList.enumerated() {
        check(Int(c) < t.count, "claiming list entry")
        for d in node.inquiryList[(k + 1)...] { check(c != d, "block twice on the claiming list") }
    }
    check(node.requests.count <= RequestCache.capacity, "request cache")
    check(node.waitingClients(now: now) <= ClientDemand.capacity, "demand")
    check(node.nextHousekeeping > now, "housekeeping not rescheduled")
    // Counters.
    let s = node.statistics
    for c in Statistics.Counter.allCases { check(s[c] >= 0, "negative counter") }
    check(s[.mcastRecvPkg] == st.mcastRecv && s[.directRecvPkg] == st.directRecv && s[.dhcpRecvPkg] == st.dhcpRecv, "receive counters")
    if !(s[.mcastSendPkg] == st.mcastSent && s[.directSendPkg] == st.directSent && s[.dhcpSendPkg] == st.dhcpSent) {
        fatalError("fuzz invariant violated: send counters mcast \(s[.mcastSendPkg])/\(st.mcastSent) direct \(s[.directSendPkg])/\(st.directSent) dhcp \(s[.dhcpSendPkg])/\(st.dhcpSent)")
    }
    check(s[.mcastRecvUpdateclaim] + s[.mcastRecvInquire] <= s[.mcastRecvPkg], "multicast message counters")
    check(s[.directRecvRenewlease] + s[.directRecvLeaseack] + s[.directRecvLeasenak] + s[.directRecvRelease] <= s[.directRecvPkg], "unicast message counters")
    check(s[.dhcpRecvDiscover] + s[.dhcpRecvRequest] + s[.dhcpRecvRelease] + s[.dhcpRecvInform] <= s[.dhcpRecvPkg], "DHCP message counters")
    check(s[.dhcpSendOffer] + s[.dhcpSendAck] + s[.dhcpSendNak] <= s[.dhcpSendPkg], "DHCP reply counters")
    check(s[.mcastSendUpdateclaim] + s[.mcastSendInquire] <= s[.mcastSendPkg], "multicast send counters")
}

// Restart survival (docs/fast-join.md#restart-survival, D-74..D-76): the node's owned blocks
// and leases as a byte image. The core produces and checks the bytes; the shell stores them
// (ActionSink.writeState, a file under /tmp written with tmp + rename) and hands them back at
// start (Node.restoreState). Nothing here does I/O.
//
// Writes are rare: at most one per StateImage.periodMs when something changed, plus one when a
// new client would get an address the image does not cover yet (at most one per
// StateImage.urgentSpacingMs). Every image marks the next `provisionalCount` addresses new
// clients will get as "maybe given", so that leases granted after the last write and lost with
// a kill -9 are never given to anybody else after the restart (D-75). A lease is recorded with
// a hold beyond its end that covers the renewals granted until the next write; one that would
// end later is written first (D-193).

/// Image layout (big-endian), version 4 (docs/fast-join.md#restart-survival):
///   0 "DDHS"  4 version  5..7 zero  8 prefix  12 prefix length  13 block size
///   14 dropped blocks (u16)
///   16 node id (u64)  24 written at (monotonic ms, i64)  32 blocks (u32)  36 total length (u32)
///   40 blocks: index u32, peers' timeout (monotonic ms, i64), first claimed (monotonic ms,
///      i64), needless since (monotonic ms, i64; Int64.min: not marked), leases u16; then per lease:
///      lease index u8, kind u8 (2 leased, 3 declined, 4 maybe given, 5 holder unknown),
///      end (monotonic ms, i64; of kinds 2 and 5 the hold, D-193), chaddr (16)
///   then dropped blocks (D-192): index u32, dropped at (monotonic ms, i64)
///   last 4 bytes: FNV-1a (32 bit) of everything before.
public enum StateImage {
    /// 2: block records carry first-claimed and needless-since (D-190); version 1 images are
    /// ignored ("unsupported version"), as after a reboot.
    /// 3: dropped blocks after the block records (D-192).
    /// 4: the end of a lease or holder-unknown placeholder is its hold, beyond its end by the
    /// renewal cover (D-193). A version 3 image recorded true ends, which a renewal after the
    /// write outlives, so it is ignored.
    public static let version: UInt8 = 4
    static let headerSize = 40
    static let blockRecordSize = 30
    /// Field offsets inside one block record.
    enum Block {
        static let index = 0  // u32
        static let timeout = 4  // i64
        static let firstClaimed = 12  // i64
        static let needlessSince = 20  // i64, Int64.min: not marked
        static let leaseCount = 28  // u16
    }
    static let leaseRecordSize = 26
    static let droppedRecordSize = 12
    static let checksumSize = 4
    /// Periodic writes: at most one per 10 s, only if something changed.
    public static let periodMs: Millis = 10_000
    /// Writes forced by a new address: at least 250 ms after the previous write.
    public static let urgentSpacingMs: Millis = 250
    /// Addresses marked "maybe given" per image: 8, at most a quarter of a block.
    static func provisionalCount(blockSize: Int) -> Int { max(1, min(8, blockSize / 4)) }
    /// D-193: the renewal cover is at least this long (three periods: a renewal reaches the
    /// image within one period and a housekeeping spacing, so even leases of a few seconds
    /// renewed at T1 need no extra writes).
    static let minimumRenewalCoverMs: Millis = 3 * periodMs

    static let kindLeased: UInt8 = 2
    static let kindDeclined: UInt8 = 3
    static let kindMaybeGiven: UInt8 = 4
    static let kindHolderUnknown: UInt8 = 5

    /// Largest image for a configuration: every lease table full.
    static func capacity(slots: Int, blockSize: Int) -> Int {
        headerSize + slots * (blockRecordSize + blockSize * leaseRecordSize + droppedRecordSize) + checksumSize
    }

    static func fnv(_ b: UnsafeRawBufferPointer, count: Int) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for i in 0..<count { h = (h ^ UInt32(b[i])) &* 0x0100_0193 }
        return h
    }
}

/// Why an image was not used (one log line each).
public enum StateImageProblem: Equatable, Sendable {
    case truncated, badMagic, unsupportedVersion, checksum, otherPool, otherNode, fromTheFuture, malformed
}

struct PersistState {
    var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var lastWrite: Millis = .min
    var lastDigest: UInt32 = 0
    var writes = 0
    /// Blocks of the restored image whose recorded claim timeout had passed (the image is up
    /// to StateImage.periodMs old, the peers may have a later refresh): their leases wait in a
    /// lease table while the block stays FREE, and a table answer that still shows the block as
    /// ours takes it back with them (D-191). Emptied when the fast join ends.
    var pendingBlocks: [UInt32] = []
    /// Their first-claimed times from the image (a FREE block has no field for it, D-220).
    var pendingFirstClaimed: [Millis] = []
    /// D-192: blocks this node dropped as needless (entirely FREE, nothing announced) less
    /// than a block timeout ago, and when. Peers may still show them as ours; a restart must
    /// not take them back. At most `slots` entries (the oldest goes first).
    var droppedBlocks: [UInt32] = []
    var droppedAt: [Millis] = []
    /// A change that should be in the image at the next housekeeping, not after periodMs.
    var writeSoon = false
}


extension Node {
    var persisting: Bool { persist.buffer.count > 0 }

    /// The fast join is over (D-191): blocks still waiting were not confirmed as ours. One the
    /// answer gave to another node keeps our lease table for forwarding (D-13); the others
    /// (FREE, or TENTATIVE after someone's INQUIRE) keep none.
    func forgetPendingBlocks() {
        for b in persist.pendingBlocks where table.blocks[Int(b)].state != .claimed && table.blocks[Int(b)].state != .ours {
            table.releaseTable(Int(b))
        }
        persist.pendingBlocks.removeAll()
        persist.pendingFirstClaimed.removeAll()
    }

    /// D-192: forget drops older than a block timeout (the peers have let them expire).
    func pruneDroppedBlocks(now: Millis) {
        var k = 0
        while k < persist.droppedBlocks.count {
            if persist.droppedAt[k] <= now - blockTimeoutMs {
                persist.droppedBlocks.remove(at: k)
                persist.droppedAt.remove(at: k)
            } else {
                k += 1
            }
        }
    }

    /// D-192: block `b` was dropped as needless at `at`.
    func noteDroppedBlock(_ b: Int, at: Millis, now: Millis) {
        guard persisting else { return }
        pruneDroppedBlocks(now: now)
        if let k = persist.droppedBlocks.firstIndex(of: UInt32(b)) {
            persist.droppedBlocks.remove(at: k)
            persist.droppedAt.remove(at: k)
        }
        if persist.droppedBlocks.count >= table.slotCount {
            persist.droppedBlocks.remove(at: 0)
            persist.droppedAt.remove(at: 0)
        }
        persist.droppedBlocks.append(UInt32(b))
        persist.droppedAt.append(at)
        persist.writeSoon = true
    }

    /// D-192: the fast join must not take block `b` back (dropped by us while entirely FREE).
    func droppedByUs(_ b: Int, now: Millis) -> Bool {
        guard let k = persist.droppedBlocks.firstIndex(of: UInt32(b)) else { return false }
        return persist.droppedAt[k] > now - blockTimeoutMs && !persist.pendingBlocks.contains(UInt32(b))
    }

    /// Called from init.
    func stateImageSetUp() {
        guard configuration.keepsStateImage else { return }
        let n = StateImage.capacity(slots: table.slotCount, blockSize: table.blockSize)
        // Uninitialised: pages that are never written cost no resident memory.
        persist.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 8)
    }

    /// Bytes the largest image of this configuration takes (the shell's read buffer).
    public var stateImageCapacity: Int { StateImage.capacity(slots: table.slotCount, blockSize: table.blockSize) }

    /// Number of images handed to the shell so far.
    public var stateImageWrites: Int { persist.writes }

    /// Writes the image into the node's buffer; returns its length. Marks the next
    /// `provisionalCount` FREE addresses new clients would get as maybe given.
    @inline(never)  // one copy: keeps the binary small
    func encodeStateImage(now: Millis) -> Int {
        markProvisional()
        let b = persist.buffer
        var o = StateImage.headerSize
        var blocks: UInt32 = 0
        for i in 0..<table.count where table.blocks[i].state == .ours && table.hasTable(i) {
            let countAt = o + StateImage.Block.leaseCount
            let block = table.blocks[i]
            Bytes.put32(b, o + StateImage.Block.index, UInt32(i))
            Bytes.put64(b, o + StateImage.Block.timeout, UInt64(bitPattern: block.timeout))
            // D-190: the block's age and needless timer survive a restart.
            Bytes.put64(b, o + StateImage.Block.firstClaimed, UInt64(bitPattern: block.firstClaimed))
            Bytes.put64(b, o + StateImage.Block.needlessSince,
                        UInt64(bitPattern: block.needlessMarked ? block.needlessSince : Millis.min))
            o += StateImage.blockRecordSize
            var n: UInt16 = 0
            let base = table.slabIndex(i, 0)
            for k in 0..<table.blockSize {
                let l = table.leases[base + k]
                let kind: UInt8
                switch l.state {
                case .leased: kind = StateImage.kindLeased
                case .offered: kind = StateImage.kindMaybeGiven  // may be acknowledged any moment
                case .declined: kind = l.unknownHolder ? StateImage.kindHolderUnknown : StateImage.kindDeclined
                case .free:
                    guard l.provisional else { continue }
                    kind = StateImage.kindMaybeGiven
                }
                // D-193: how long a restart keeps the address for its holder. A lease or
                // placeholder its holder may renew before the next write is held one renewal
                // cover past its end; a hold restored from an earlier image stays as it is (no
                // growth per restart); a maybe-given address is held a lease time from the restart.
                var hold = l.end
                if kind == StateImage.kindLeased || kind == StateImage.kindHolderUnknown {
                    if !l.restoredHold { hold = l.end + renewalCoverMs }
                    table.leases.base[base + k].imageHold = hold
                } else {
                    table.leases.base[base + k].imageHold = kind == StateImage.kindMaybeGiven ? .max : .min
                }
                b[o] = UInt8(k)
                b[o + 1] = kind
                Bytes.put64(b, o + 2, UInt64(bitPattern: hold))
                Bytes.putHardware(b, o + 10, l.chaddr)
                o += StateImage.leaseRecordSize
                n += 1
            }
            Bytes.put16(b, countAt, n)
            blocks += 1
        }
        pruneDroppedBlocks(now: now)
        var dropped: UInt16 = 0
        for k in 0..<persist.droppedBlocks.count where table.blocks[Int(persist.droppedBlocks[k])].state != .ours {
            Bytes.put32(b, o, persist.droppedBlocks[k])
            Bytes.put64(b, o + 4, UInt64(bitPattern: persist.droppedAt[k]))
            o += StateImage.droppedRecordSize
            dropped += 1
        }
        b[0] = 0x44; b[1] = 0x44; b[2] = 0x48; b[3] = 0x53  // "DDHS"
        b[4] = StateImage.version
        b[5] = 0; b[6] = 0; b[7] = 0
        Bytes.put32(b, 8, pool.prefix.value)
        b[12] = pool.prefixLength
        b[13] = pool.blockSize
        Bytes.put16(b, 14, dropped)
        Bytes.put64(b, 16, configuration.nodeID.value)
        Bytes.put64(b, 24, UInt64(bitPattern: now))
        Bytes.put32(b, 32, blocks)
        let total = o + StateImage.checksumSize
        Bytes.put32(b, 36, UInt32(total))
        Bytes.put32(b, o, StateImage.fnv(UnsafeRawBufferPointer(b), count: o))
        return total
    }

    /// The next addresses step 3 of docs/protocol.md#choosing-an-address hands out: the lowest
    /// FREE ones of the oldest blocks. D-195: blocks marked needless come last (a restart holds
    /// a maybe-given address, which would restart the block's needless timer), so they get
    /// marks only when the other blocks have too few FREE addresses.
    @inline(never)  // one copy: keeps the binary small
    func markProvisional() {
        var left = StateImage.provisionalCount(blockSize: table.blockSize)
        for pass in 0..<2 {
            let needless = pass == 1
            var done = 0  // blocks visited, oldest first
            var lastFirst = Millis.min
            var lastIndex = -1
            while left > 0 && done < table.count {
                // Next block in (firstClaimed, index) order.
                var next = -1
                for b in 0..<table.count where table.blocks[b].state == .ours && table.hasTable(b)
                    && table.blocks[b].needlessMarked == needless {
                    let f = table.blocks[b].firstClaimed
                    guard f > lastFirst || (f == lastFirst && b > lastIndex) else { continue }
                    if next < 0 || f < table.blocks[next].firstClaimed || (f == table.blocks[next].firstClaimed && b < next) { next = b }
                }
                guard next >= 0 else { break }
                lastFirst = table.blocks[next].firstClaimed
                lastIndex = next
                done += 1
                let base = table.slabIndex(next, 0)
                for k in 0..<table.blockSize where left > 0 && table.leases[base + k].state == .free
                    && isAssignable(table.address(block: next, lease: k)) {
                    table.leases[base + k].provisional = true
                    left -= 1
                }
            }
        }
    }

    /// Hands the image to the shell; false if it could not be stored.
    @inline(never)  // one copy: keeps the binary small
    @discardableResult
    func writeStateImage<S: ActionSink>(now: Millis, sink: inout S) -> Bool {
        let n = encodeStateImage(now: now)
        let ok = sink.writeState(UnsafeRawBufferPointer(rebasing: persist.buffer[0..<n]))
        persist.lastWrite = now
        persist.lastDigest = stateDigest()
        persist.writeSoon = false
        if ok { persist.writes += 1 }
        log(.debug, &sink) { $0.append("State image written: "); $0.append(n); $0.append(" bytes") }
        return ok
    }

    /// What the image records, hashed (periodic writes happen only when it changed).
    @inline(never)  // one copy: keeps the binary small
    func stateDigest() -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        @inline(__always) func mix(_ v: UInt64) { h = (h ^ UInt32(truncatingIfNeeded: v ^ (v >> 32))) &* 0x0100_0193 }
        for i in 0..<table.count where table.blocks[i].state == .ours && table.hasTable(i) {
            mix(UInt64(i))
            mix(UInt64(bitPattern: table.blocks[i].timeout / 1000))
            mix(table.blocks[i].needlessMarked ? UInt64(bitPattern: table.blocks[i].needlessSince) : 0)
            let base = table.slabIndex(i, 0)
            for k in 0..<table.blockSize where table.leases[base + k].state != .free {
                let l = table.leases[base + k]
                mix(UInt64(k) << 8 | UInt64(l.state.rawValue))
                mix(UInt64(bitPattern: l.end / 1000))
                mix(l.chaddr.high)
            }
        }
        for k in 0..<persist.droppedBlocks.count { mix(UInt64(persist.droppedBlocks[k]) << 32 | 0xD) }
        return h
    }

    /// End of housekeeping: the periodic write, or an early one when no address for a new
    /// client is covered by the image (so the next DISCOVER needs no write).
    func persistIfDue<S: ActionSink>(now: Millis, sink: inout S) {
        guard persisting else { return }
        if persist.writeSoon || now >= persist.lastWrite &+ StateImage.periodMs {
            if stateDigest() != persist.lastDigest { writeStateImage(now: now, sink: &sink) }
        } else if now >= persist.lastWrite &+ StateImage.urgentSpacingMs && !hasProvisionalFree() {
            writeStateImage(now: now, sink: &sink)
        }
    }

    /// True if a FREE address marked maybe given is left, or no FREE address at all.
    @inline(never)  // one copy: keeps the binary small
    func hasProvisionalFree() -> Bool {
        var anyFree = false
        for b in 0..<table.count where table.blocks[b].state == .ours && table.hasTable(b) {
            let base = table.slabIndex(b, 0)
            for k in 0..<table.blockSize where table.leases[base + k].state == .free {
                if table.leases[base + k].provisional { return true }
                anyFree = true
            }
        }
        return !anyFree
    }

    /// D-193: how far past a lease's end the image holds it: a lease time (at least
    /// StateImage.minimumRenewalCoverMs). A renewal within that time of the acknowledgement
    /// the image records fits; the periodic write then records the new end.
    var renewalCoverMs: Millis { max(Millis(optionStore.leaseTime) * 1000, StateImage.minimumRenewalCoverMs) }

    /// Before an address that is FREE (not held by this client) is offered or acknowledged
    /// (D-75): it must be in the image as maybe given. Before a lease or placeholder is
    /// acknowledged again (`acknowledging`), the image must hold it at least until the new end
    /// (D-193, Lease.imageHold). True if it may be handed out now.
    func persistGrant<S: ActionSink>(_ b: Int, _ i: Int, acknowledging: Bool = true, now: Millis, sink: inout S) -> Bool {
        guard persisting, table.hasTable(b) else { return true }
        let s = table.slabIndex(b, i)
        let l = table.leases[s]
        if l.state == .free {
            if l.provisional { return true }
        } else if !acknowledging || leaseEnd(now) <= l.imageHold {
            return true
        }
        guard persist.lastWrite == .min || now >= persist.lastWrite + StateImage.urgentSpacingMs else {
            log(.debug, &sink) { $0.append("State image written just now: address held back") }
            return false
        }
        if l.state == .free {
            table.leases[s].provisional = true
        } else {
            // The image gets the renewal before the client does.
            table.leases[s].end = max(l.end, leaseEnd(now))
            table.leases[s].restoredHold = false
        }
        writeStateImage(now: now, sink: &sink)
        return true
    }

    /// Takes over the blocks and leases of an image written by an earlier run of this node
    /// (same boot, same command line). Call after init and before `start`. Returns false, with
    /// one log line, if the image is not usable; then the node starts as if there was none.
    @inline(never)  // one copy: keeps the binary small
    @discardableResult
    public func restoreState<S: ActionSink>(_ image: UnsafeRawBufferPointer, now: Millis, sink: inout S) -> Bool {
        if let problem = checkStateImage(image, now: now) {
            log(.warning, &sink) {
                $0.append("State image ignored: ")
                switch problem {
                case .truncated: $0.append("truncated")
                case .badMagic: $0.append("not a state image")
                case .unsupportedVersion: $0.append("unsupported version")
                case .checksum: $0.append("checksum mismatch (corrupt)")
                case .otherPool: $0.append("written for another network or block size")
                case .otherNode: $0.append("written by another node id")
                case .fromTheFuture: $0.append("written after now (another boot)")
                case .malformed: $0.append("malformed block or lease record")
                }
            }
            return false
        }
        let blocks = Int(Bytes.u32(image, 32))
        var o = StateImage.headerSize
        var restoredBlocks = 0
        var restoredLeases = 0
        for _ in 0..<blocks {
            let b = Int(Bytes.u32(image, o + StateImage.Block.index))
            let timeout = Millis(bitPattern: Bytes.u64(image, o + StateImage.Block.timeout))
            let firstClaimed = Millis(bitPattern: Bytes.u64(image, o + StateImage.Block.firstClaimed))
            let needlessSince = Millis(bitPattern: Bytes.u64(image, o + StateImage.Block.needlessSince))
            let n = Int(Bytes.u16(image, o + StateImage.Block.leaseCount))
            o += StateImage.blockRecordSize
            let leases = o
            o += n * StateImage.leaseRecordSize
            // The recorded claim has ended: the peers may have forgotten it and someone else
            // may own the block now. Only a table answer can tell (D-191); without one the
            // block is not ours.
            let stale = timeout <= now + 1000
            guard table.blocks[b].state == .free, !stale || join.phase == .asking, table.attachTable(b) else { continue }
            if stale {
                persist.pendingBlocks.append(UInt32(b))
                persist.pendingFirstClaimed.append(min(firstClaimed, now))
            } else {
            table.blocks[b].claimCounter = 3
            own(b, now: now, sink: &sink)
            // D-190: keep the block's age (address order, which blocks are the youngest) and a
            // running needless timer; the time the node was down counts, nobody could get an
            // address of an empty block meanwhile. A block that gets leases back loses the mark
            // at the next housekeeping.
            var entry = table.blocks[b]
            entry.firstClaimed = min(firstClaimed, now)
            if needlessSince != .min && needlessSince <= now {
                entry.needlessMarked = true
                entry.needlessSince = needlessSince
                needlessMarksExist = true
            }
            table.blocks[b] = entry
            restoredBlocks += 1
            }
            let base = table.slabIndex(b, 0)
            for r in 0..<n {
                let p = leases + r * StateImage.leaseRecordSize
                let k = Int(image[p])
                let end = Millis(bitPattern: Bytes.u64(image, p + 2))
                let chaddr = Bytes.hardware(image, p + 10)
                switch image[p + 1] {
                // D-193: a lease or placeholder ends at its recorded hold, which the file holds;
                // a maybe-given address is held a lease time from now, and the file (until the
                // next write) makes any later restart hold it a lease time from then.
                case StateImage.kindLeased where end > now:
                    table.leases[base + k] = Lease(state: .leased, xid: 0, chaddr: chaddr, end: end, imageHold: end,
                                                   restoredHold: true)
                    restoredLeases += 1
                case StateImage.kindDeclined where end > now:
                    table.leases[base + k] = Lease(state: .declined, xid: 0, chaddr: .zero, end: end)
                case StateImage.kindMaybeGiven:
                    table.leases[base + k] = Lease(state: .declined, xid: 0, chaddr: .zero, end: leaseEnd(now), imageHold: .max,
                                                   unknownHolder: true)
                case StateImage.kindHolderUnknown where end > now:
                    table.leases[base + k] = Lease(state: .declined, xid: 0, chaddr: .zero, end: end, imageHold: end,
                                                   unknownHolder: true, restoredHold: true)
                default:
                    break
                }
            }
        }
        // D-192: drops of the earlier run still within a block timeout.
        for _ in 0..<Int(Bytes.u16(image, 14)) {
            let b = Int(Bytes.u32(image, o))
            let at = Millis(bitPattern: Bytes.u64(image, o + 4))
            o += StateImage.droppedRecordSize
            guard at <= now, at > now - blockTimeoutMs, table.blocks[b].state != .ours,
                  persist.droppedBlocks.count < table.slotCount else { continue }
            persist.droppedBlocks.append(UInt32(b))
            persist.droppedAt.append(at)
        }
        log(.info, &sink) {
            $0.append("State image: ")
            $0.append(restoredBlocks)
            $0.append(" blocks and ")
            $0.append(restoredLeases)
            $0.append(" leases taken over")
            if !persist.pendingBlocks.isEmpty {
                $0.append(", ")
                $0.append(persist.pendingBlocks.count)
                $0.append(" blocks wait for the table answer")
            }
        }
        guard restoredBlocks > 0 else { return true }
        // Serve from the restored blocks at once; claim more only once the table is known
        // (a complete fast-join answer, or the learning phase's B seconds).
        if learning {
            learning = false
            sink.runHook(.endLearning, address: .zero, clientHardware: .zero)
            join.claimHoldUntil = now + blockTimeoutMs
        }
        nextHousekeeping = now
        persist.lastDigest = stateDigest()
        return true
    }

    @inline(never)  // one copy: keeps the binary small
    func checkStateImage(_ d: UnsafeRawBufferPointer, now: Millis) -> StateImageProblem? {
        guard d.count >= StateImage.headerSize + StateImage.checksumSize else { return .truncated }
        guard d[0] == 0x44, d[1] == 0x44, d[2] == 0x48, d[3] == 0x53 else { return .badMagic }
        guard d[4] == StateImage.version else { return .unsupportedVersion }
        let total = Int(Bytes.u32(d, 36))
        guard total == d.count else { return total > d.count ? .truncated : .malformed }
        guard Bytes.u32(d, total - 4) == StateImage.fnv(d, count: total - 4) else { return .checksum }
        guard Bytes.u32(d, 8) == pool.prefix.value, d[12] == pool.prefixLength, d[13] == pool.blockSize else {
            return .otherPool
        }
        guard Bytes.u64(d, 16) == configuration.nodeID.value else { return .otherNode }
        guard Millis(bitPattern: Bytes.u64(d, 24)) <= now else { return .fromTheFuture }
        // Walk the records: every one inside the image, indices in range, no block twice.
        let blocks = Int(Bytes.u32(d, 32))
        guard blocks <= table.slotCount else { return .malformed }
        var o = StateImage.headerSize
        var previous = -1
        for _ in 0..<blocks {
            guard o + StateImage.blockRecordSize <= total - 4 else { return .malformed }
            let b = Int(Bytes.u32(d, o + StateImage.Block.index))
            let n = Int(Bytes.u16(d, o + StateImage.Block.leaseCount))
            guard b > previous, b < table.count, n <= table.blockSize else { return .malformed }
            previous = b
            o += StateImage.blockRecordSize
            guard o + n * StateImage.leaseRecordSize <= total - 4 else { return .malformed }
            for r in 0..<n {
                let p = o + r * StateImage.leaseRecordSize
                guard Int(d[p]) < table.blockSize, d[p + 1] >= 2, d[p + 1] <= 5 else { return .malformed }
            }
            o += n * StateImage.leaseRecordSize
        }
        let dropped = Int(Bytes.u16(d, 14))
        guard dropped <= table.slotCount, o + dropped * StateImage.droppedRecordSize <= total - 4 else { return .malformed }
        for r in 0..<dropped where Int(Bytes.u32(d, o + r * StateImage.droppedRecordSize)) >= table.count { return .malformed }
        o += dropped * StateImage.droppedRecordSize
        guard o == total - 4 else { return .malformed }
        return nil
    }
}

extension ActionSink {
    /// Default for sinks that keep no state image.
    public mutating func writeState(_ image: UnsafeRawBufferPointer) -> Bool { false }
}

// Block table and lease storage: fixed-size arrays allocated once from the configuration.
// Blocks are indexed by block id; lease tables come from a slab of min(N, 65536/S) tables of S
// entries, and a block holds the index of its slot (or none). Nothing here allocates after init.
// Nothing is written at start that the node does not use (D-222): the block entries come from
// calloc and their all-zero bit pattern is the start state (FREE, no lease table, timeout
// now + B), the slab is allocated uninitialised and a slot's S entries are written only when
// the slot is handed to a block, and slots never used are not listed. Large allocations are
// fresh zero pages from mmap that stay unmapped until written, so what a node never touches
// costs no resident memory.

/// The C library's calloc (the core's only libc call, D-222): zeroed memory that a fresh
/// mapping already is, so calloc writes nothing there and the pages stay non-resident. Given
/// back with `deallocate()` (the Swift runtime frees allocations of this alignment with free).
@_extern(c, "calloc") func cCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer?

/// Block states, numbered as `ddhcpdctl -b` prints them (docs/protocol.md#block-states).
public enum BlockState: UInt8, Sendable {
    case free = 0, tentative = 1, claimed = 2, claiming = 3, ours = 4, blocked = 5
}

/// Lease states (docs/protocol.md#lease-states). `declined` is ours: an address a client declined
/// (DHCPDECLINE) is kept out of use for max(LT, 60 s); it counts as neither offered nor leased in
/// the block table.
public enum LeaseState: UInt8, Sendable {
    case free = 0, offered = 1, leased = 2, declined = 3
}

/// 40 bytes a block (docs/decisions.md D-111, D-220): the one-byte fields and the flag bits come
/// first, packed into the 8 bytes in front of the 8-byte fields (a 1024-block table is 40 KB).
/// The owner's address and the two times only an owned block has share 16 bytes: a CLAIMED (or
/// expired) block needs its owner's address, an OURS or BLOCKED block (our own) has none but
/// needs `firstClaimed` and `needlessSince`.
struct Block: Equatable {
    var state = BlockState.free
    /// INQUIREs sent for it (0–3), printed as "claim". Stays 3 once owned (D-33).
    var claimCounter: UInt8 = 0
    /// The UPDATECLAIM spare byte last sent for an OURS block, or last received for a CLAIMED
    /// one: 0 = no count (a C node, D-80), else 1 + active leases (MergePolicy.swift).
    var advertised: UInt8 = 0
    /// needlessMarked, announcePending, reserved, partlyReserved (bits 0–3).
    private var flags: UInt8 = 0
    /// Lease-table slot, -1 = none; kept as its complement so that zero means none (D-222).
    private var leaseSlotComplement: Int32 = 0
    var owner = NodeID.zero
    /// The owner's address, or for our own blocks (OURS, BLOCKED) `firstClaimed` and
    /// `needlessSince` (D-220).
    private var shared = PeerAddress.zero
    /// Absolute expiry (ms). For OURS blocks: when peers forget the claim unless refreshed.
    var timeout: Millis = 0

    private var isOwn: Bool { state == .ours || state == .blocked }

    var leaseSlot: Int32 {
        get { ~leaseSlotComplement }
        set { leaseSlotComplement = ~newValue }
    }

    /// The address of the node that claimed the block (CLAIMED, and kept when it expires to FREE,
    /// D-33); zero while the block is ours. Set it after the state has left OURS/BLOCKED.
    var ownerAddress: PeerAddress {
        get { isOwn ? .zero : shared }
        set { shared = newValue }
    }
    /// When the block became ours (ms; OURS and BLOCKED only): the oldest own block is used first.
    var firstClaimed: Millis {
        get { Millis(truncatingIfNeeded: shared.high) }
        set { shared.high = UInt64(truncatingIfNeeded: newValue) }
    }
    /// When the block was marked needless (ms; an own block with `needlessMarked` only).
    var needlessSince: Millis {
        get { Millis(truncatingIfNeeded: shared.low) }
        set { shared.low = UInt64(truncatingIfNeeded: newValue) }
    }

    /// The bits of `flags`.
    private enum Flag {
        static let needlessMarked: UInt8 = 1
        static let announcePending: UInt8 = 2
        static let reserved: UInt8 = 4
        static let partlyReserved: UInt8 = 8
    }

    var needlessMarked: Bool { get { has(Flag.needlessMarked) } set { set(Flag.needlessMarked, newValue) } }
    /// Announce in the next UPDATECLAIM round regardless of the refresh threshold (D-05, and
    /// the immediate answer to an INQUIRE or a smaller id's claim).
    var announcePending: Bool { get { has(Flag.announcePending) } set { set(Flag.announcePending, newValue) } }
    /// Every address of the block is reserved (D-83): we never claim it.
    var reserved: Bool { get { has(Flag.reserved) } set { set(Flag.reserved, newValue) } }
    /// Some address of the block is reserved.
    var partlyReserved: Bool { get { has(Flag.partlyReserved) } set { set(Flag.partlyReserved, newValue) } }

    private func has(_ bit: UInt8) -> Bool { flags & bit != 0 }

    private mutating func set(_ bit: UInt8, _ on: Bool) {
        flags = on ? flags | bit : flags & ~bit
    }
}

struct Lease: Equatable {
    var state = LeaseState.free
    var xid: UInt32 = 0
    var chaddr = HardwareAddress.zero
    var end: Millis = 0
    /// D-193: how long the last state image written makes a restart keep this address for its
    /// holder (Millis.max: listed as maybe given, which a restart holds for a lease time from
    /// then; Millis.min: not in it). A renewal ending later is written to the image first.
    var imageHold: Millis = .min
    /// A DECLINED-state placeholder for an address an earlier run of this node may have leased
    /// (docs/fast-join.md, D-73): not offered to new clients until `end`, but acknowledged to
    /// a client that renews it.
    var unknownHolder = false
    /// FREE but written to the state image as maybe given (StateImage.swift, D-75).
    var provisional = false
    /// Restored from a state image: `end` is the hold recorded there, which already covers the
    /// renewals the earlier run may have granted after its last write; written back unchanged,
    /// so restarts never lengthen it (D-193).
    var restoredHold = false

    var isHeld: Bool { state == .offered || state == .leased }
}

/// The lease slab: one allocation of `capacity` leases, owned for the node's lifetime. Entries
/// are initialised per table on slot assignment (`BlockTable.attachTable`); Lease is a trivial
/// type, so partially initialised memory needs no deinitialisation before deallocation.
///
/// Every write goes through the subscript, which keeps, per table, the number of FREE and of
/// OFFERED leases (so spare counts and "all free" need no scan of the table), and a lower bound
/// of the earliest end of a non-FREE lease (housekeeping scans leases only once that bound has
/// passed, D-200). `countsMatch` recounts both for debug cross-checks.
final class LeaseSlab {
    let base: UnsafeMutablePointer<Lease>
    let capacity: Int
    /// Leases per table (the block size).
    let tableSize: Int
    /// Per table: FREE and OFFERED leases. Written when the table is initialised.
    let freeCounts: UnsafeMutablePointer<UInt16>
    let offeredCounts: UnsafeMutablePointer<UInt16>
    /// No lease that is not FREE ends before this (a bound: it may be lower than the earliest
    /// end). .min until the first scan of every table sets it.
    var expiryBound: Millis = .min

    init(tables: Int, tableSize: Int) {
        self.tableSize = tableSize
        capacity = tables * tableSize
        base = UnsafeMutablePointer<Lease>.allocate(capacity: max(capacity, 1))
        freeCounts = UnsafeMutablePointer<UInt16>.allocate(capacity: max(tables, 1))
        offeredCounts = UnsafeMutablePointer<UInt16>.allocate(capacity: max(tables, 1))
    }

    deinit {
        base.deallocate()
        freeCounts.deallocate()
        offeredCounts.deallocate()
    }

    subscript(i: Int) -> Lease {
        @inline(__always) get { base[i] }
        set { replace(i, with: newValue) }
    }

    /// The one write path (not inlined: every write site would carry the bookkeeping).
    @inline(never) func replace(_ i: Int, with newValue: Lease) {
        do {
            let old = base[i].state
            base[i] = newValue
            if old != newValue.state {
                let t = i / tableSize
                if old == .free { freeCounts[t] &-= 1 } else if old == .offered { offeredCounts[t] &-= 1 }
                if newValue.state == .free { freeCounts[t] &+= 1 } else if newValue.state == .offered { offeredCounts[t] &+= 1 }
            }
            if newValue.state != .free && newValue.end < expiryBound { expiryBound = newValue.end }
        }
    }

    /// Writes `count` FREE leases from `start` (one whole table).
    func initializeFree(from start: Int, count: Int) {
        assert(start % tableSize == 0 && count == tableSize, "tables are initialised whole")
        (base + start).initialize(repeating: Lease(), count: count)
        freeCounts[start / tableSize] = UInt16(truncatingIfNeeded: count)
        offeredCounts[start / tableSize] = 0
    }

    /// FREE leases of the table starting at slab index `start`.
    @inline(__always) func freeCount(table start: Int) -> Int { Int(freeCounts[start / tableSize]) }
    @inline(__always) func offeredCount(table start: Int) -> Int { Int(offeredCounts[start / tableSize]) }

    /// Lowers the expiry bound to the end of lease `i` if it is not FREE.
    @inline(__always) func noteExpiry(_ i: Int) {
        if base[i].state != .free && base[i].end < expiryBound { expiryBound = base[i].end }
    }

    /// Recounts the table starting at `start`: true if its counts and the expiry bound hold.
    func countsMatch(table start: Int) -> Bool {
        var free = 0
        var offered = 0
        for i in start..<(start + tableSize) {
            let l = base[i]
            if l.state == .free { free += 1 } else if l.state == .offered { offered += 1 }
            if l.state != .free && l.end < expiryBound { return false }
        }
        return free == freeCount(table: start) && offered == offeredCount(table: start)
    }

    /// The slab's bytes (tests check that untouched slots stay non-resident).
    var region: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: capacity * MemoryLayout<Lease>.stride)
    }
}

/// The block table's entries. Every write goes through the subscript, which keeps what
/// housekeeping would otherwise recount from the whole table after every multicast (D-200):
/// bit sets of OURS blocks, of blocks with a lease table and of claimable (FREE, not reserved)
/// blocks, the number of FREE and of claimable blocks, and a lower bound of the earliest timeout
/// of a block that can expire. `countsMatch` recounts them for debug cross-checks.
struct BlockArray {
    /// The entries, the bit sets and the counts, allocated once (shared by copies; only the
    /// node's own table is ever written).
    let index: BlockIndex

    /// `count` blocks in the start state: FREE, no lease table, timeout `initialTimeout`.
    init(count: Int, initialTimeout: Millis) {
        index = BlockIndex(count: count, initialTimeout: initialTimeout)
    }

    var count: Int { index.count }
    var freeCount: Int { index.freeCount }
    var claimableCount: Int { index.claimableCount }
    /// No block in a state that expires (not FREE or BLOCKED) has a timeout before this (a
    /// bound: it may be lower than the earliest timeout). .min until the first full scan sets it.
    var expiryBound: Millis {
        get { index.expiryBound }
        nonmutating set { index.expiryBound = newValue }
    }

    subscript(i: Int) -> Block {
        @inline(__always) get { index.entry(i) }
        nonmutating set { index.replace(i, with: newValue) }
    }

    /// Every entry, in block order (tests and the recount).
    var storage: [Block] {
        var all: [Block] = []
        for i in 0..<count { all.append(self[i]) }
        return all
    }

    /// The first OURS block at or after `from`; `count` if none.
    func nextOurs(from: Int) -> Int { index.next(from: from, ours: true, tables: false) }
    /// The first block with a lease table at or after `from`.
    func nextWithTable(from: Int) -> Int { index.next(from: from, ours: false, tables: true) }
    /// The first block that is not OURS but has a lease table at or after `from`.
    func nextForeignTable(from: Int) -> Int { index.next(from: from, ours: false, tables: false) }
    /// The `k`-th (from 0) claimable block; `count` if there are not that many.
    func claimableBlock(_ k: Int) -> Int { index.claimable(k) }

    /// Recounts everything kept: true if the bit sets, the counts and the expiry bound hold.
    func countsMatch() -> Bool {
        let fresh = BlockArray(count: count, initialTimeout: index.initialTimeout)
        for i in 0..<count {
            let b = self[i]
            if BlockIndex.expires(b.state) && b.timeout < expiryBound { return false }
            fresh[i] = b
        }
        return fresh.index.matches(index)
    }
}

/// BlockArray's storage and bookkeeping: the entries, three bit sets of `count` bits and the
/// counts. An entry is stored with its timeout less `initialTimeout`, so that the start state
/// of a block is all zero bits and calloc's untouched pages hold it (D-222).
final class BlockIndex {
    let count: Int
    let words: Int
    let entries: UnsafeMutablePointer<Block>
    /// now + B at start: the timeout of a block never written.
    let initialTimeout: Millis
    /// OURS, has a lease table, claimable: `words` words each, one after the other.
    let bits: UnsafeMutablePointer<UInt64>
    var freeCount: Int
    var claimableCount: Int
    var expiryBound: Millis = .min

    init(count: Int, initialTimeout: Millis) {
        self.count = count
        self.initialTimeout = initialTimeout
        words = (count + 63) / 64
        guard let raw = cCalloc(max(count, 1), MemoryLayout<Block>.stride) else { fatalError("out of memory") }
        entries = raw.bindMemory(to: Block.self, capacity: max(count, 1))
        bits = UnsafeMutablePointer<UInt64>.allocate(capacity: max(3 * words, 1))
        bits.initialize(repeating: 0, count: max(3 * words, 1))
        // Every block starts FREE and claimable.
        freeCount = count
        claimableCount = count
        for i in 0..<count { bits[2 * words + (i >> 6)] |= UInt64(1) << UInt64(i & 63) }
    }

    deinit {
        UnsafeMutableRawPointer(entries).deallocate()
        bits.deallocate()
    }

    @inline(__always) func entry(_ i: Int) -> Block {
        assert(UInt(bitPattern: i) < UInt(bitPattern: count), "block index out of range")  // callers check wire input
        var b = entries[i]
        b.timeout &+= initialTimeout
        return b
    }

    /// The one write path (not inlined: every write site would carry the bookkeeping).
    @inline(never) func replace(_ i: Int, with newValue: Block) {
        let old = entry(i)
        var stored = newValue
        stored.timeout &-= initialTimeout
        entries[i] = stored
        if old.state != newValue.state || old.leaseSlot != newValue.leaseSlot || old.reserved != newValue.reserved {
            update(i, old, add: false)
            update(i, newValue, add: true)
        }
        noteExpiry(newValue)
    }

    static func expires(_ state: BlockState) -> Bool { state != .free && state != .blocked }

    func noteExpiry(_ b: Block) {
        if BlockIndex.expires(b.state) && b.timeout < expiryBound { expiryBound = b.timeout }
    }

    func update(_ i: Int, _ b: Block, add: Bool) {
        let w = i >> 6
        let bit = UInt64(1) << UInt64(i & 63)
        func set(_ word: Int) { bits[word] = add ? bits[word] | bit : bits[word] & ~bit }
        if b.state == .ours { set(w) }
        if b.leaseSlot >= 0 { set(words + w) }
        if b.state == .free {
            freeCount += add ? 1 : -1
            if !b.reserved {
                set(2 * words + w)
                claimableCount += add ? 1 : -1
            }
        }
    }

    /// The first index ≥ `from` in the OURS set (`ours`), the lease-table set (`tables`), or
    /// with a table but not OURS (neither); `count` if none.
    func next(from: Int, ours: Bool, tables: Bool) -> Int {
        var w = from >> 6
        guard w < words else { return count }
        var mask = ~UInt64(0) << UInt64(from & 63)
        while true {
            let word = ours ? bits[w] : tables ? bits[words + w] : bits[words + w] & ~bits[w]
            let found = word & mask
            if found != 0 { return min(w << 6 + found.trailingZeroBitCount, count) }
            w += 1
            if w >= words { return count }
            mask = ~0
        }
    }

    func claimable(_ k: Int) -> Int {
        var k = k
        for w in 0..<words {
            var word = bits[2 * words + w]
            let n = word.nonzeroBitCount
            if k >= n {
                k -= n
                continue
            }
            while k > 0 {
                word &= word - 1
                k -= 1
            }
            return w << 6 + word.trailingZeroBitCount
        }
        return count
    }

    func matches(_ other: BlockIndex) -> Bool {
        guard count == other.count, freeCount == other.freeCount, claimableCount == other.claimableCount else { return false }
        for w in 0..<(3 * words) where bits[w] != other.bits[w] { return false }
        return true
    }
}

/// Host names (option 12) of the leases, indexed like the lease slab: a length byte and up to
/// `capacity` bytes each, one allocation at start (none without Configuration.recordHostnames).
/// Entries are cleared when their table is handed to a block and written whenever a lease
/// becomes LEASED; untouched pages stay non-resident like the slab's.
final class Hostnames {
    static let capacity = 31
    static let stride = capacity + 1
    let base: UnsafeMutablePointer<UInt8>
    let count: Int

    init(count: Int) {
        self.count = count
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count * Hostnames.stride, 1))
    }

    deinit { base.deallocate() }

    /// Stores option 12 as dnsmasq would use it: trailing NULs dropped, cut at `capacity`
    /// bytes; a name with a byte outside letters, digits, '-', '_' and '.' (spaces, control
    /// characters) is not stored at all, so it can never break a lease-file line or an
    /// environment variable.
    func set(_ i: Int, _ name: UnsafeRawBufferPointer) {
        guard i < count else { return }
        var n = name.count
        while n > 0 && name[n - 1] == 0 { n -= 1 }
        n = min(n, Hostnames.capacity)
        let entry = base + i * Hostnames.stride
        for k in 0..<n {
            let c = name[k]
            let legal = (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
            guard legal else {
                entry[0] = 0
                return
            }
            entry[1 + k] = c
        }
        entry[0] = UInt8(n)
    }

    func clear(_ i: Int) {
        if i < count { base[i * Hostnames.stride] = 0 }
    }

    subscript(i: Int) -> UnsafeRawBufferPointer {
        guard i < count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let entry = base + i * Hostnames.stride
        return UnsafeRawBufferPointer(start: entry + 1, count: min(Int(entry[0]), Hostnames.capacity))
    }
}

struct BlockTable {
    let prefix: IPv4Address
    let blockSize: Int
    let count: Int
    var blocks: BlockArray
    /// The slab: `slotCount` tables of `blockSize` leases each; only tables of slots that were
    /// ever handed to a block are initialised.
    let leases: LeaseSlab
    /// Option 12 per lease (empty without Configuration.recordHostnames).
    let hostnames: Hostnames
    /// Slots released by a block, reused first (last released first).
    var releasedSlots: [Int32]
    /// Slots from here to `slotCount` were never handed out; the next one goes after the
    /// released slots (nothing is written for slots never used, D-222).
    var firstUnusedSlot = 0
    let slotCount: Int

    /// Total lease storage (addresses) in the slab: 65536 at most.
    static let maximumLeases = 65536

    init(configuration c: Configuration, now: Millis, blockTimeout: Millis) {
        prefix = c.prefix
        blockSize = Int(c.blockSize)
        count = Int(c.blockCount)
        // Timeout now + B: listed by the table for B s (docs/protocol.md#start-up).
        blocks = BlockArray(count: count, initialTimeout: now + blockTimeout)
        c.reservations.markBlocks(blocks, prefix: prefix, blockSize: blockSize)
        slotCount = min(count, BlockTable.maximumLeases / blockSize)
        leases = LeaseSlab(tables: slotCount, tableSize: blockSize)
        hostnames = Hostnames(count: c.recordHostnames ? slotCount * blockSize : 0)
        releasedSlots = []
        releasedSlots.reserveCapacity(slotCount)
    }

    /// Block of an address, nil outside the pool (below the prefix or block index ≥ N).
    func blockIndex(of address: IPv4Address) -> Int? {
        guard address.value >= prefix.value else { return nil }
        // In UInt32: the offset of an arbitrary address (a client's option 50, a byte-swapped
        // RENEWLEASE) can exceed Int.max on 32-bit targets, where Int(offset) would trap.
        let index = (address.value - prefix.value) / UInt32(blockSize)
        return index < UInt32(count) ? Int(index) : nil
    }

    func address(block: Int, lease: Int) -> IPv4Address {
        IPv4Address(prefix.value &+ UInt32(block * blockSize + lease))
    }

    /// (block, lease index) of an address inside the pool.
    func location(of address: IPv4Address) -> (block: Int, lease: Int)? {
        guard let b = blockIndex(of: address) else { return nil }
        return (b, Int(address.value - prefix.value) - b * blockSize)
    }

    var freeSlotCount: Int { releasedSlots.count + slotCount - firstUnusedSlot }

    /// The unused slots as one stack, the next to be handed out last (tests and invariant
    /// checks); setting it replaces them all.
    var freeSlots: [Int32] {
        get {
            var all: [Int32] = []
            var s = slotCount - 1
            while s >= firstUnusedSlot {
                all.append(Int32(s))
                s -= 1
            }
            return all + releasedSlots
        }
        set {
            releasedSlots = newValue
            firstUnusedSlot = slotCount
        }
    }

    /// Takes the next unused slot: the last released one, else the first never used.
    private mutating func takeSlot() -> Int32? {
        if let slot = releasedSlots.popLast() { return slot }
        guard firstUnusedSlot < slotCount else { return nil }
        firstUnusedSlot += 1
        return Int32(firstUnusedSlot - 1)
    }

    func hasTable(_ b: Int) -> Bool { blocks[b].leaseSlot >= 0 }

    /// Gives block `b` a lease table (all FREE) unless it has one. False if the slab is used up.
    mutating func attachTable(_ b: Int) -> Bool {
        if blocks[b].leaseSlot >= 0 { return true }
        guard let slot = takeSlot() else { return false }
        let base = Int(slot) * blockSize
        leases.initializeFree(from: base, count: blockSize)  // first use or recycled: all FREE
        for i in base..<(base + blockSize) { hostnames.clear(i) }
        blocks[b].leaseSlot = slot
        return true
    }

    mutating func releaseTable(_ b: Int) {
        let slot = blocks[b].leaseSlot
        guard slot >= 0 else { return }
        blocks[b].leaseSlot = -1
        releasedSlots.append(slot)
        assert(freeSlotCount <= slotCount, "a lease table slot released twice")
    }

    /// Slab index of lease `i` of block `b` (which must have a table).
    @inline(__always) func slabIndex(_ b: Int, _ i: Int) -> Int {
        assert(blocks[b].leaseSlot >= 0 && i >= 0 && i < blockSize, "lease outside its block's table")
        return Int(blocks[b].leaseSlot) * blockSize + i
    }

    /// Counts of a block's table: (free, offered, leased); zeros without a table.
    func leaseCounts(_ b: Int) -> (free: Int, offered: Int, leased: Int) {
        guard blocks[b].leaseSlot >= 0 else { return (0, 0, 0) }
        var counts = (free: 0, offered: 0, leased: 0)
        let base = Int(blocks[b].leaseSlot) * blockSize
        for i in base..<(base + blockSize) {
            switch leases[i].state {
            case .free: counts.free += 1
            case .offered: counts.offered += 1
            case .leased: counts.leased += 1
            case .declined: break
            }
        }
        return counts
    }

    /// True if the block has a table and every lease in it is FREE.
    func allFree(_ b: Int) -> Bool {
        guard blocks[b].leaseSlot >= 0 else { return false }
        return leases.freeCount(table: Int(blocks[b].leaseSlot) * blockSize) == blockSize
    }

    /// Debug cross-check (D-200): everything the block array and the slab keep incrementally
    /// matches a full recount.
    func countsMatch() -> Bool {
        guard blocks.countsMatch() else { return false }
        for b in 0..<count where blocks[b].leaseSlot >= 0 {
            if !leases.countsMatch(table: Int(blocks[b].leaseSlot) * blockSize) { return false }
        }
        return true
    }
}

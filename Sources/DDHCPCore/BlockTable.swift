// Block table and lease storage: fixed-size arrays allocated once from the configuration.
// Blocks are indexed by block id; lease tables come from a slab of min(N, 65536/S) tables of S
// entries, and a block holds the index of its slot (or none). Nothing here allocates after init.
// The slab is allocated uninitialised and a slot's S entries are written only when the slot is
// handed to a block, so slots never used cost no resident memory (large mallocs are fresh
// zero pages from mmap that stay unmapped until written).

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
    /// Lease-table slot, -1 = none.
    var leaseSlot: Int32 = -1
    var owner = NodeID.zero
    /// The owner's address, or for our own blocks (OURS, BLOCKED) `firstClaimed` and
    /// `needlessSince` (D-220).
    private var shared = PeerAddress.zero
    /// Absolute expiry (ms). For OURS blocks: when peers forget the claim unless refreshed.
    var timeout: Millis = 0

    private var isOwn: Bool { state == .ours || state == .blocked }

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
    /// A DECLINED-state placeholder for an address an earlier run of this node may have leased
    /// (docs/fast-join.md, D-73): not offered to new clients until `end`, but acknowledged to
    /// a client that renews it.
    var unknownHolder = false
    /// FREE but written to the state image as maybe given (StateImage.swift, D-75).
    var provisional = false

    var isHeld: Bool { state == .offered || state == .leased }
}

/// The lease slab: one allocation of `capacity` leases, owned for the node's lifetime. Entries
/// are initialised per table on slot assignment (`BlockTable.attachTable`); Lease is a trivial
/// type, so partially initialised memory needs no deinitialisation before deallocation.
final class LeaseSlab {
    let base: UnsafeMutablePointer<Lease>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = UnsafeMutablePointer<Lease>.allocate(capacity: max(capacity, 1))
    }

    deinit { base.deallocate() }

    @inline(__always) subscript(i: Int) -> Lease {
        get { base[i] }
        set { base[i] = newValue }
    }

    /// Writes `count` FREE leases from `start`.
    func initializeFree(from start: Int, count: Int) {
        (base + start).initialize(repeating: Lease(), count: count)
    }

    /// The slab's bytes (tests check that untouched slots stay non-resident).
    var region: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: capacity * MemoryLayout<Lease>.stride)
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
    var blocks: [Block]
    /// The slab: `slotCount` tables of `blockSize` leases each; only tables of slots that were
    /// ever handed to a block are initialised.
    let leases: LeaseSlab
    /// Option 12 per lease (empty without Configuration.recordHostnames).
    let hostnames: Hostnames
    /// Stack of unused slots.
    var freeSlots: [Int32]
    let slotCount: Int

    /// Total lease storage (addresses) in the slab: 65536 at most.
    static let maximumLeases = 65536

    init(configuration c: Configuration, now: Millis, blockTimeout: Millis) {
        prefix = c.prefix
        blockSize = Int(c.blockSize)
        count = Int(c.blockCount)
        var initial = Block()
        initial.timeout = now + blockTimeout  // visible in the table for B s (docs/protocol.md#start-up)
        blocks = Array(repeating: initial, count: count)
        c.reservations.markBlocks(&blocks, prefix: prefix, blockSize: blockSize)
        slotCount = min(count, BlockTable.maximumLeases / blockSize)
        leases = LeaseSlab(capacity: slotCount * blockSize)
        hostnames = Hostnames(count: c.recordHostnames ? slotCount * blockSize : 0)
        freeSlots = []
        freeSlots.reserveCapacity(slotCount)
        var s = slotCount - 1
        while s >= 0 {
            freeSlots.append(Int32(s))
            s -= 1
        }
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

    var freeSlotCount: Int { freeSlots.count }

    func hasTable(_ b: Int) -> Bool { blocks[b].leaseSlot >= 0 }

    /// Gives block `b` a lease table (all FREE) unless it has one. False if the slab is used up.
    mutating func attachTable(_ b: Int) -> Bool {
        if blocks[b].leaseSlot >= 0 { return true }
        guard let slot = freeSlots.popLast() else { return false }
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
        freeSlots.append(slot)
        assert(freeSlots.count <= slotCount, "a lease table slot released twice")
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
        let base = Int(blocks[b].leaseSlot) * blockSize
        for i in base..<(base + blockSize) where leases[i].state != .free { return false }
        return true
    }
}

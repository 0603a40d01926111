import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import DDHCPCore

/// What the fixed tables cost in RAM (docs/decisions.md D-111).
@Suite struct ResidentMemoryTests {
    @Test func blockIs40Bytes() {
        // 1024 blocks (the gluon pool) = 40 KB; a flag as a separate Bool, or the owner's
        // address beside the own-block times (D-220), would make it larger.
        #expect(MemoryLayout<Block>.stride == 40)
        var b = Block()
        b.needlessMarked = true
        b.reserved = true
        #expect(b.needlessMarked && b.reserved && !b.announcePending && !b.partlyReserved)
        b.needlessMarked = false
        b.partlyReserved = true
        b.announcePending = true
        #expect(!b.needlessMarked && b.reserved && b.announcePending && b.partlyReserved)
        #expect(b != Block())
    }

    /// The owner's address and the own-block times share storage (D-220): each reads back what
    /// was written for the block's state, and an own block shows no owner address.
    @Test func ownerAddressAndOwnTimesShareStorage() {
        let peer = PeerAddress(high: 0xfe80_0000_0000_0000, low: 0x0200_5eff_fe00_0001)
        var b = Block()
        b.state = .claimed
        b.ownerAddress = peer
        #expect(b.ownerAddress == peer)
        b.state = .free  // expiry keeps the address (D-33)
        #expect(b.ownerAddress == peer)
        b.state = .ours
        b.firstClaimed = 123_456
        b.needlessSince = -5
        #expect(b.ownerAddress == .zero && b.firstClaimed == 123_456 && b.needlessSince == -5)
        b.state = .blocked
        #expect(b.firstClaimed == 123_456 && b.needlessSince == -5)
        b.state = .claimed
        b.ownerAddress = peer
        #expect(b.ownerAddress == peer)
    }

    #if canImport(Glibc)
    /// Resident pages of the memory under `p` (whole pages inside [p, p + count)).
    func residentPages(_ p: UnsafeRawPointer, _ count: Int) -> (pages: Int, resident: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (UInt(bitPattern: p) + UInt(page) - 1) & ~UInt(page - 1)
        let end = (UInt(bitPattern: p) + UInt(count)) & ~UInt(page - 1)
        guard end > start else { return (0, 0) }
        let pages = Int((end - start) / UInt(page))
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), &vector) == 0 else { return (pages, -1) }
        return (pages, vector.filter { $0 & 1 != 0 }.count)
    }

    /// glibc serves a large malloc from free heap chunks (dirty pages) before it maps fresh
    /// ones; its chunk header says which (size field bit 1 = IS_MMAPPED). The array's storage is
    /// one malloc block whose payload starts 32 bytes before the elements.
    func isFreshlyMapped(_ elements: UnsafeRawPointer) -> Bool {
        let size = (elements - 32 - MemoryLayout<Int>.size).load(as: Int.self)
        return size & 2 != 0
    }

    /// The block entries' start state is all zero bits (D-222): calloc'd fresh pages hold it
    /// unwritten, and only the pages of blocks that are written become resident.
    @Test func untouchedBlockEntriesStayNonResident() throws {
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 8 * 1024)  // large callocs from fresh mmap
        // /16 with S = 4: 16384 blocks, 640 KB of entries.
        let node = try Node(configuration: testConfiguration { $0.prefix = IPv4Address(10, 0, 0, 0); $0.prefixLength = 16 },
                            randomSeed: 1, now: 1_000)
        // (No housekeeping here: its full scans read every entry, which maps the kernel's zero
        // page, not counted in RSS but reported by mincore.)
        for b in 0..<16 { node.forceOwn(b * 1000, now: 2_000) }
        let blocks = node.table.blocks
        let (pages, resident) = residentPages(UnsafeRawPointer(blocks.index.entries), blocks.count * MemoryLayout<Block>.stride)
        // 16 written blocks touch a page each; all 160 if the table were initialised at start.
        #expect(pages >= 150)
        #expect(resident >= 0 && resident <= 20, "\(resident) of \(pages)")
        // An entry never written reads as the start state: FREE, no lease table, timeout now + B.
        let untouched = blocks[16_000]
        #expect(untouched.state == .free && untouched.leaseSlot == -1 && untouched.owner == .zero)
        #expect(untouched.timeout == 1_000 + Millis(node.configuration.blockTimeout) * 1000)
        #expect(blocks[1000].state == .ours && blocks[1000].leaseSlot >= 0)
    }

    @Test func requestCacheOptionListsStayNonResidentUntilUsed() throws {
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 8 * 1024)
        // Caches are kept until one's 16 KB array came from fresh mmap'd pages.
        var cache = RequestCache()
        var kept: [RequestCache] = []
        for _ in 0..<200 where !cache.parameters.withUnsafeBytes({ isFreshlyMapped($0.baseAddress!) }) {
            kept.append(cache)
            cache = RequestCache()
        }
        kept.removeAll()
        try #require(cache.parameters.withUnsafeBytes { isFreshlyMapped($0.baseAddress!) })
        let list: [UInt8] = [1, 3, 6, 15, 28, 51, 54, 58, 59]
        list.withUnsafeBytes { cache.insert(client: DHCPClientFields(), address: .zero, parameters: $0, now: 0) }
        let (pages, resident) = cache.parameters.withUnsafeBytes { residentPages($0.baseAddress!, $0.count) }
        // 64 entries × 255 bytes: whole pages beyond the first entry's, all untouched (all
        // resident if the array were zero-filled at start).
        #expect(pages >= 2)
        #expect(resident == 0)
        let base = cache.find(xid: 0, chaddr: .zero).map { $0 * RequestCache.maximumParameters }
        #expect(base != nil)
        if let base { #expect(Array(cache.parameters[base..<(base + list.count)]) == list) }
    }
    #endif
}

import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import DDHCPCore

#if canImport(Glibc)
/// glibc's mallopt (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Demand-aware claiming (ClientDemand.swift) and the lazily initialised lease slab.
@Suite struct ClaimDemandTests {
    /// A client with index `k` (distinct 16-byte chaddr for k < 2^32).
    static func client(_ k: Int) -> HardwareAddress {
        HardwareAddress(high: 0x0200_0000_0000_0000 | UInt64(k) << 16, low: 0)
    }

    /// One DORA attempt: DISCOVER, and REQUEST for the offered address. True if ACKed.
    static func dora(_ node: Node, _ chaddr: HardwareAddress, xid: UInt32, now: Millis) -> Bool {
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: xid, chaddr: chaddr), now: now, &sink)
        guard let offer = sink.dhcp.first else { return false }
        sink.clear()
        node.dhcp(clientPacket(.request, xid: xid, chaddr: chaddr, requested: offer.yiaddr), now: now, &sink)
        guard let ack = sink.dhcp.first else { return false }
        return replyOptions(ack.packet).contains { $0.0 == 53 && $0.1 == [DHCPMessageType.ack.rawValue] }
    }

    static func inquiries(_ sink: RecordingSink) -> [[UInt32]] {
        sink.multicasts.compactMap { decodeSent($0) }.filter { $0.command == 2 }.map { $0.blocks }
    }

    @Test func burstOfDiscoversClaimsSeveralBlocksInOneInquire() {
        let node = makeNode()  // fresh -L node, S = 4, spare target 2
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        #expect(node.inquiryList.count == 1)  // C's need: ceil(2/4)
        for k in 0..<40 { node.dhcp(clientPacket(.discover, xid: UInt32(k), chaddr: Self.client(k)), now: 1000, &sink) }
        #expect(sink.dhcp.isEmpty)  // nothing to offer yet
        #expect(node.waitingClients(now: 1000) == ClientDemand.capacity)
        sink.clear()
        node.tick(now: 7000, sink: &sink)
        // need = ceil((2 + min(32, 4·4)) / 4) = 5: the first block plus 4 more, in one INQUIRE.
        #expect(Self.inquiries(sink) == [node.inquiryList])
        #expect(node.inquiryList.count == 5)
    }

    @Test func burstIsServedFasterThanOneBlockPerClaim() {
        let node = makeNode()
        var sink = RecordingSink()
        var served = Set<Int>()
        var now: Millis = 0
        node.tick(now: 0, sink: &sink)
        // 40 new clients retrying DORA every 3.5 s for 35 s; housekeeping every 7 s.
        while now <= 35_000 {
            for k in 0..<40 where !served.contains(k) {
                if Self.dora(node, Self.client(k), xid: UInt32(k), now: now) { served.insert(k) }
            }
            now += 3500
            node.tick(now: now, sink: &sink)
        }
        // C's policy owns one block at 21 s and the next only at 49 s: at most 4 clients by 35 s.
        // Demand-aware: the first block at 21 s, four more at 28 s (19 addresses: the server
        // identifier 10.0.0.1 is never offered, in case block 0 was among them).
        #expect(served.count >= 19)
        #expect(node.blocks(in: .ours).count == 5)
    }

    @Test func floodOfRandomMACsIsCappedPerRoundAndSurplusIsDropped() {
        let node = makeNode { $0.needlessTimeout = 20 }
        var sink = RecordingSink()
        var rng = Xoshiro256(seed: 99)
        var now: Millis = 0
        var maxInquired = 0
        node.tick(now: 0, sink: &sink)
        // 10,000 random MACs at 100 DISCOVERs/s (no REQUESTs: the flood never confirms offers).
        for k in 0..<10_000 {
            let chaddr = HardwareAddress(high: rng.next(), low: rng.next())
            now = Millis(k) * 10
            node.dhcp(clientPacket(.discover, xid: UInt32(k), chaddr: chaddr), now: now, &sink)
            if k % 100 == 0 {
                node.tick(now: now, sink: &sink)
                for blocks in Self.inquiries(sink) { maxInquired = max(maxInquired, blocks.count) }
                sink.clear()
            }
        }
        // Never more than C's own need (1 block with spare 0) plus the demand cap per INQUIRE.
        #expect(maxInquired == 1 + Node.demandBlocksPerRound)
        let owned = node.blocks(in: .ours).count
        // Once the node has offers, DISCOVERs take over the oldest one (D-100) instead of
        // adding demand, so the flood plateaus at the first burst's blocks.
        #expect(owned >= 5 && owned <= 2 + ClientDemand.capacity / 4)
        // The flood ends: offers expire, the surplus is dropped after one needless timeout (D-101).
        while now < 1_000_000 {
            now += 7000
            node.tick(now: now, sink: &sink)
        }
        #expect(node.blocks(in: .ours).count == 1)
        #expect(node.inquiryList.isEmpty)
    }

    @Test func servedClientsAndOldEntriesStopCounting() {
        var d = ClientDemand()
        for k in 0..<50 { d.record(Self.client(k), now: Millis(k)) }
        #expect(d.waiting(now: 100, window: 1000) == ClientDemand.capacity)  // fixed size
        d.record(Self.client(49), now: 200)  // a retry refreshes, no new entry
        #expect(d.waiting(now: 200, window: 1000) == ClientDemand.capacity)
        d.served(Self.client(49))
        #expect(d.waiting(now: 200, window: 1000) == ClientDemand.capacity - 1)
        #expect(d.waiting(now: 1040, window: 1000) == 8)  // seen at 41…48 are still inside
        #expect(d.waiting(now: 5000, window: 1000) == 0)
    }

    @Test func demandNeedsFreeBlocksToSpare() {
        // 64 blocks, 56 claimed by a peer: 8 FREE, 7 once the first claim runs → a quarter of
        // them is 1 block of demand at most.
        let node = makeNode()
        var sink = RecordingSink()
        for b in 0..<56 { node.forceClaimed(b, by: largerID, at: peerA, until: 1_000_000) }
        node.tick(now: 0, sink: &sink)
        for k in 0..<40 { node.dhcp(clientPacket(.discover, xid: UInt32(k), chaddr: Self.client(k)), now: 1000, &sink) }
        node.tick(now: 7000, sink: &sink)
        #expect(node.inquiryList.count == 2)  // ceil((2 + 4) / 4), not 1 + 4
    }

    // MARK: Lease slab

    @Test func leaseIsATrivialType() {
        #expect(_isPOD(Lease.self))  // partially initialised slab memory needs no deinit
    }

    @Test func recycledSlotStartsAllFree() {
        let node = makeNode()
        node.forceOwn(8, now: 0)
        let slot = node.table.blocks[8].leaseSlot
        for i in 0..<4 {
            node.table.leases[node.table.slabIndex(8, i)] = Lease(state: .leased, xid: 7, chaddr: mac(UInt8(i)), end: 1_000_000)
        }
        node.makeFree(8)
        node.forceOwn(9, now: 0)
        #expect(node.table.blocks[9].leaseSlot == slot)  // the same slot, handed on
        #expect(node.spareLeases == 4)
        for i in 0..<4 {
            #expect(node.lease(IPv4Address(10, 0, 0, UInt8(36 + i))) == LeaseInfo(state: .free, xid: 0, chaddr: .zero, end: 0))
        }
    }

    #if canImport(Glibc)
    @Test func untouchedLeaseTablesStayNonResident() throws {
        // Large allocations must come from fresh mmap'd pages (glibc would otherwise raise its
        // mmap threshold after other tests free big arrays and reuse dirty heap).
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 8 * 1024)  // as in ResidentMemoryTests
        // /16 with S = 4: 16384 lease tables of 4 = 65536 leases (2 MB of slab).
        let node = try Node(configuration: testConfiguration { $0.prefix = IPv4Address(10, 0, 0, 0); $0.prefixLength = 16 },
                            randomSeed: 1, now: 0)
        #expect(node.freeLeaseTables == 16_384)
        for b in 0..<48 { node.forceOwn(b * 300, now: 0) }
        let region = node.table.leases.region
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = UInt(bitPattern: region.baseAddress!) & ~UInt(page - 1)
        let end = UInt(bitPattern: region.baseAddress!) + UInt(region.count)
        let pages = Int((end - start + UInt(page) - 1) / UInt(page))
        var vector = [UInt8](repeating: 0, count: pages)
        let rc = mincore(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), &vector)
        try #require(rc == 0)
        let resident = vector.filter { $0 & 1 != 0 }.count
        // 48 used tables of 128 bytes touch at most a few pages each end; all 512 if initialised.
        #expect(pages >= 500)
        #expect(resident <= 8)
    }
    #endif
}

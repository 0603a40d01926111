import Testing
@testable import DDHCPCore

/// The flood policy (FloodPolicy.swift, docs/decisions.md D-100, D-101).
@Suite struct FloodPolicyTests {
    static func isType(_ reply: [UInt8], _ type: DHCPMessageType) -> Bool {
        replyOptions(reply).contains { $0.0 == 53 && $0.1 == [type.rawValue] }
    }

    /// DISCOVER; the offered address or nil.
    static func discover(_ node: Node, _ chaddr: HardwareAddress, xid: UInt32, now: Millis) -> IPv4Address? {
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: xid, chaddr: chaddr), now: now, &sink)
        return sink.dhcp.first.map { $0.yiaddr }
    }

    /// SELECTING REQUEST for `address` (options 50 and 54): true if ACKed.
    static func request(_ node: Node, _ chaddr: HardwareAddress, xid: UInt32, _ address: IPv4Address, now: Millis) -> Bool {
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: xid, chaddr: chaddr, requested: address, serverID: IPv4Address(10, 0, 0, 1)), now: now, &sink)
        return sink.dhcp.first.map { isType($0.packet, .ack) } ?? false
    }

    /// RENEWING REQUEST (ciaddr): true if ACKed.
    static func renew(_ node: Node, _ chaddr: HardwareAddress, xid: UInt32, _ address: IPv4Address, now: Millis) -> Bool {
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: xid, chaddr: chaddr, ciaddr: address), now: now, &sink)
        return sink.dhcp.first.map { isType($0.packet, .ack) } ?? false
    }

    @Test func fullBlockRecyclesTheOldestUnconfirmedOfferNeverALease() {
        let node = makeNode()
        node.forceOwn(8, now: 0)  // 10.0.0.32–35
        var offered: [IPv4Address] = []
        for k in 1...4 { offered.append(Self.discover(node, mac(UInt8(k)), xid: UInt32(k), now: Millis(k))!) }
        #expect(Set(offered).count == 4)
        // Block full of offers: a new client gets the oldest one (mac 1's) and can take it.
        let a = Self.discover(node, mac(5), xid: 5, now: 10)
        #expect(a == offered[0])
        #expect(Self.request(node, mac(5), xid: 5, a!, now: 11))
        #expect(!Self.request(node, mac(1), xid: 1, offered[0], now: 12))  // NAK: taken over
        // The LEASED address is never recycled: the next three take mac 2–4's offers in order.
        for k in 6...8 {
            #expect(Self.discover(node, mac(UInt8(k)), xid: UInt32(k), now: Millis(10 + k)) == offered[k - 5])
        }
        #expect(node.lease(offered[0])?.state == .leased)
        #expect(node.lease(offered[0])?.chaddr == mac(5))
        // Every address leased: nothing left to offer.
        for k in 6...8 { #expect(Self.request(node, mac(UInt8(k)), xid: UInt32(k), offered[k - 5], now: 30)) }
        #expect(Self.discover(node, mac(9), xid: 9, now: 40) == nil)
    }

    @Test func offersCountAsSpareSoAFloodClaimsNothingForTheSpareTarget() {
        // One block of 4, spare target 2: C's rule claims a new block as soon as offers use up
        // FREE leases; with D-100 the offers still count as spare.
        let node = makeNode()
        node.forceOwn(8, now: 0)
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        #expect(node.inquiryList.isEmpty)
        for k in 1...4 {
            node.run(until: Millis(k) * 5000, &sink)
            _ = Self.discover(node, mac(UInt8(k)), xid: UInt32(k), now: Millis(k) * 5000)
        }
        node.run(until: 40_000, &sink)
        #expect(node.inquiryList.isEmpty)
    }

    struct FloodRun {
        var latencies: [Millis] = []  // per new real client: first DISCOVER to ACK
        var unserved = 0
        var renewals = 0
        var renewalsOK = 0
        var maxOwned = 0
    }

    /// Ten known clients hold leases; then for 40 s (10,000 steps of 4 ms) a flood of random
    /// MACs sends 250 DISCOVERs/s (if `flood`), a new real client appears every 3 s and does
    /// DORA (REQUEST 20 ms after its OFFER, five flood DISCOVERs later; DISCOVER again after
    /// 1 s without an offer), and the known clients renew every 5 s.
    static func floodRun(flood: Bool) -> FloodRun {
        let node = makeNode { $0.tentativeTimeout = 4 }  // INQUIRE rounds 2 s apart
        var sink = RecordingSink()
        var rng = Xoshiro256(seed: 4242)
        node.tick(now: 0, sink: &sink)
        node.run(until: 30_000, &sink)  // owns its first block
        var known: [(HardwareAddress, IPv4Address)] = []
        var now: Millis = 30_000
        for k in 0..<10 {
            let c = HardwareAddress(high: 0x0600_0000_0000_0000 | UInt64(k) << 16, low: 0)
            while true {
                node.run(until: now, &sink)
                if let a = discover(node, c, xid: 1, now: now), request(node, c, xid: 1, a, now: now) {
                    known.append((c, a))
                    break
                }
                now += 1000
            }
        }
        now += 30_000  // the node has its spare again
        node.run(until: now, &sink)
        let start = now
        var run = FloodRun()
        // New real clients: chaddr, first DISCOVER, next DISCOVER, pending REQUEST (address, at).
        var waiting: [(HardwareAddress, Millis, Millis, (IPv4Address, Millis)?)] = []
        for k in 0..<10_000 {
            now = start + Millis(k) * 4
            node.run(until: now, &sink)
            sink.clear()
            if flood {
                let chaddr = HardwareAddress(high: rng.next(), low: rng.next())
                _ = discover(node, chaddr, xid: UInt32(truncatingIfNeeded: k), now: now)
            }
            if k % 750 == 0 {
                waiting.append((HardwareAddress(high: 0x0700_0000_0000_0000 | UInt64(k) << 16, low: 0), now, now, nil))
            }
            var w = 0
            while w < waiting.count {
                var (c, first, next, pending) = waiting[w]
                if let (a, at) = pending, now >= at {
                    if request(node, c, xid: UInt32(truncatingIfNeeded: first), a, now: now) {
                        run.latencies.append(now - first)
                        waiting.remove(at: w)
                        continue
                    }
                    pending = nil
                    next = now
                }
                if pending == nil && now >= next {
                    if let a = discover(node, c, xid: UInt32(truncatingIfNeeded: first), now: now) {
                        pending = (a, now + 20)
                    } else {
                        next = now + 1000
                    }
                }
                waiting[w] = (c, first, next, pending)
                w += 1
            }
            if k % 1250 == 0 {
                for (c, a) in known {
                    run.renewals += 1
                    if renew(node, c, xid: UInt32(k), a, now: now) { run.renewalsOK += 1 }
                }
            }
            run.maxOwned = max(run.maxOwned, node.blocks(in: .ours).count)
        }
        run.unserved = waiting.count
        return run
    }

    @Test func realClientsAreServedDuringAFloodAsWithoutOne() {
        let quiet = Self.floodRun(flood: false)
        let flood = Self.floodRun(flood: true)
        print("flood policy: without flood latencies \(quiet.latencies) ms, blocks ≤ \(quiet.maxOwned); "
              + "with flood \(flood.latencies) ms, unserved \(flood.unserved), renewals \(flood.renewalsOK)/\(flood.renewals), blocks ≤ \(flood.maxOwned)")
        #expect(quiet.unserved == 0 && quiet.latencies.count == 14)
        #expect(flood.unserved == 0 && flood.latencies.count == 14)
        #expect(flood.renewalsOK == flood.renewals && flood.renewals == 80)
        // The flood costs a real client no more than a second more than a quiet LAN does.
        #expect(flood.latencies.max()! <= quiet.latencies.max()! + 1000)
        // Bounded growth: at most the D-39 demand for a burst (1 + 4 blocks) above the quiet run.
        #expect(flood.maxOwned <= quiet.maxOwned + 1 + Node.demandBlocksPerRound)
    }

    /// A burst of 40 DORA clients that then vanish: once their leases have expired every
    /// surplus block goes after one needless timeout (D-101), not one per timeout.
    @Test func surplusBlocksAreAllReleasedAfterOneNeedlessTimeout() {
        let node = makeNode { $0.needlessTimeout = 20 }
        var sink = RecordingSink()
        var served = Set<Int>()
        var now: Millis = 0
        node.tick(now: 0, sink: &sink)
        while now <= 60_000 {
            for k in 0..<40 where !served.contains(k) {
                if ClaimDemandTests.dora(node, ClaimDemandTests.client(k), xid: UInt32(k), now: now) { served.insert(k) }
            }
            now += 3500
            node.run(until: now, &sink)
        }
        #expect(served.count == 40)
        let peak = node.blocks(in: .ours).count
        #expect(peak >= 10)
        // Leases end LT + 10 s after the last ACK (LT 300 s by default).
        let allExpired: Millis = 60_000 + 310_000
        node.run(until: allExpired, &sink)
        var steadyAt: Millis? = nil
        while now < allExpired + 600_000 {
            now += 1000
            node.run(until: now, &sink)
            if steadyAt == nil && node.blocks(in: .ours).count == 1 { steadyAt = now }
        }
        // Steady state: one block (spare target 2, S = 4). Within one needless timeout plus two
        // housekeeping periods (7 s) after the leases ended; C's rule takes a timeout per block.
        #expect(node.blocks(in: .ours).count == 1)
        let took = (steadyAt ?? .max) - allExpired
        #expect(took <= 20_000 + 2 * 7_000, "back to 1 block \(took) ms after the leases expired (peak \(peak))")
    }

    @Test func surplusDropKeepsTheSpareTargetAndTheOldestBlocks() {
        // Spare target 6 (two blocks), five empty blocks owned at different times.
        let node = makeNode { $0.spareLeases = 6; $0.needlessTimeout = 10 }
        for (k, b) in [20, 21, 22, 23, 24].enumerated() { node.forceOwn(b, now: Millis(k) * 1000) }
        var sink = RecordingSink()
        node.tick(now: 10_000, sink: &sink)  // surplus = (20 − 6) / 4 = 3: three youngest marked
        #expect((20...24).filter { node.block($0).needless } == [22, 23, 24])
        node.run(until: 30_000, &sink)
        #expect(node.blocks(in: .ours) == [20, 21])
        #expect(node.spareLeases >= 6)
    }
}

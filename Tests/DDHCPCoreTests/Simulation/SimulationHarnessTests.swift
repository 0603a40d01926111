// Tests of the simulation harness itself: its PRNG, event queue, client codec, wire reader and
// block-table reader must be right before its verdicts on the core mean anything.
import Testing
@testable import DDHCPCore

@Suite struct SimulationHarnessTests {

    @Test func splitmixMatchesReferenceValues() {
        // Reference outputs of splitmix64 for seed 0 (Vigna's published generator).
        var r = SimulationRandom(seed: 0)
        #expect(r.next() == 0xE220_A839_7B1D_CDAF)
        #expect(r.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(r.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func randomRangesStayInBounds() {
        var r = SimulationRandom(seed: 42)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let x = r.int(in: 3...7)
            #expect((3...7).contains(x))
            seen.insert(x)
        }
        #expect(seen == [3, 4, 5, 6, 7])
        var hits = 0
        for _ in 0..<10_000 { if r.chance(permille: 100) { hits += 1 } }
        #expect((800...1200).contains(hits))
        let never = r.chance(permille: 0)
        #expect(!never)
    }

    @Test func eventQueueOrdersByTimeThenInsertion() {
        var q = SimEventQueue()
        let times: [Millis] = [50, 10, 30, 10, 70, 0, 30]
        for (i, t) in times.enumerated() { q.push(t, .clientTimer(client: i, generation: 0)) }
        var out: [(Millis, Int)] = []
        while let (t, e) = q.pop() {
            if case let .clientTimer(c, _) = e { out.append((t, c)) }
        }
        #expect(out.map(\.0) == [0, 10, 10, 30, 30, 50, 70])
        #expect(out.map(\.1) == [5, 1, 3, 2, 6, 0, 4])
    }

    /// The wheel and the heap together give exactly the order of one heap: interleaved pushes
    /// at the current time, a few ms ahead, beyond the wheel's window and in the past, checked
    /// against a sorted reference.
    @Test func eventQueueMatchesASortedReference() {
        var r = SimulationRandom(seed: 77)
        var q = SimEventQueue()
        var reference: [(time: Millis, id: Int)] = []
        var now: Millis = 0
        var next = 0
        for _ in 0..<20_000 {
            if reference.isEmpty || r.chance(permille: 550) {
                let t: Millis
                switch r.int(in: 0...9) {
                case 0: t = now
                case 1: t = now + r.millis(in: 1000...5000)
                case 2: t = max(0, now - r.millis(in: 0...50))
                case 3: t = now + r.millis(in: 1020...1030)
                default: t = now + r.millis(in: 0...60)
                }
                q.push(t, .clientTimer(client: next, generation: 0))
                reference.append((t, next))
                next += 1
            } else {
                var m = 0
                for k in reference.indices where reference[k].time < reference[m].time { m = k }
                let want = reference.remove(at: m)
                #expect(q.nextTime == want.time)
                guard let (t, e) = q.pop(), case let .clientTimer(id, _) = e else {
                    Issue.record("queue empty or wrong event")
                    return
                }
                #expect(t == want.time && id == want.id)
                if t != want.time || id != want.id { return }
                now = max(now, t)
            }
        }
        #expect(q.count == reference.count)
    }

    @Test func clientRequestBytes() {
        var p = SimClientPacket(type: .request, xid: 0xDEAD_BEEF, chaddr: [0x02, 0, 0x5E, 0, 0, 7] + [UInt8](repeating: 0, count: 10))
        p.broadcastFlag = true
        p.requestedAddress = IPv4Address(10, 0, 0, 9)
        p.serverIdentifier = IPv4Address(10, 0, 0, 1)
        p.parameterRequestList = [1, 3]
        let b = p.encode()
        #expect(b.count == 300)
        #expect(Array(b[0..<4]) == [1, 1, 6, 0])
        #expect(Array(b[4..<8]) == [0xDE, 0xAD, 0xBE, 0xEF])
        #expect(Array(b[10..<12]) == [0x80, 0])
        #expect(Array(b[12..<16]) == [0, 0, 0, 0])
        #expect(Array(b[28..<34]) == [0x02, 0, 0x5E, 0, 0, 7])
        #expect(Array(b[236..<240]) == [99, 130, 83, 99])
        #expect(Array(b[240..<262]) == [53, 1, 3, 50, 4, 10, 0, 0, 9, 54, 4, 10, 0, 0, 1, 55, 2, 1, 3, 255, 0, 0])
    }

    @Test func renewingRequestCarriesCiaddrOnly() {
        var p = SimClientPacket(type: .request, xid: 1, chaddr: [UInt8](repeating: 0xAB, count: 16))
        p.ciaddr = IPv4Address(10, 0, 0, 77)
        p.parameterRequestList = []
        let b = p.encode()
        #expect(Array(b[12..<16]) == [10, 0, 0, 77])
        #expect(Array(b[240..<246]) == [53, 1, 3, 55, 0, 255])
    }

    @Test func parsesServerReplies() {
        var r = [UInt8](repeating: 0, count: 240)
        r[0] = 2; r[1] = 1; r[2] = 6
        r[4] = 0x12; r[5] = 0x34; r[6] = 0x56; r[7] = 0x78
        r[16] = 10; r[17] = 0; r[18] = 0; r[19] = 9
        r[28] = 0x02
        r[236] = 99; r[237] = 130; r[238] = 83; r[239] = 99
        r += [1, 4, 255, 255, 255, 0, 0, 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 1, 44, 53, 1, 5, 255]
        let (reply, problem) = SimServerReply.parse(r)
        #expect(problem == nil)
        #expect(reply?.type == .ack)
        #expect(reply?.xid == 0x1234_5678)
        #expect(reply?.yiaddr == IPv4Address(10, 0, 0, 9))
        #expect(reply?.serverIdentifier == IPv4Address(10, 0, 0, 1))
        #expect(reply?.leaseTime == 300)
        #expect(reply?.chaddr.first == 0x02)

        var bad = r
        bad[236] = 0
        #expect(SimServerReply.parse(bad).reply == nil)
        var truncated = Array(r[0..<(r.count - 3)])  // option 53 runs past the end
        truncated[truncated.count - 1] = 1
        #expect(SimServerReply.parse(truncated).reply == nil)
        var twice = Array(r.dropLast())
        twice += [53, 1, 2, 255]
        #expect(SimServerReply.parse(twice).reply == nil)
    }

    @Test func readsMeshMessagesOfTheSpec() {
        // The captured examples of docs/protocol.md#examples.
        let inquire: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 24, 4, 2, 1, 0, 0, 0, 0x22]
        #expect(SimMeshMessage.decode(inquire)?.kind == .inquire([34]))
        let claim: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 24, 4, 1, 2,
                              0, 0, 0, 0x0F, 0, 0x3C, 0, 0, 0, 0, 0x35, 0, 0x3C, 0]
        #expect(SimMeshMessage.decode(claim)?.kind == .updateClaim([(15, 60), (53, 60)]))
        #expect(SimMeshMessage.decode(Array(claim.dropLast())) == nil)
        let renew: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 24, 4, 0x10, 0,
                              0xF1, 0, 0, 0x0A, 0, 0, 0xAB, 0xCD, 0, 0, 0, 0,
                              0x0A, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 10)
        let m = SimMeshMessage.decode(renew)
        #expect(m?.kind == .renewLease)
        #expect(m?.xid == 0xABCD)
        #expect(m?.leaseAddressCandidates == [IPv4Address(0xF1, 0, 0, 10), IPv4Address(10, 0, 0, 0xF1)])
    }

    /// The whole point of a seed: the same seed gives the same run, event for event.
    @Test func aSeedReproducesARunExactly() {
        func digest(_ seed: UInt64) -> UInt64 {
            var setup = SimulationSetup(scenario: "determinism", seed: seed, nodeCount: 4)
            setup.configuration = simFastConfiguration(blocks: 16)
            setup.meshLossPermille = 100
            setup.computeDigest = true
            let sim = Simulation(setup)
            sim.startNodes(0..<4)
            for n in 0..<4 { sim.addClient(lan: n, start: sim.rng.millis(in: 0...simSeconds(5))) }
            sim.at(simSeconds(30)) { sim in sim.clientRoam(0, to: 2) }
            sim.run(until: simSeconds(60))
            return sim.trace.digest
        }
        #expect(digest(11) == digest(11))
        #expect(digest(11) != digest(12))
    }
}

/// A stand-in node for testing the harness: reports one block as OURS and
/// serves DHCP from one (possibly different) block without any mesh protocol.
final class SimFakeNode: SimulatedCore {
    var runtimeLogLevel = LogLevel.warning
    var nextWakeup: Millis { .max }
    let ownedBlock: Int?
    let offerBlock: Int
    let blockStart: (Int) -> UInt32
    var nextLease: UInt32 = 2  // skip .0 and .1 (server id) of block 0
    /// Answer renewals (ciaddr set) with NAK instead of ACK.
    var nakRenewals = false

    init(ownedBlock: Int?, offerBlock: Int, blockStart: @escaping (Int) -> UInt32) {
        self.ownedBlock = ownedBlock
        self.offerBlock = offerBlock
        self.blockStart = blockStart
    }

    func start<S: ActionSink>(now: Millis, sink: inout S) {}
    func handleMulticast<S: ActionSink>(_ d: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S) {}
    func handleUnicast<S: ActionSink>(_ d: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S) {}
    func tick<S: ActionSink>(now: Millis, sink: inout S) {}

    func handleControl<S: ActionSink>(_ request: UnsafeRawBufferPointer, now: Millis, reply: inout TextBuffer, sink: inout S) {}
    func ownedBlockIndices() -> [Int] { ownedBlock.map { [$0] } ?? [] }

    func handleDHCP<S: ActionSink>(_ packet: UnsafeRawBufferPointer, now: Millis, sink: inout S) {
        let p = Array(packet)
        var type: UInt8 = 0
        var requested: UInt32 = 0
        var i = 240
        while i + 1 < p.count, p[i] != 255 {
            if p[i] == 0 { i += 1; continue }
            if p[i] == 53 { type = p[i + 2] }
            if p[i] == 50 { requested = simRead32(p, i + 2) }
            i += 2 + Int(p[i + 1])
        }
        let ciaddr = simRead32(p, 12)
        let yiaddr: UInt32
        switch type {
        case 1:
            yiaddr = blockStart(offerBlock) + nextLease
            nextLease += 1
        case 3: yiaddr = requested != 0 ? requested : ciaddr
        default: return
        }
        let nak = type == 3 && ciaddr != 0 && nakRenewals
        var r = [UInt8](repeating: 0, count: 240)
        r[0] = 2; r[1] = 1; r[2] = 6
        for k in 4..<8 { r[k] = p[k] }  // xid
        for k in 12..<16 { r[k] = p[k] }  // ciaddr
        if !nak {
            r[16] = UInt8(yiaddr >> 24); r[17] = UInt8(truncatingIfNeeded: yiaddr >> 16)
            r[18] = UInt8(truncatingIfNeeded: yiaddr >> 8); r[19] = UInt8(truncatingIfNeeded: yiaddr)
        }
        for k in 28..<44 { r[k] = p[k] }
        r[236] = 99; r[237] = 130; r[238] = 83; r[239] = 99
        r += nak ? [53, 1, 6, 54, 4, 10, 0, 0, 1, 255] : [53, 1, type == 1 ? 2 : 5, 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 0, 40, 255]
        let dest: DHCPDestination = ciaddr != 0 ? .unicast(IPv4Address(ciaddr)) : .broadcast
        _ = r.withUnsafeBytes {
            sink.sendDHCP($0, to: dest, clientHardware: simHardwareAddress(Array(p[28..<44])), yourAddress: IPv4Address(yiaddr))
        }
    }
}

/// The harness must catch broken nodes: each fake below violates one invariant.
@Suite struct SimulationHarnessCatchesViolations {
    /// Two fake nodes; `owned[i]`/`offered[i]` are node i's reported and served blocks.
    private func run(
        owned: [Int?], offered: [Int], clientsPerNode: Int = 2, seconds duration: Double = 90,
        conflictTolerance: Int64 = 3, nakRenewals: Bool = false, timeline: (Simulation) -> Void = { _ in }
    ) -> Simulation {
        var setup = SimulationSetup(scenario: "fake", seed: 1, nodeCount: owned.count)
        setup.configuration = simFastConfiguration(blocks: 16)
        setup.conflictToleranceBlockTimeouts = conflictTolerance
        var index = 0
        let start: (Int) -> UInt32 = { IPv4Address(10, 0, 0, 0).value + UInt32($0) * 4 }
        setup.makeCore = { _, _, _ in
            defer { index += 1 }
            let node = SimFakeNode(ownedBlock: owned[index], offerBlock: offered[index], blockStart: start)
            node.nakRenewals = nakRenewals
            return node
        }
        let sim = Simulation(setup)
        sim.at(0) { sim in for i in 0..<owned.count { sim.startNode(i) } }
        for n in 0..<owned.count {
            for _ in 0..<clientsPerNode { sim.addClient(lan: n, start: simSeconds(1)) }
        }
        timeline(sim)
        sim.run(until: simSeconds(duration))
        sim.finish(clientGrace: simSeconds(30))
        return sim
    }

    @Test func honestNodesPass() {
        let sim = run(owned: [1, 2], offered: [1, 2])
        #expect(sim.failure == nil, Comment(rawValue: sim.failure ?? ""))
        #expect(sim.clients.allSatisfy { $0.heldAddress(now: sim.now) != nil })
        #expect(sim.acquisitions >= 4)
    }

    @Test func offerFromABlockNotOwnedIsCaught() {
        let sim = run(owned: [1, 2], offered: [1, 3])
        #expect(sim.failure?.contains("node 1 sent offer for 10.0.0.14 in block 3 which it does not own") == true,
                Comment(rawValue: sim.failure ?? "no failure"))
        #expect(sim.failure?.contains("replay: SIM_SEED=1") == true)
    }

    @Test func lastingDoubleOwnershipIsCaught() {
        let sim = run(owned: [1, 1], offered: [1, 1], clientsPerNode: 0, seconds: 200)
        #expect(sim.failure?.contains("block 1 owned by nodes [0, 1]") == true, Comment(rawValue: sim.failure ?? "no failure"))
    }

    @Test func duplicateLeaseIsCaught() {
        let sim = run(owned: [1, 1], offered: [1, 1], clientsPerNode: 1, seconds: 30)
        #expect(sim.failure?.contains("10.0.0.6 is leased to two clients at once") == true,
                Comment(rawValue: sim.failure ?? "no failure"))
    }

    /// Both sides of a partition may lease one address; once both leases are confirmed again
    /// after the heal (and the conflict tolerance, here 0) the duplicate counts.
    @Test func duplicateFromAPartitionCountsOnceReconfirmed() {
        let sim = run(owned: [1, 1], offered: [1, 1], clientsPerNode: 1, seconds: 60, conflictTolerance: 0) { sim in
            sim.at(0) { sim in sim.partition([0, 1]) }
            sim.at(simSeconds(10)) { sim in sim.heal() }
        }
        #expect(sim.failure?.contains("10.0.0.6 is leased to two clients at once") == true,
                Comment(rawValue: sim.failure ?? "no failure"))
        // Leased at ~1 s (excused: partition), renewed at ~21 s (T1 of a 40 s lease): caught then.
        #expect(sim.failure?.contains("t=21.") == true, Comment(rawValue: sim.failure ?? ""))
    }

    @Test func nakForAValidLeaseIsCaught() {
        let sim = run(owned: [1], offered: [1], clientsPerNode: 1, seconds: 60, nakRenewals: true)
        #expect(sim.failure?.contains("c0 was NAKed on n0 for 10.0.0.6") == true, Comment(rawValue: sim.failure ?? "no failure"))
    }

    @Test func nodeWithoutBlocksIsCaught() {
        let sim = run(owned: [1, nil], offered: [1, 1], clientsPerNode: 0, seconds: 200)
        #expect(sim.failure?.contains("node 1 owns no block") == true, Comment(rawValue: sim.failure ?? "no failure"))
    }
}

import Testing
@testable import DDHCPCore

/// Thousands of random and mutated inputs (seeded, reproducible): the node must never trap,
/// and input that is rejected must leave its state exactly as it was.
@Suite struct FuzzTests {
    /// Everything that makes up the node's protocol state (statistics excluded: they count
    /// every datagram read, rejected or not).
    struct NodeState: Equatable {
        var blocks: [Block]
        var leases: [Lease]
        var freeSlots: [Int32]
        var demand: ClientDemand
        var inquiryList: [UInt32]
        var requests: RequestCache
        var options: OptionStore
        var learning: Bool
        var nextHousekeeping: Millis
        var marks: Bool
        var random: Xoshiro256
        var level: LogLevel

        init(_ n: Node) {
            blocks = n.table.blocks.storage
            // Only tables handed to a block are initialised; compare those (in block order).
            leases = []
            for b in 0..<n.table.count where n.table.hasTable(b) {
                for i in 0..<n.table.blockSize { leases.append(n.table.leases[n.table.slabIndex(b, i)]) }
            }
            demand = n.demand
            freeSlots = n.table.freeSlots
            inquiryList = n.inquiryList
            requests = n.requests
            options = n.optionStore
            learning = n.learning
            nextHousekeeping = n.nextHousekeeping
            marks = n.needlessMarksExist
            random = n.random
            level = n.runtimeLogLevel
        }
    }

    /// A node with owned blocks, leases, a foreign block, a claim in progress and a pending
    /// forwarded request; its next housekeeping is at 7 s.
    func busyNode(learning: Bool = false) -> Node {
        let node = makeNode { $0.spareLeases = 6; $0.learningPhase = learning }
        var sink = RecordingSink()
        node.forceOwn(2, now: 0)
        node.forceOwn(3, now: 0)
        node.forceClaimed(5, by: largerID, at: peerB, until: 50_000)
        if !learning { node.tick(now: 0, sink: &sink) }
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        node.dhcp(clientPacket(.discover, xid: 2, chaddr: mac(2)), now: 0, &sink)
        node.dhcp(clientPacket(.request, xid: 3, chaddr: mac(3), requested: IPv4Address(10, 0, 0, 21), params: [1, 3]), now: 0, &sink)
        return node
    }

    func randomBytes(_ rng: inout Xoshiro256, count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    func mutate(_ b: [UInt8], _ rng: inout Xoshiro256) -> [UInt8] {
        var m = b
        switch rng.next(below: 6) {
        case 0:  // flip a few bytes
            for _ in 0..<(1 + Int(rng.next(below: 4))) where !m.isEmpty {
                m[Int(rng.next(below: UInt64(m.count)))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
        case 1:  // truncate
            m = Array(m.prefix(Int(rng.next(below: UInt64(m.count + 1)))))
        case 2:  // append
            m += randomBytes(&rng, count: 1 + Int(rng.next(below: 20)))
        case 3:  // count byte / command byte
            if m.count > 15 { m[15] = UInt8(truncatingIfNeeded: rng.next()) }
            if m.count > 14 && rng.next(below: 2) == 0 { m[14] = UInt8(truncatingIfNeeded: rng.next()) }
        case 4:  // header pool fields
            if m.count > 13 { m[8 + Int(rng.next(below: 6))] ^= 0x01 }
        default:
            break  // valid as generated
        }
        return m
    }

    func meshTemplate(_ rng: inout Xoshiro256) -> [UInt8] {
        let id = NodeID(rng.next())
        let n = Int(rng.next(below: 10))
        switch rng.next(below: 3) {
        case 0:
            return MeshWire.updateClaim(nodeID: id, pool: testPool, claims: (0..<n).map { _ in
                (UInt32(rng.next(below: 80)), UInt16(rng.next(below: 120)))
            })
        case 1:
            return MeshWire.inquire(nodeID: id, pool: testPool, blocks: (0..<n).map { _ in UInt32(rng.next(below: 80)) })
        default:
            let commands: [MeshCommand] = [.renewLease, .leaseAck, .leaseNak]
            let address = IPv4Address(10, 0, 0, UInt8(rng.next(below: 256)))
            let xid = UInt32(rng.next(below: 5))
            return MeshWire.leaseMessage(nodeID: id, pool: testPool, command: commands[Int(rng.next(below: 3))],
                                         payload: LeasePayload(address: address, littleEndian: rng.next(below: 2) == 0,
                                                               xid: xid, chaddr: mac(UInt8(rng.next(below: 5)))))
        }
    }

    @Test(arguments: [false, true]) func meshDatagrams(learning: Bool) {
        var rng = Xoshiro256(seed: learning ? 11 : 12)
        let node = busyNode(learning: learning)
        var sink = RecordingSink()
        var rejected = 0, accepted = 0, violations: [[UInt8]] = []
        for i in 0..<6000 {
            let datagram: [UInt8]
            switch rng.next(below: 4) {
            case 0: datagram = randomBytes(&rng, count: Int(rng.next(below: 64)))
            case 1: datagram = randomBytes(&rng, count: Int(rng.next(below: 1501)))
            default: datagram = mutate(meshTemplate(&rng), &rng)
            }
            let valid = datagram.withUnsafeBytes { (try? MeshWire.decode($0, pool: testPool)) != nil }
            let before = NodeState(node)
            let now = Millis(1000 + i % 5000)  // never reaches the 7 s housekeeping
            if rng.next(below: 2) == 0 {
                node.multicast(datagram, from: peerA, now: now, &sink)
            } else {
                node.unicast(datagram, from: peerB, now: now, &sink)
            }
            sink.clear()
            if valid {
                accepted += 1
            } else {
                rejected += 1
                if NodeState(node) != before && violations.count < 3 { violations.append(datagram) }
            }
        }
        #expect(violations.isEmpty, "rejected datagrams changed the state: \(violations)")
        #expect(rejected > 2000 && accepted > 500)
        #expect(node.statistics[.mcastRecvPkg] + node.statistics[.directRecvPkg] == 6000)
    }

    func dhcpTemplate(_ rng: inout Xoshiro256) -> [UInt8] {
        let types: [DHCPMessageType] = [.discover, .request, .release, .inform, .decline, .offer]
        let type = types[Int(rng.next(below: UInt64(types.count)))]
        func maybeAddress() -> IPv4Address? {
            rng.next(below: 2) == 0 ? nil : IPv4Address(10, 0, 0, UInt8(rng.next(below: 256)))
        }
        let params = rng.next(below: 2) == 0 ? nil : randomBytes(&rng, count: Int(rng.next(below: 12)))
        return clientPacket(type, xid: UInt32(rng.next(below: 4)), chaddr: mac(UInt8(rng.next(below: 4))),
                            ciaddr: maybeAddress() ?? .zero, giaddr: rng.next(below: 8) == 0 ? IPv4Address(172, 16, 0, 1) : .zero,
                            flags: rng.next(below: 2) == 0 ? 0 : 0x8000, requested: maybeAddress(),
                            serverID: rng.next(below: 3) == 0 ? IPv4Address(10, 0, 0, 1) : nil, params: params,
                            leadingOptions: rng.next(below: 4) == 0 ? [0, 0, 0] : [])
    }

    func mutateDHCP(_ b: [UInt8], _ rng: inout Xoshiro256) -> [UInt8] {
        var m = b
        switch rng.next(below: 5) {
        case 0:  // damage the options area
            for _ in 0..<(1 + Int(rng.next(below: 3))) where m.count > 240 {
                m[240 + Int(rng.next(below: UInt64(m.count - 240)))] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 1: m = Array(m.prefix(Int(rng.next(below: UInt64(m.count + 1)))))
        case 2: m[236 + Int(rng.next(below: 4))] ^= 0x10  // cookie
        case 3: m += randomBytes(&rng, count: Int(rng.next(below: 40)))
        default: break
        }
        return m
    }

    @Test func dhcpPackets() {
        var rng = Xoshiro256(seed: 21)
        let node = busyNode()
        var sink = RecordingSink()
        var rejected = 0, violations: [[UInt8]] = []
        for i in 0..<6000 {
            let packet: [UInt8]
            switch rng.next(below: 4) {
            case 0:
                var r = randomBytes(&rng, count: 200 + Int(rng.next(below: 400)))
                if r.count >= 240 && rng.next(below: 2) == 0 { r.replaceSubrange(236..<240, with: [99, 130, 83, 99]) }
                packet = r
            default:
                packet = mutateDHCP(dhcpTemplate(&rng), &rng)
            }
            let type: UInt8? = packet.withUnsafeBytes { (try? DHCPWire.parse($0))?.messageType }
            let before = NodeState(node)
            node.dhcp(packet, now: Millis(1000 + i % 5000), &sink)
            sink.clear()
            let ignoredType = type.map { ![1, 3, 4, 7, 8].contains($0) } ?? true
            if ignoredType {
                rejected += 1
                if NodeState(node) != before && violations.count < 3 { violations.append(packet) }
            }
        }
        #expect(violations.isEmpty, "rejected packets changed the state: \(violations)")
        #expect(rejected > 1000)
        #expect(node.statistics[.dhcpRecvPkg] == 6000 + 3)  // + the setup packets
    }

    @Test func controlRequests() {
        var rng = Xoshiro256(seed: 31)
        let node = busyNode()
        var sink = RecordingSink()
        var violations: [[UInt8]] = []
        let commands: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x40, 0x41, 0x46, 0x47, 0x48, 0x49, 0x4A, 0xFF]
        for i in 0..<3000 {
            var request = randomBytes(&rng, count: Int(rng.next(below: 10)))
            if !request.isEmpty { request[0] = commands[Int(rng.next(below: UInt64(commands.count)))] }
            if request.count > 2 && rng.next(below: 2) == 0 { request[2] = UInt8(rng.next(below: 8)) }
            let before = NodeState(node)
            _ = node.control(request, now: Millis(1000 + i % 5000), &sink)
            sink.clear()
            let changes: Bool
            switch request.first {
            case 3: changes = request.count >= 3 && Int(request[2]) + 3 <= request.count && request[1] != 0 && request[1] != 255
            case 4, 5: changes = request.count >= 2
            default: changes = false
            }
            if !changes && NodeState(node) != before && violations.count < 3 { violations.append(request) }
        }
        #expect(violations.isEmpty, "read-only or malformed control requests changed the state: \(violations)")
    }

    @Test func longRandomRunNeverTraps() {
        // Every entry point, interleaved, with time moving on: only "no trap" is asserted here,
        // plus the basic invariants of the tables.
        var rng = Xoshiro256(seed: 41)
        let node = busyNode()
        var sink = RecordingSink()
        var now: Millis = 1000
        for _ in 0..<20_000 {
            now += Millis(rng.next(below: 400))
            switch rng.next(below: 5) {
            case 0: node.multicast(mutate(meshTemplate(&rng), &rng), from: rng.next(below: 2) == 0 ? peerA : peerB, now: now, &sink)
            case 1: node.unicast(mutate(meshTemplate(&rng), &rng), from: peerB, now: now, &sink)
            case 2: node.dhcp(mutateDHCP(dhcpTemplate(&rng), &rng), now: now, &sink)
            case 3: _ = node.control([UInt8(1 + rng.next(below: 7))], now: now, &sink)
            default: node.tick(now: now, sink: &sink)
            }
            sink.clear()
        }
        // Invariants: each lease slot is either free or held by exactly one block.
        var held = Set<Int32>()
        for b in node.table.blocks.storage where b.leaseSlot >= 0 { #expect(held.insert(b.leaseSlot).inserted) }
        #expect(held.count + node.table.freeSlots.count == node.table.slotCount)
        #expect(Set(node.table.freeSlots).isDisjoint(with: held))
        #expect(node.inquiryList.count <= node.inquiryListCapacity)
        for b in node.inquiryList { #expect(Int(b) < node.blockCount) }
    }
}

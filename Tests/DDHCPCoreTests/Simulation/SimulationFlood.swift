// A DISCOVER flood from random MACs on one node of a 2-node mesh (the flood policy,
// FloodPolicy.swift, docs/decisions.md D-100, D-101): real clients that arrive during the flood
// must get leases quickly, the clients already there keep renewing, and once the flood is over
// the flooded node's block count must come back to what its clients need within a few
// needless timeouts. The mesh invariants of every scenario hold throughout.
import Testing
@testable import DDHCPCore

@Suite struct SimulationFlood {
    /// Client index in the trace for flood packets (no simulated client has it).
    static let floodClient = 999_999

    static func floodDiscover(_ rng: inout SimulationRandom, xid: UInt32) -> [UInt8] {
        var chaddr = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { chaddr[i] = UInt8(truncatingIfNeeded: rng.next()) }
        chaddr[0] = (chaddr[0] & 0xFC) | 0x02  // locally administered, unicast
        return SimClientPacket(type: .discover, xid: xid, chaddr: chaddr).encode()
    }

    // Fast timers (-t 4 -B 20 -n 30), 256 blocks of 4, leases of 60 s. Each node serves four
    // clients; from 40 s to 100 s node 0 receives 250 DISCOVERs/s from random MACs (15,000
    // MACs), and a new real client joins node 0 every 5 s of it. Measured with C's policy
    // (before D-100/D-101): node 0 grew from 2 to 11 blocks, newcomers waited up to 74 s, and
    // it was back to its steady count 128 s after the flood's offers expired; with the policy:
    // at most 7 blocks, every newcomer served within 0.1 s, back after 24 s.
    @Test(arguments: simulationSeeds(9800, 4))
    func floodOnOneNodeOfTwo(seed: UInt64) {
        let setup = SimulationSetup(scenario: "DISCOVER flood on one node of 2", seed: seed, nodeCount: 2,
                                    configuration: simFastConfiguration(blocks: 256), leaseTime: 60)
        let sim = Simulation(setup)
        sim.startNodes(0..<2)
        for node in 0..<2 {
            for _ in 0..<4 { sim.addClient(lan: node, start: sim.rng.millis(in: 0...simSeconds(10))) }
        }
        let floodStart = simSeconds(40)
        let floodEnd = simSeconds(100)
        var floodRng = SimulationRandom(seed: seed ^ 0xF100D)
        var sent = 0
        func floodStep(_ sim: Simulation) {
            guard sim.now < floodEnd else { return }
            let bytes = Self.floodDiscover(&floodRng, xid: UInt32(truncatingIfNeeded: sent))
            sent += 1
            sim.queue.push(sim.now, .clientToServer(lan: 0, client: Self.floodClient, bytes: bytes))
            sim.at(sim.now + 4) { floodStep($0) }
        }
        sim.at(floodStart) { floodStep($0) }
        var newcomers: [Int] = []
        var joined: [Int: Millis] = [:]
        for k in 0..<12 {
            let t = floodStart + simSeconds(Double(k) * 5 + 1)
            let c = sim.addClient(lan: 0, start: t)
            newcomers.append(c)
            joined[c] = t
        }
        // When each newcomer first held a lease, and node 0's block count every second.
        var servedAt: [Int: Millis] = [:]
        var owned: [(Millis, Int)] = []
        func sample(_ sim: Simulation) {
            for c in newcomers where servedAt[c] == nil && sim.clients[c].heldAddress(now: sim.now) != nil {
                servedAt[c] = sim.now
            }
            owned.append((sim.now, sim.ownedCount(0)))
            if sim.now < simSeconds(280) { sim.at(sim.now + 100) { sample($0) } }
        }
        sim.at(simSeconds(30)) { sample($0) }
        let ok = simRun(sim, until: simSeconds(280), clientGrace: simSeconds(30))
        let before = owned.last { $0.0 <= floodStart }?.1 ?? 0
        let peak = owned.filter { $0.0 >= floodStart && $0.0 <= floodEnd }.map { $0.1 }.max() ?? 0
        let latencies = newcomers.map { c in servedAt[c].map { $0 - joined[c]! } ?? .max }
        // Steady count after the flood: what node 0's 16 clients and the spare target need.
        let steady = (16 + 2 + 3) / 4 + 1
        let offersGone = floodEnd + 12_000  // the flood's last offers expire
        let back = owned.first { $0.0 >= offersGone && $0.1 <= steady }?.0
        if simEnvironment("SIM_STATS") == "1" {
            simWriteStderr("FLOOD seed=\(seed) discovers=\(sent) blocks before=\(before) peak=\(peak) steady<=\(steady) "
                + "back after \(back.map { "\(($0 - offersGone) / 1000) s" } ?? "never") end=\(owned.last!.1) series=\(stride(from: 0, to: owned.count, by: 50).map { owned[$0].1 }) latencies ms=\(latencies)\n")
        }
        guard ok else { return }
        simExpect(sim, sent == 15_000, "flood sent \(sent) DISCOVERs")
        simExpect(sim, latencies.allSatisfy { $0 <= 5_000 }, "newcomers waited \(latencies) ms for a lease")
        simExpect(sim, peak <= before + 12 / 4 + 1 + Node.demandBlocksPerRound, "node 0 grew from \(before) to \(peak) blocks")
        // Within two needless timeouts (30 s) of the last offer's expiry.
        simExpect(sim, back != nil && back! - offersGone <= 2 * 30_000, "node 0 not back to \(steady) blocks: \(owned.last!.1)")
    }
}

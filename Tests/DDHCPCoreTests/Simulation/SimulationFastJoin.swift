// Fast join (docs/fast-join.md): a node that starts in a running mesh with gluon's timers
// (-t 15 -B 300, learning phase on). With one of our nodes among its peers it must own a block
// and serve within 2 s; with C peers only (they drop the table messages) it falls back to the
// learning phase. Strict lease invariants: no address is held by two clients at any moment,
// no client is NAKed while its lease lasts.
import Testing
@testable import DDHCPCore

/// gluon's timers on a small pool: -t 15 -B 300, learning on, `blocks` blocks of 4.
func simGluonConfiguration(blocks: Int) -> Configuration {
    var c = simFastConfiguration(blocks: blocks, learning: true)
    c.blockTimeout = 300
    c.tentativeTimeout = 15
    c.needlessTimeout = 300
    return c
}

@Suite struct SimulationFastJoin {
    /// Peers: 0 = both ours, 1 = one C, 2 = both C.
    @Test(arguments: [0, 1, 2].flatMap { c in simulationSeeds(13_000 + UInt64(c) * 100, 6).map { ($0, c) } })
    func nodeJoinsRunningMesh(seed: UInt64, cPeers: Int) {
        var setup = SimulationSetup(scenario: "join with \(cPeers) C peers of 2", seed: seed, nodeCount: 3,
                                    configuration: simGluonConfiguration(blocks: 16), leaseTime: 120)
        setup.strictLeases = true
        setup.cNodes = cPeers == 0 ? [] : cPeers == 1 ? [1] : [0, 1]
        if cPeers > 0 { setup.zeroIDNodes = setup.cNodes.count == 1 ? [1] : [0] }
        let sim = Simulation(setup)
        let join = simSeconds(400)
        sim.at(0) { sim in sim.startNode(0); sim.startNode(1) }
        sim.addClient(lan: 0, start: simSeconds(1))
        sim.addClient(lan: 1, start: simSeconds(2))
        sim.at(join) { sim in sim.startNode(2) }
        // One client already waiting (its DISCOVERs back off 4, 8 … s), one that arrives 1.5 s
        // after the start: the latter measures "first lease within 2 s".
        sim.addClient(lan: 2, start: join)
        sim.addClient(lan: 2, start: join + simSeconds(1.5))
        var ownedAt: Millis?
        for k in 1...40 {
            sim.at(join + Millis(k) * 100) { sim in if ownedAt == nil && sim.ownedCount(2) > 0 { ownedAt = sim.now } }
        }
        guard simRun(sim, until: join + simSeconds(420), clientGrace: simSeconds(60)) else { return }
        let firstAck = sim.firstAckAt[2]
        if cPeers < 2 {
            simExpect(sim, ownedAt != nil && ownedAt! - join <= simSeconds(1.5),
                      "the joining node should own a block within 1.5 s, owned at \(ownedAt.map { simTime($0 - join) } ?? "never")")
            simExpect(sim, firstAck != nil && firstAck! - join <= simSeconds(2),
                      "first lease \(firstAck.map { simTime($0 - join) } ?? "never") after the start, want ≤ 2 s")
        } else {
            // Nothing answers: the learning phase runs its B seconds as in C.
            simExpect(sim, firstAck != nil && firstAck! - join >= setup.blockTimeoutMillis,
                      "with C peers only the first lease must wait for the learning phase, came at \(firstAck.map { simTime($0 - join) } ?? "never")")
        }
    }

    // Two of our nodes join at the same moment with identical random seeds (the same block
    // choice) while a C node without learning phase (-L) starts claiming too: the fast INQUIRE
    // rounds must still leave every block with one owner (the harness checks every announcement
    // in the lossless mesh) and no address with two clients.
    @Test(arguments: simulationSeeds(13_500, 40))
    func joinersRaceEachOtherAndACNode(seed: UInt64) {
        var setup = SimulationSetup(scenario: "two joiners and a C claimer", seed: seed, nodeCount: 4,
                                    configuration: simGluonConfiguration(blocks: 8), leaseTime: 120)
        setup.strictLeases = true
        setup.sharedSeedNodes = [1, 2]
        setup.cNodes = [3]
        setup.zeroIDNodes = [3]
        setup.meshDelay = 1...300
        let sim = Simulation(setup)
        sim.nodes[3].configuration.learningPhase = false
        let join = simSeconds(400)
        sim.at(0) { sim in sim.startNode(0) }
        sim.addClient(lan: 0, start: simSeconds(1))
        sim.at(join) { sim in sim.startNode(1); sim.startNode(2) }
        sim.at(join + Millis(seed % 4) * 150) { sim in sim.startNode(3) }
        for lan in 1...3 { sim.addClient(lan: lan, start: join + simSeconds(1.5)) }
        // The loser of a race backs off and claims another block, still with fast rounds.
        var ownedAt: [Millis?] = [nil, nil, nil]
        for k in 1...40 {
            sim.at(join + Millis(k) * 100) { sim in
                for i in 1...2 where ownedAt[i] == nil && sim.ownedCount(i) > 0 { ownedAt[i] = sim.now }
            }
        }
        guard simRun(sim, until: join + simSeconds(200), clientGrace: simSeconds(60)) else { return }
        for i in 1...2 {
            simExpect(sim, ownedAt[i].map { $0 - join <= simSeconds(3) } ?? false,
                      "joiner \(i) owned its first block at \(ownedAt[i].map { simTime($0 - join) } ?? "never")")
        }
    }

    // Joining over a lossy mesh (10 %): pages and requests get lost; the join must still
    // complete or fall back, and the usual (non-strict) invariants hold.
    @Test(arguments: simulationSeeds(13_700, 8))
    func joinOverLossyMesh(seed: UInt64) {
        var setup = SimulationSetup(scenario: "join over 10 % loss", seed: seed, nodeCount: 4,
                                    configuration: simGluonConfiguration(blocks: 64), leaseTime: 120)
        setup.meshLossPermille = 100
        let sim = Simulation(setup)
        let join = simSeconds(400)
        sim.startNodes(0..<3)
        for lan in 0..<3 { for k in 0..<4 { sim.addClient(lan: lan, start: simSeconds(Double(1 + k))) } }
        sim.at(join) { sim in sim.startNode(3) }
        sim.addClient(lan: 3, start: join + simSeconds(1.5))
        guard simRun(sim, until: join + simSeconds(300), clientGrace: simSeconds(60)) else { return }
    }
}

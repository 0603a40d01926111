// Restart survival (docs/fast-join.md#restart-survival): a node is killed (no goodbye) and
// respawned 2 s later with the same command line, gluon timers, learning phase on. With its
// state image its clients renew and keep their addresses and a new client is served within 2 s;
// without one (a reboot) or with a corrupt one, the peers' table answers tell it which blocks
// were its own, and it gives none of their addresses to a new client while an old lease could
// still last. Strict invariants throughout: no address is held by two clients at any moment,
// no client is NAKed while its lease lasts (lossless mesh).
import Testing
@testable import DDHCPCore

enum SimImageCase: String, CaseIterable { case kept, none, corrupt, truncated }

extension Simulation {
    /// kill -9 now, respawn after `down` with the image as the file would hold it.
    func killAndRespawn(_ i: Int, after down: Millis, image: SimImageCase) {
        stopNode(i)
        at(now + down) { sim in
            let n = sim.nodes[i]
            switch image {
            case .kept: n.imageForNextStart = n.stateImage
            case .none: n.imageForNextStart = nil
            case .corrupt:
                var b = n.stateImage ?? [UInt8](repeating: 7, count: 60)
                b[b.count / 2] ^= 0x40
                n.imageForNextStart = b
            case .truncated: n.imageForNextStart = Array((n.stateImage ?? []).prefix(50))
            }
            sim.startNode(i)
        }
    }
}

@Suite struct SimulationRestart {
    @Test(arguments: SimImageCase.allCases.flatMap { c in simulationSeeds(14_000, 6).map { ($0, c) } })
    func killAndRespawn(seed: UInt64, image: SimImageCase) {
        if let only = simEnvironment("SIM_IMAGE"), only != image.rawValue { return }  // replay one case
        var setup = SimulationSetup(scenario: "kill -9 and respawn, image \(image.rawValue)", seed: seed, nodeCount: 3,
                                    configuration: simGluonConfiguration(blocks: 16), leaseTime: 120)
        setup.strictLeases = true
        setup.stateImageNodes = [0, 1, 2]
        let sim = Simulation(setup)
        sim.startNodes(0..<3)
        var oldClients: [Int] = []
        for k in 0..<4 { oldClients.append(sim.addClient(lan: 0, start: simSeconds(310 + Double(k)))) }
        sim.addClient(lan: 1, start: simSeconds(311))
        // Clients that arrive just before the kill: their leases are younger than the last
        // periodic image (at most 10 s old).
        let kill = simSeconds(400) + Millis(seed % 7) * 1300
        for k in 0..<3 { oldClients.append(sim.addClient(lan: 0, start: kill - simSeconds(6) + Millis(k) * 1500)) }
        sim.at(kill) { sim in sim.killAndRespawn(0, after: simSeconds(2), image: image) }
        let respawn = kill + simSeconds(2)
        // New clients after the respawn: they must never get an address an old client holds.
        var newClients: [Int] = []
        for k in 0..<8 { newClients.append(sim.addClient(lan: 0, start: respawn + simSeconds(1) + Millis(k) * 700)) }
        var servedInTime = false
        sim.at(respawn + simSeconds(3)) { sim in servedInTime = sim.clients[newClients[0]].heldAddress(now: sim.now) != nil }
        var addressAtKill: [Int: IPv4Address] = [:]
        sim.at(kill - 1) { sim in for c in oldClients { addressAtKill[c] = sim.clients[c].heldAddress(now: sim.now) } }
        guard simRun(sim, until: respawn + simSeconds(400), clientGrace: simSeconds(60)) else { return }
        if image == .kept {
            for c in oldClients {
                simExpect(sim, addressAtKill[c] != nil && sim.clients[c].heldAddress(now: sim.now) == addressAtKill[c],
                          "client \(c) held \(addressAtKill[c].map(simDotted) ?? "none") at the kill, now \(sim.clients[c].heldAddress(now: sim.now).map(simDotted) ?? "none")")
            }
        }
        simExpect(sim, servedInTime, "the first new client (asking 1 s after the respawn) had no lease 2 s later: \(sim.clients[newClients[0]].history.prefix(4))")
        // Writes stay rare: never two within 250 ms; without new clients at most one per
        // 10 s (the last 200 s: renewals and block refreshes only).
        let w = sim.nodes[0].stateWrites
        simExpect(sim, zip(w, w.dropFirst()).allSatisfy { $1 - $0 >= 250 }, "two state image writes within 250 ms")
        let steady = w.filter { $0 > respawn + simSeconds(200) }
        simExpect(sim, !steady.isEmpty && steady.count <= 20, "\(steady.count) writes in the last 200 s, want 1…20")
    }

    // Respawn with the image while the only peers are C nodes: nothing answers the table
    // request, so the node serves from its restored blocks at once and claims nothing new for B.
    @Test(arguments: simulationSeeds(14_500, 6))
    func respawnAmongCPeers(seed: UInt64) {
        var setup = SimulationSetup(scenario: "respawn with image among C peers", seed: seed, nodeCount: 3,
                                    configuration: simGluonConfiguration(blocks: 16), leaseTime: 120)
        setup.strictLeases = true
        setup.stateImageNodes = [0]
        setup.cNodes = [1, 2]
        setup.zeroIDNodes = [1]
        let sim = Simulation(setup)
        sim.startNodes(0..<3)
        var old: [Int] = []
        for k in 0..<3 { old.append(sim.addClient(lan: 0, start: simSeconds(310 + Double(k)))) }
        let kill = simSeconds(420)
        sim.at(kill) { sim in sim.killAndRespawn(0, after: simSeconds(2), image: .kept) }
        let fresh = sim.addClient(lan: 0, start: kill + simSeconds(3))
        var servedInTime = false
        sim.at(kill + simSeconds(5)) { sim in servedInTime = sim.clients[fresh].heldAddress(now: sim.now) != nil }
        var before: [Int: IPv4Address] = [:]
        sim.at(kill - 1) { sim in for c in old { before[c] = sim.clients[c].heldAddress(now: sim.now) } }
        guard simRun(sim, until: kill + simSeconds(400), clientGrace: simSeconds(60)) else { return }
        for c in old {
            simExpect(sim, before[c] != nil && sim.clients[c].heldAddress(now: sim.now) == before[c], "client \(c) lost its address")
        }
        simExpect(sim, servedInTime, "the new client had no lease 2 s after it asked: \(sim.clients[fresh].history.prefix(4))")
    }
}

extension SimulationRestart {
    // Respawns over a lossy mesh (5 %): lost table pages and UPDATECLAIMs; the usual
    // invariants (no duplicate once the mesh is consistent, conflicts end within 3·B).
    @Test(arguments: [SimImageCase.kept, .none].flatMap { c in simulationSeeds(14_800, 6).map { ($0, c) } })
    func respawnOverLossyMesh(seed: UInt64, image: SimImageCase) {
        var setup = SimulationSetup(scenario: "respawn over 5 % loss, image \(image.rawValue)", seed: seed, nodeCount: 4,
                                    configuration: simGluonConfiguration(blocks: 32), leaseTime: 120)
        setup.meshLossPermille = 50
        setup.stateImageNodes = [0, 1, 2, 3]
        let sim = Simulation(setup)
        sim.startNodes(0..<4)
        for lan in 0..<4 { for k in 0..<3 { sim.addClient(lan: lan, start: simSeconds(310 + Double(k + lan))) } }
        let kill = simSeconds(420) + Millis(seed % 5) * 2100
        sim.at(kill) { sim in sim.killAndRespawn(1, after: simSeconds(2), image: image) }
        for k in 0..<4 { sim.addClient(lan: 1, start: kill + simSeconds(3) + Millis(k) * 900) }
        guard simRun(sim, until: kill + simSeconds(500), clientGrace: simSeconds(60)) else { return }
    }
}

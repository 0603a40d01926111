// A DHCP burst on one node of a 10-node mesh: demand-aware claiming (ClientDemand.swift) must
// serve it quickly while the mesh invariants (no block OURS at two nodes, no address leased
// twice) hold as in every scenario.
import Testing
@testable import DDHCPCore

@Suite struct SimulationBurst {
    // Fast timers (-t 4: INQUIRE rounds 2 s apart), 256 blocks of 4, default -s 2. Every node
    // serves one early client; at 30 s forty new clients appear on node 0 within 2 s. With C's
    // policy node 0 gains one block per claim cycle (measured: 7 of 40 served within 20 s, and
    // some still without a lease 118 s later); demand-aware claiming inquires up to 1 + 4
    // blocks at once (measured: 23 within 20 s, all served).
    @Test(arguments: simulationSeeds(9700, 6))
    func burstOnOneNodeOfTen(seed: UInt64) {
        let setup = SimulationSetup(scenario: "DHCP burst on one node of 10", seed: seed, nodeCount: 10,
                                    configuration: simFastConfiguration(blocks: 256), leaseTime: 60)
        let sim = Simulation(setup)
        sim.startNodes(0..<10)
        for node in 0..<10 { sim.addClient(lan: node, start: sim.rng.millis(in: 0...simSeconds(10))) }
        let burstStart = simSeconds(30)
        var burst: [Int] = []
        for _ in 0..<40 { burst.append(sim.addClient(lan: 0, start: burstStart + sim.rng.millis(in: 0...simSeconds(2)))) }
        var servedBy10 = 0
        var servedBy20 = 0
        sim.at(burstStart + simSeconds(10)) { sim in
            servedBy10 = burst.filter { sim.clients[$0].heldAddress(now: sim.now) != nil }.count
        }
        sim.at(burstStart + simSeconds(20)) { sim in
            servedBy20 = burst.filter { sim.clients[$0].heldAddress(now: sim.now) != nil }.count
        }
        let ok = simRun(sim, until: simSeconds(150), clientGrace: simSeconds(40))
        if simEnvironment("SIM_STATS") == "1" {
            simWriteStderr("BURST seed=\(seed) served10s=\(servedBy10) served20s=\(servedBy20) owned0=\(sim.ownedCount(0))\n")
        }
        guard ok else { return }
        simExpect(sim, servedBy20 >= 18, "only \(servedBy20) of 40 burst clients served within 20 s")
        simExpect(sim, sim.clients.allSatisfy { $0.heldAddress(now: sim.now) != nil }, "a client has no lease at the end")
        // The other nodes keep what they need (one block each for -s 2 and one client).
        for i in 1..<10 {
            simExpect(sim, sim.ownedCount(i) >= 1 && sim.ownedCount(i) <= 3, "node \(i) owns \(sim.ownedCount(i)) blocks")
        }
    }
}

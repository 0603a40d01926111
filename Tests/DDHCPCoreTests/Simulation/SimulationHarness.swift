// Deterministic multi-node simulation: real `Node`s from DDHCPCore on a simulated mesh link
// (loss, delay, partitions), each with its own client LAN of simulated DHCP clients, driven by a
// virtual clock and one seeded PRNG. Invariants are checked while the run proceeds; the first
// violation stops the run and is reported with the seed and the recent event trace.
//
// Mesh: a multicast reaches every other node, a unicast the node with that PeerAddress; each
// copy is lost with the configured probability and delayed uniformly within bounds, and is
// delivered only if sender and receiver are in the same partition group at delivery time.
// A node's `tick` runs at its `nextWakeup`. Replies of node i reach the clients on LAN i.
//
// Invariants (each one proven able to fail by SimulationHarnessCatchesViolations):
//  * an OFFER/ACK names an address in a block the node owns at that moment, unless it is the
//    ACK of a forwarded request right after the owner's LEASEACK for that xid and chaddr; a
//    LEASEACK comes only from the owner of the address's block; replies parse, stay in the
//    pool, never hand out the server identifier, never go to a relay;
//  * two nodes that can hear each other own one block at most 3·B (conflictTolerance);
//  * every running node owns a block within learning + max(10·T, 2·B) + 5 s of starting, and
//    regains one within that (+ scenario grace) after losing all;
//  * no address is held by two clients whose leases were both confirmed after the last
//    disturbance + 3·B with no partition active (`consistentSince`);
//  * in a lossless mesh, no NAK for such a lease; every active client holds a lease at the end;
//  * no node traps (SimulationCrashReporter names the seed), no multicast storm, no runaway
//    timers.
@testable import DDHCPCore

/// Everything that decides a run besides the scenario's own timeline.
struct SimulationSetup {
    var scenario: String
    var seed: UInt64
    var nodeCount: Int
    var configuration = Configuration()  // template; node id and byte order set per node
    var leaseTime: UInt32 = 60  // option 51, given to every node as `-o 51:4:…`
    var meshLossPermille = 0
    var lanLossPermille = 0
    var meshDelay: ClosedRange<Millis> = 1...20
    var lanDelay: ClosedRange<Millis> = 0...3
    /// Nodes that use the all-zero node id of C nodes (docs/decisions.md D-01).
    var zeroIDNodes: Set<Int> = []
    /// Nodes that send the RENEWLEASE address in network order (big-endian C nodes, D-02).
    var bigEndianRenewNodes: Set<Int> = []
    /// These nodes get one shared random seed (forces identical block choices); the others
    /// get their own.
    var sharedSeedNodes: Set<Int> = []
    /// Nodes that behave like the C daemon toward the table messages of docs/fast-join.md: they
    /// never ask, and drop 0x20/0x21 (C's length check knows no such command).
    var cNodes: Set<Int> = []
    /// No excuse for disturbances: two clients must never hold one address, and a lossless run
    /// must never NAK a client whose lease has not ended (restart and join scenarios).
    var strictLeases = false
    /// Nodes that keep a state image (a file under /tmp in the daemon; kept in SimNode here).
    var stateImageNodes: Set<Int> = []
    /// Two connected nodes may both own one block for at most this many block timeouts.
    var conflictToleranceBlockTimeouts: Int64 = 3
    /// Extra time a node may stay without blocks after losing them (waiting for needless drops).
    var ownerlessGraceExtra: Millis = 0
    var traceCapacity = 600
    /// A run that needs more events than this is a storm (normal runs need far fewer).
    var eventBudget = 3_000_000
    /// Builds a node; the real core unless a harness self-test substitutes a fake.
    var makeCore: (_ configuration: Configuration, _ seed: UInt64, _ now: Millis) throws -> any SimulatedCore = {
        try Node(configuration: $0, randomSeed: $1, now: $2)
    }
    var computeDigest = false

    /// `swift test --filter` argument that re-runs this scenario (the calling test's name).
    var testName: String

    init(scenario: String, seed: UInt64, nodeCount: Int, configuration: Configuration = Configuration(),
         leaseTime: UInt32 = 60, test: String = #function) {
        self.scenario = scenario
        self.seed = seed
        self.nodeCount = nodeCount
        self.configuration = configuration
        self.leaseTime = leaseTime
        testName = String(test.prefix { $0 != "(" })
    }

    var replayHint: String { "SIM_SEED=\(seed) SIM_TRACE=1 swift test --filter \(testName)" }

    var blockTimeoutMillis: Millis { Millis(configuration.blockTimeout) * 1000 }
    var tentativeTimeoutMillis: Millis { Millis(configuration.tentativeTimeout) * 1000 }
    var leaseTimeMillis: Millis { Millis(leaseTime) * 1000 }
    var learningMillis: Millis { configuration.learningPhase ? blockTimeoutMillis : 0 }
    /// Longest a connected mesh may take to end a block conflict.
    var conflictToleranceMillis: Millis { conflictToleranceBlockTimeouts * blockTimeoutMillis }
    /// After a disturbance (merge, restart) every lease has been re-confirmed by a consistent
    /// mesh or has expired after this long; scenarios run at least this long past their last
    /// disturbance so that stale leases are out of the picture when they end.
    var settleMillis: Millis { conflictToleranceMillis + leaseTimeMillis + 10_000 }
    /// A node that is up must own a block this long after it started (learning + claiming).
    var claimDeadlineMillis: Millis {
        learningMillis + max(10 * tentativeTimeoutMillis, 2 * blockTimeoutMillis) + 5_000
    }
}

/// What the harness drives: exactly the public surface of `Node` (the core/shell contract), so
/// harness self-tests can substitute deliberately broken fakes.
protocol SimulatedCore: AnyObject {
    var runtimeLogLevel: LogLevel { get set }
    var nextWakeup: Millis { get }
    func start<S: ActionSink>(now: Millis, sink: inout S)
    func handleMulticast<S: ActionSink>(_ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S)
    func handleUnicast<S: ActionSink>(_ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S)
    func handleDHCP<S: ActionSink>(_ packet: UnsafeRawBufferPointer, now: Millis, sink: inout S)
    func tick<S: ActionSink>(now: Millis, sink: inout S)
    func handleControl<S: ActionSink>(_ request: UnsafeRawBufferPointer, now: Millis, reply: inout TextBuffer, sink: inout S)
    /// Indices of the blocks the node holds as OURS (a read-only view: no timers run).
    func ownedBlockIndices() -> [Int]
    func restoreState<S: ActionSink>(_ image: UnsafeRawBufferPointer, now: Millis, sink: inout S) -> Bool
}

extension SimulatedCore {
    func restoreState<S: ActionSink>(_ image: UnsafeRawBufferPointer, now: Millis, sink: inout S) -> Bool { false }
}

extension Node: SimulatedCore {
    func ownedBlockIndices() -> [Int] { blocks(in: .ours) }
}

/// Records what the core asks for during one call; the simulation acts on it afterwards.
/// For DHCP replies and unicasts it also notes which blocks the node owned at that very
/// moment (the node may run housekeeping later in the same call).
struct SimSink: ActionSink {
    enum Action {
        case multicast([UInt8])
        case unicast([UInt8], PeerAddress, ownedAtSend: [Int])
        case dhcp([UInt8], DHCPDestination, ownedAtSend: [Int])
        case hook(HookAction, IPv4Address, HardwareAddress)
        case log(LogLevel, [UInt8])
        case state([UInt8])
    }

    var actions: [Action] = []
    /// Reads the node's OURS blocks; nil for calls whose sends are not checked.
    let ownedBlocks: (() -> [Int])?

    init(ownedBlocks: (() -> [Int])? = nil) { self.ownedBlocks = ownedBlocks }

    mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool {
        actions.append(.multicast(Array(datagram)))
        return true
    }

    mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool {
        actions.append(.unicast(Array(datagram), peer, ownedAtSend: ownedBlocks?() ?? []))
        return true
    }

    mutating func sendDHCP(
        _ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
        clientHardware: HardwareAddress, yourAddress: IPv4Address
    ) -> Bool {
        actions.append(.dhcp(Array(packet), destination, ownedAtSend: ownedBlocks?() ?? []))
        return true
    }

    mutating func runHook(_ action: HookAction, address: IPv4Address, clientHardware: HardwareAddress) {
        actions.append(.hook(action, address, clientHardware))
    }

    mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer) {
        actions.append(.log(level, Array(line)))
    }

    mutating func writeState(_ image: UnsafeRawBufferPointer) -> Bool {
        actions.append(.state(Array(image)))
        return true
    }
}

enum SimEvent {
    case tick(node: Int, generation: Int)
    case meshDelivery(to: Int, from: Int, bytes: [UInt8], unicast: Bool)
    case clientToServer(lan: Int, client: Int, bytes: [UInt8])
    case serverToLAN(lan: Int, bytes: [UInt8], destination: DHCPDestination)
    case clientTimer(client: Int, generation: Int)
    case action((Simulation) -> Void)
    case audit
}

/// Events in order of (time, insertion order). Most events are mesh and LAN deliveries a few
/// milliseconds ahead, so those go to a timing wheel of one bucket per millisecond (each bucket
/// holds one time only, in insertion order; popping walks memory in order); events beyond the
/// wheel's window (timers seconds ahead) or before it go to a binary min-heap. Pop takes the
/// earlier of the two heads by (time, insertion order), so the order is exactly that of one heap.
/// The heap holds plain keys; payloads live in a slab so sifting never retains or releases
/// packet buffers.
struct SimEventQueue {
    private struct Key {
        var time: Millis
        var seq: UInt64
        var slot: Int32
        @inline(__always) func before(_ o: Key) -> Bool { time < o.time || (time == o.time && seq < o.seq) }
    }
    private struct WheelEntry {
        var seq: UInt64
        var event: SimEvent
    }

    private static let wheelSize = 1024  // a power of two, longer than every mesh delay used
    private var heap: [Key] = []
    private var slab: [SimEvent?] = []
    private var freeSlots: [Int32] = []
    private var seq: UInt64 = 0
    private var buckets = [[WheelEntry]](repeating: [], count: SimEventQueue.wheelSize)
    private var bucketHead = [Int](repeating: 0, count: SimEventQueue.wheelSize)
    private var wheelCount = 0
    /// The time of the last pop: no entry is earlier. The wheel holds times in
    /// base ..< base + wheelSize, the entry of time t in bucket t mod wheelSize.
    private var base: Millis = 0
    /// Where the search for the earliest wheel entry starts (base <= scan <= that entry).
    private var scan: Millis = 0

    var count: Int { heap.count + wheelCount }

    var nextTime: Millis? {
        mutating get {
            let w = wheelHead()
            guard let h = heap.first else { return w?.time }
            guard let w else { return h.time }
            return min(w.time, h.time)
        }
    }

    /// The earliest wheel entry's time and insertion number; moves `scan` up to it.
    @inline(__always) private mutating func wheelHead() -> (time: Millis, seq: UInt64)? {
        guard wheelCount > 0 else { return nil }
        let mask = SimEventQueue.wheelSize - 1
        while bucketHead[Int(scan) & mask] == buckets[Int(scan) & mask].count { scan += 1 }
        let b = Int(scan) & mask
        return (scan, buckets[b][bucketHead[b]].seq)
    }

    mutating func push(_ time: Millis, _ event: SimEvent) {
        seq += 1
        if time >= base && time - base < Millis(SimEventQueue.wheelSize) {
            buckets[Int(time) & (SimEventQueue.wheelSize - 1)].append(WheelEntry(seq: seq, event: event))
            if wheelCount == 0 || time < scan { scan = time }
            wheelCount += 1
            return
        }
        let slot: Int32
        if let s = freeSlots.popLast() {
            slot = s
            slab[Int(s)] = event
        } else {
            slot = Int32(slab.count)
            slab.append(event)
        }
        heap.append(Key(time: time, seq: seq, slot: slot))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (Millis, SimEvent)? {
        if let w = wheelHead(), heap.isEmpty || w.time < heap[0].time || (w.time == heap[0].time && w.seq < heap[0].seq) {
            let b = Int(w.time) & (SimEventQueue.wheelSize - 1)
            let event = buckets[b][bucketHead[b]].event
            bucketHead[b] += 1
            if bucketHead[b] == buckets[b].count {
                buckets[b].removeAll(keepingCapacity: true)
                bucketHead[b] = 0
            }
            wheelCount -= 1
            base = w.time
            return (w.time, event)
        }
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, heap[l].before(heap[m]) { m = l }
                if r < heap.count, heap[r].before(heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        let event = slab[Int(top.slot)]!
        slab[Int(top.slot)] = nil
        freeSlots.append(top.slot)
        // Every wheel entry is at or after this event, so the window may start here.
        if top.time > base { base = top.time }
        if scan < base { scan = base }
        return (top.time, event)
    }
}

final class SimNode {
    let index: Int
    let peer: PeerAddress
    var configuration: Configuration
    var core: (any SimulatedCore)?
    /// Bumped when the node goes down or restarts, so stale timers are ignored.
    var generation = 0
    var scheduledWakeup: Millis?
    var upSince: Millis = 0
    /// Partition group: nodes hear each other only within one group.
    var group = 0
    /// Which blocks the node reports as OURS; nil = must ask again (any call may change it).
    var ownedCache: [Bool]?
    var ticksInWindow = 0
    var multicastsInWindow = 0
    var multicastWindowStart: Millis = 0
    /// First audit that found the node without blocks (nil while it owns some).
    var ownerlessSince: Millis?
    var everOwned = false
    /// Owned a block at some point of the run (convergence figures).
    var ownedOnce = false
    var tickWindowStart: Millis = 0
    /// The last state image the node stored (survives stop/start, like a file under /tmp).
    var stateImage: [UInt8]?
    /// When each image was stored.
    var stateWrites: [Millis] = []
    /// Given to the next start: the image (or corrupt bytes) to restore from.
    var imageForNextStart: [UInt8]?

    init(index: Int, configuration: Configuration) {
        self.index = index
        self.configuration = configuration
        // fe80::200:ff:fe00:<index+1>, a link-local address per node.
        peer = PeerAddress(high: 0xFE80_0000_0000_0000, low: 0x0200_00FF_FE00_0000 | UInt64(index + 1))
    }
}

/// Why a node is handling something; decides which DHCP replies are legitimate.
enum SimCallContext {
    case start, tick, multicast(from: Int)
    case unicast(from: Int, message: SimMeshMessage?)
    case dhcp(client: Int)
}

final class Simulation {
    let setup: SimulationSetup
    var rng: SimulationRandom
    private(set) var now: Millis = 0
    var nodes: [SimNode] = []
    var clients: [SimClient] = []
    var queue = SimEventQueue()
    var trace: SimTraceRing
    private(set) var failure: String?
    private(set) var eventCount = 0

    // Pool layout (docs/protocol.md#terms).
    let poolStart: UInt32
    let blockSize: UInt32
    let blockCount: Int
    let serverIdentifier: IPv4Address

    // Duplicate leases: a lease confirmed (ACKed) before the mesh was consistent may be stale.
    /// End of the latest disturbance (heal, node stop or restart); nil before the first. The
    /// start is none: nothing stale exists yet, and a claim race in a connected mesh that
    /// leases one address twice is a real failure.
    private(set) var lastDisturbance: Millis?
    private(set) var partitionActive = false
    /// Last time two groups were joined: conflicts between nodes count from here.
    private(set) var lastMerge: Millis = 0
    private var conflictSince: [Int: Millis] = [:]
    private var nodeSeedForAll: UInt64 = 0

    // Statistics scenarios assert on.
    var roamsWithLease = 0
    var roamsKept = 0
    var roamsLost = 0
    var forwardedAcks = 0
    var leaseNaks = 0
    var acquisitions = 0
    var handoverMessages = 0
    /// Blocks offered in a block transfer (0x30 with TRANSFER).
    var handedBlocks: Set<Int> = []
    var sameBlockInquiries = 0  // INQUIREs for a block another node inquired within T
    var conflictsSeen = 0  // blocks seen OURS at two connected nodes by an audit
    var maxConflictMillis: Millis = 0
    /// First DHCPACK each node sent (since its last start).
    var firstAckAt: [Int: Millis] = [:]
    /// Multicasts sent by all nodes (before loss), for packets per node per minute.
    var multicastsSent = 0
    /// First moment every node had owned a block (each since the run started); nil until then.
    private(set) var allNodesOwnedAt: Millis?
    private var nodesOwnedOnce = 0
    private var lastInquiry: [UInt32: (node: Int, time: Millis)] = [:]
    /// Last node that announced each block (UPDATECLAIM).
    private var lastAnnouncer: [UInt32: Int] = [:]

    init(_ setup: SimulationSetup) {
        self.setup = setup
        rng = SimulationRandom(seed: setup.seed)
        let live = simEnvironment("SIM_TRACE") == "1"
        trace = SimTraceRing(capacity: setup.traceCapacity, live: live, computeDigest: setup.computeDigest)
        let c = setup.configuration
        poolStart = c.prefix.value
        blockSize = c.blockSize
        let hostBits = 32 - Int(c.prefixLength)
        blockCount = hostBits >= Int(c.blockSizeExponent) ? 1 << (hostBits - Int(c.blockSizeExponent)) : 0
        serverIdentifier = IPv4Address(c.prefix.octet(0), c.prefix.octet(1), c.prefix.octet(2), 1)
        nodeSeedForAll = rng.next()
        var usedIDs: Set<UInt64> = [0]
        for i in 0..<setup.nodeCount {
            var conf = c
            if setup.zeroIDNodes.contains(i) {
                conf.nodeID = .zero
            } else {
                var id = rng.nonZero()
                while usedIDs.contains(id) { id = rng.nonZero() }
                usedIDs.insert(id)
                conf.nodeID = NodeID(id)
            }
            conf.renewLeaseLittleEndian = !setup.bigEndianRenewNodes.contains(i)
            if setup.cNodes.contains(i) { conf.fastJoin = false }
            if setup.stateImageNodes.contains(i) { conf.keepsStateImage = true }
            // Lease time as `-o 51:4:…` on the command line.
            let lt = setup.leaseTime
            conf.options.set(51, [UInt8(lt >> 24), UInt8(truncatingIfNeeded: lt >> 16),
                                  UInt8(truncatingIfNeeded: lt >> 8), UInt8(truncatingIfNeeded: lt)])
            nodes.append(SimNode(index: i, configuration: conf))
        }
        if setup.conflictToleranceMillis > 0 {
            queue.push(auditInterval, .audit)
        }
    }

    /// Conflicts may last 3·B, so B/2 is fine grained enough; merges are audited at the heal.
    var auditInterval: Millis { max(1000, setup.blockTimeoutMillis / 2) }

    // MARK: timeline

    func at(_ time: Millis, _ body: @escaping (Simulation) -> Void) {
        queue.push(time, .action(body))
    }

    func note(_ s: String) { trace.add(now, .note(s)) }

    /// Runs events up to and including `end` (virtual ms). Stops early at the first violation.
    func run(until end: Millis) {
        while failure == nil, let t = queue.nextTime, t <= end {
            let (time, event) = queue.pop()!
            now = time
            dispatch(event)
            eventCount += 1
            if eventCount > setup.eventBudget {
                violation("more than \(setup.eventBudget) events: message storm or runaway timers")
            }
        }
        if failure == nil { now = max(now, end) }
    }

    private func dispatch(_ event: SimEvent) {
        switch event {
        case let .tick(i, generation):
            let n = nodes[i]
            guard generation == n.generation, n.scheduledWakeup == now, let core = n.core else { return }
            n.scheduledWakeup = nil
            if now - n.tickWindowStart >= 1000 {
                n.tickWindowStart = now
                n.ticksInWindow = 0
            }
            n.ticksInWindow += 1
            if n.ticksInWindow > 200 {
                violation("node \(i) asked for more than 200 ticks within one second (nextWakeup not advancing?)")
                return
            }
            trace.add(now, .tick(i))
            var sink = SimSink(ownedBlocks: { [unowned core] in core.ownedBlockIndices() })
            core.tick(now: now, sink: &sink)
            afterCall(i, sink.actions, .tick)
        case let .meshDelivery(to, from, bytes, unicast):
            let n = nodes[to]
            guard let core = n.core, nodes[from].group == n.group else { return }
            if setup.cNodes.contains(to), bytes.count >= 16, bytes[14] == 0x20 || bytes[14] == 0x21 { return }
            trace.add(now, .meshIn(to: to, from: from, bytes: bytes, unicast: unicast))
            var sink = SimSink(ownedBlocks: { [unowned core] in core.ownedBlockIndices() })
            let peer = nodes[from].peer
            bytes.withUnsafeBytes { buf in
                if unicast {
                    core.handleUnicast(buf, from: peer, now: now, sink: &sink)
                } else {
                    core.handleMulticast(buf, from: peer, now: now, sink: &sink)
                }
            }
            afterCall(to, sink.actions, unicast ? .unicast(from: from, message: SimMeshMessage.decode(bytes)) : .multicast(from: from))
        case let .clientToServer(lan, client, bytes):
            guard let core = nodes[lan].core else { return }
            trace.add(now, .dhcpIn(node: lan, client: client, bytes: bytes))
            var sink = SimSink(ownedBlocks: { [unowned core] in core.ownedBlockIndices() })
            bytes.withUnsafeBytes { core.handleDHCP($0, now: now, sink: &sink) }
            afterCall(lan, sink.actions, .dhcp(client: client))
        case let .serverToLAN(lan, bytes, destination):
            deliverToLAN(lan, bytes, destination)
        case let .clientTimer(c, generation):
            guard clients[c].timerGeneration == generation else { return }
            clientTimerFired(clients[c])
        case .action(let body):
            body(self)
        case .audit:
            audit()
            queue.push(now + auditInterval, .audit)
        }
    }

    // MARK: nodes

    /// Starts the nodes `indices` at `time` (the usual opening of a scenario).
    func startNodes(_ indices: Range<Int>, at time: Millis = 0) {
        at(time) { sim in for i in indices { sim.startNode(i) } }
    }

    func startNode(_ i: Int) {
        let n = nodes[i]
        precondition(n.core == nil)
        n.generation += 1
        n.scheduledWakeup = nil
        n.ownedCache = nil
        n.upSince = now
        n.ownerlessSince = nil
        n.everOwned = false
        firstAckAt[i] = nil
        let seed = setup.sharedSeedNodes.contains(i) ? nodeSeedForAll : rng.next()
        let core: any SimulatedCore
        do {
            core = try setup.makeCore(n.configuration, seed, now)
        } catch {
            violation("node \(i) rejected its configuration: \(error)")
            return
        }
        if simEnvironment("SIM_TRACE") == "1" { core.runtimeLogLevel = .debug }
        n.core = core
        note("n\(i) starts, id \(simHex16(n.configuration.nodeID.value))")
        var sink = SimSink(ownedBlocks: { [unowned core] in core.ownedBlockIndices() })
        if let image = n.imageForNextStart {
            n.imageForNextStart = nil
            let ok = image.withUnsafeBytes { core.restoreState($0, now: now, sink: &sink) }
            note("n\(i) restores a state image of \(image.count) bytes: \(ok ? "used" : "ignored")")
        }
        core.start(now: now, sink: &sink)
        afterCall(i, sink.actions, .start)
    }

    /// The node vanishes: no goodbye, its state is gone (docs/protocol.md#shutdown).
    func stopNode(_ i: Int) {
        let n = nodes[i]
        n.core = nil
        n.generation += 1
        n.scheduledWakeup = nil
        n.ownedCache = nil
        note("n\(i) stops")
        markDisturbance()
    }

    /// Splits the mesh: `groups[i]` is node i's side.
    func partition(_ groups: [Int]) {
        for (i, g) in groups.enumerated() { nodes[i].group = g }
        note("partition \(groups)")
        partitionActive = true
    }

    func heal() {
        for n in nodes { n.group = 0 }
        lastMerge = now
        note("partition healed")
        partitionActive = false
        lastDisturbance = now
        audit()  // count the conflicts the merge creates before the nodes resolve them
    }

    /// A node stopped or restarted: leases it granted may now be unknown to every node.
    func markDisturbance() {
        lastDisturbance = now
    }

    /// Leases confirmed at or after this time were granted by a consistent mesh: conflicts of
    /// the last disturbance are over (they must end within the tolerance, see `audit`) and no
    /// partition is active. Two such leases must never name the same address. A lease confirmed
    /// earlier may be stale (granted by the other side of a partition, or by a node that has
    /// since lost its state); its next renewal re-confirms it through the block's real owner.
    var consistentSince: Millis {
        if partitionActive { return .max }
        guard let d = lastDisturbance else { return .min }
        return d + setup.conflictToleranceMillis
    }

    /// After each call into node `i`: act on what it asked for, check the invariants that
    /// concern its output, and keep its timer scheduled.
    private func afterCall(_ i: Int, _ actions: [SimSink.Action], _ context: SimCallContext) {
        let n = nodes[i]
        n.ownedCache = nil
        // Claims end in a tick (tentative timeout) or on a fast-join reply (unicast); a
        // multicast never makes a block ours, so skip the scan there (it is most calls).
        if !n.ownedOnce {
            if case .multicast = context {} else { noteOwnedOnce(i) }
        }
        for action in actions {
            if failure != nil { return }
            switch action {
            case .multicast(let bytes):
                multicastsSent += 1
                if now - n.multicastWindowStart >= 1000 {
                    n.multicastWindowStart = now
                    n.multicastsInWindow = 0
                }
                n.multicastsInWindow += 1
                if n.multicastsInWindow > 200 {
                    violation("node \(i) sent more than 200 multicasts within one second (storm)", nodes: [i])
                    return
                }
                var lost = 0
                for j in nodes.indices where j != i {
                    if rng.chance(permille: setup.meshLossPermille) {
                        lost += 1
                        continue
                    }
                    queue.push(now + rng.millis(in: setup.meshDelay), .meshDelivery(to: j, from: i, bytes: bytes, unicast: false))
                }
                trace.add(now, .meshOut(from: i, bytes: bytes, to: nil, lost: lost))
                noteInquiries(i, bytes)
                checkExclusiveAnnouncement(i, bytes)
            case let .unicast(bytes, peer, ownedAtSend):
                guard let j = nodes.firstIndex(where: { $0.peer == peer }) else {
                    violation("node \(i) sent a unicast to an unknown peer \(simHex16(peer.high)):\(simHex16(peer.low))")
                    return
                }
                checkLeaseReply(from: i, bytes, ownedAtSend)
                let lost = rng.chance(permille: setup.meshLossPermille)
                trace.add(now, .meshOut(from: i, bytes: bytes, to: j, lost: lost ? 1 : 0))
                if !lost {
                    queue.push(now + rng.millis(in: setup.meshDelay), .meshDelivery(to: j, from: i, bytes: bytes, unicast: true))
                }
            case let .dhcp(bytes, destination, ownedAtSend):
                trace.add(now, .dhcpOut(node: i, bytes: bytes, destination: destination))
                if case .relay = destination {
                    violation("node \(i) sent a reply to a relay agent; no simulated client sets giaddr")
                    return
                }
                checkDHCPReply(from: i, bytes, context, ownedAtSend)
                if !rng.chance(permille: setup.lanLossPermille) {
                    queue.push(now + rng.millis(in: setup.lanDelay), .serverToLAN(lan: i, bytes: bytes, destination: destination))
                }
            case let .state(bytes):
                n.stateImage = bytes
                n.stateWrites.append(now)
            case let .hook(action, address, _):
                trace.add(now, .hook(i, action, address))
            case let .log(level, line):
                trace.add(now, .log(i, level, line))
            }
        }
        scheduleWakeup(i, afterTick: { if case .tick = context { return true } else { return false } }())
    }

    private func scheduleWakeup(_ i: Int, afterTick: Bool) {
        let n = nodes[i]
        guard let core = n.core else { return }
        // After a tick the node must want something later than now, else it would spin.
        let wanted = max(core.nextWakeup, afterTick ? now + 1 : now)
        if let s = n.scheduledWakeup, s <= wanted { return }
        n.scheduledWakeup = wanted
        queue.push(wanted, .tick(node: i, generation: n.generation))
    }

    // MARK: ownership (the core's read-only view; asking through the control socket would run
    // due housekeeping and so change the run being observed)

    func blockIndex(_ a: IPv4Address) -> Int? {
        guard a.value >= poolStart else { return nil }
        let b = Int((a.value - poolStart) / blockSize)
        return b < blockCount ? b : nil
    }

    /// Blocks node `i` holds as OURS.
    func ownedBlocks(_ i: Int) -> [Bool] {
        let n = nodes[i]
        if let c = n.ownedCache { return c }
        var owned = [Bool](repeating: false, count: blockCount)
        guard let core = n.core else { return owned }
        for b in core.ownedBlockIndices() where b < blockCount { owned[b] = true }
        n.ownedCache = owned
        return owned
    }

    func ownedCount(_ i: Int) -> Int { ownedBlocks(i).reduce(0) { $0 + ($1 ? 1 : 0) } }

    private func noteOwnedOnce(_ i: Int) {
        let n = nodes[i]
        guard !n.ownedOnce, let core = n.core, !core.ownedBlockIndices().isEmpty else { return }
        n.ownedOnce = true
        nodesOwnedOnce += 1
        if nodesOwnedOnce == nodes.count { allNodesOwnedAt = now }
    }

    /// When the last client that ever started got its first lease (nil if one never did).
    var allClientsServedAt: Millis? {
        var last: Millis = 0
        for c in clients where c.startedOnce {
            guard let t = c.firstBoundAt else { return nil }
            last = max(last, t)
        }
        return last
    }

    // MARK: invariants

    /// Records the first violation with seed, replay hint and trace; `nodes` are the nodes
    /// involved, whose own recent events are listed too.
    func violation(_ message: String, nodes involved: [Int] = []) {
        guard failure == nil else { return }
        var text = "\(setup.scenario) seed \(setup.seed): \(simTime(now)): \(message)\n"
        text += "replay: \(setup.replayHint)\n"
        if !involved.isEmpty {
            text += "last events of nodes \(involved):\n"
            text += trace.lines(last: 30, involving: involved).joined(separator: "\n") + "\n"
        }
        text += "last events:\n" + trace.lines(last: 25).joined(separator: "\n")
        failure = text
    }

    /// An OFFER/ACK must hand out an address from a block the node owns, unless it answers a
    /// forwarded request right after the owner's LEASEACK for exactly this client and xid.
    private func checkDHCPReply(from i: Int, _ bytes: [UInt8], _ context: SimCallContext, _ ownedAtSend: [Int]) {
        let (parsed, problem) = SimServerReply.parse(bytes)
        guard let reply = parsed else {
            violation("node \(i) sent a malformed DHCP reply: \(problem ?? "?")")
            return
        }
        guard reply.type == .offer || reply.type == .ack, reply.yiaddr != .zero else { return }
        let a = reply.yiaddr
        guard blockIndex(a) != nil else {
            violation("node \(i) sent \(reply.type) for \(simDotted(a)) outside the pool")
            return
        }
        if a == serverIdentifier {
            violation("node \(i) sent \(reply.type) for its own server identifier \(simDotted(a)) (D-27)")
            return
        }
        if reply.type == .ack && firstAckAt[i] == nil { firstAckAt[i] = now }
        if setup.configuration.reservations.contains(a) {
            // D-84: a reserved address goes only to its static client, from any node.
            if let s = setup.configuration.reservations.staticAddress(for: simHardwareAddress(reply.chaddr)), s == a { return }
            violation("node \(i) sent \(reply.type) for the reserved address \(simDotted(a))", nodes: [i])
            return
        }
        if ownedAtSend.contains(blockIndex(a)!) { return }
        if reply.type == .ack, case let .unicast(_, message?) = context, message.kind == .leaseAck,
            message.xid == reply.xid, message.chaddr == reply.chaddr
        {
            forwardedAcks += 1
            return
        }
        violation("node \(i) sent \(reply.type) for \(simDotted(a)) in block \(blockIndex(a)!) which it does not own", nodes: [i])
    }

    /// A LEASEACK may only come from the owner of the address's block (D-10).
    private func checkLeaseReply(from i: Int, _ bytes: [UInt8], _ ownedAtSend: [Int]) {
        guard let m = SimMeshMessage.decode(bytes) else {
            violation("node \(i) sent a malformed unicast (\(bytes.count) bytes)")
            return
        }
        switch m.kind {
        case .leaseAck:
            let candidates = m.leaseAddressCandidates.filter { blockIndex($0) != nil }
            if !candidates.contains(where: { ownedAtSend.contains(blockIndex($0)!) }) {
                violation("node \(i) sent LEASEACK for \(candidates.map(simDotted)) without owning the block", nodes: [i])
            }
        case .leaseNak:
            leaseNaks += 1
        case .renewLease, .other(0x20), .other(0x21):
            break
        case .other(0x30), .other(0x31):
            handoverMessages += 1  // lease handoff / block handover (D-81, D-86)
            if bytes[14] == 0x30, bytes.count >= 28, bytes[24] & 1 != 0 { handedBlocks.insert(Int(simRead32(bytes, 16))) }
        default:
            violation("node \(i) sent \(m.summary) by unicast")
        }
    }

    /// In a lossless mesh two connected nodes with different ids never own one block at the
    /// same moment, except while a merge is being resolved: the three INQUIREs exist so that
    /// every other node can object before anyone owns. Checked when a node announces a block
    /// that another node announced last (new owners announce at once, D-05). Equal ids (C's
    /// all-zero nodes, D-01) cannot tell each other apart and are excused.
    private func checkExclusiveAnnouncement(_ i: Int, _ bytes: [UInt8]) {
        guard let m = SimMeshMessage.decode(bytes), case .updateClaim(let entries) = m.kind else { return }
        let resolvingMerge = lastMerge > 0 && now < lastMerge + setup.conflictToleranceMillis
        let strict = setup.meshLossPermille == 0 && !resolvingMerge
        for e in entries {
            defer { lastAnnouncer[e.block] = i }
            guard strict, let j = lastAnnouncer[e.block], j != i, nodes[j].core != nil,
                nodes[j].group == nodes[i].group,
                nodes[j].configuration.nodeID != nodes[i].configuration.nodeID,
                Int(e.block) < blockCount, ownedBlocks(j)[Int(e.block)]
            else { continue }
            violation("nodes \(j) and \(i) both own block \(e.block) in a connected, lossless mesh", nodes: [j, i])
            return
        }
    }

    private func noteInquiries(_ i: Int, _ bytes: [UInt8]) {
        guard let m = SimMeshMessage.decode(bytes), case .inquire(let blocks) = m.kind else { return }
        for b in blocks {
            if let last = lastInquiry[b], last.node != i, now - last.time <= setup.tentativeTimeoutMillis {
                sameBlockInquiries += 1
            }
            lastInquiry[b] = (i, now)
        }
    }

    /// Periodic: conflicting ownership must end within the tolerance; every running node must
    /// own a block once it had time to claim one.
    func audit() {
        var owners = [[Int]](repeating: [], count: blockCount)
        for n in nodes where n.core != nil {
            for (b, own) in ownedBlocks(n.index).enumerated() where own { owners[b].append(n.index) }
        }
        if failure != nil { return }
        for b in 0..<blockCount {
            let o = owners[b]
            var connected = false
            if o.count > 1 {
                outer: for x in 0..<o.count {
                    for y in (x + 1)..<o.count where nodes[o[x]].group == nodes[o[y]].group {
                        connected = true
                        break outer
                    }
                }
            }
            guard connected else {
                conflictSince[b] = nil
                continue
            }
            if conflictSince[b] == nil {
                conflictSince[b] = now
                conflictsSeen += 1
            }
            let since = max(conflictSince[b]!, lastMerge)
            maxConflictMillis = max(maxConflictMillis, now - since)
            if now - since > setup.conflictToleranceMillis {
                violation("block \(b) owned by nodes \(o) for \((now - since) / 1000) s while they can hear each other", nodes: o)
                return
            }
        }
        for n in nodes where n.core != nil && !n.configuration.dhcpDisabled {
            guard ownedCount(n.index) == 0 else {
                if !n.ownedOnce { noteOwnedOnce(n.index) }
                n.everOwned = true
                n.ownerlessSince = nil
                continue
            }
            if !n.everOwned {
                if now - n.upSince > setup.claimDeadlineMillis {
                    violation("node \(n.index) owns no block \((now - n.upSince) / 1000) s after it started", nodes: [n.index])
                    return
                }
                continue
            }
            let since = n.ownerlessSince ?? now
            n.ownerlessSince = since
            if now - since > setup.claimDeadlineMillis + setup.ownerlessGraceExtra {
                violation("node \(n.index) has owned no block for \((now - since) / 1000) s", nodes: [n.index])
                return
            }
        }
    }

    /// No address may be held by two clients whose leases were both confirmed by a consistent
    /// mesh. Checked at every ACK a client takes (the only moment a pair can start to count)
    /// and at the end of the run.
    func checkAllLeasesDistinct() {
        var holders: [UInt32: [SimClient]] = [:]
        for c in clients {
            if let a = c.heldAddress(now: now) { holders[a.value, default: []].append(c) }
        }
        for (a, list) in holders.sorted(by: { $0.key < $1.key }) where list.count > 1 {
            for x in 0..<list.count {
                for y in (x + 1)..<list.count where isDuplicate(list[x], list[y]) {
                    duplicateLease(IPv4Address(a), list[x], list[y])
                    return
                }
            }
        }
    }

    private func isDuplicate(_ x: SimClient, _ y: SimClient) -> Bool {
        if setup.strictLeases { return true }
        return min(x.lastBoundAt, y.lastBoundAt) >= consistentSince
    }

    func checkNewLease(_ c: SimClient, _ a: IPv4Address) {
        acquisitions += 1
        guard blockIndex(a) != nil else {
            violation("client \(c.index) got \(simDotted(a)) outside the pool")
            return
        }
        for other in clients where other.index != c.index && other.heldAddress(now: now) == a && isDuplicate(other, c) {
            duplicateLease(a, other, c)
            return
        }
    }

    private func duplicateLease(_ a: IPv4Address, _ x: SimClient, _ y: SimClient) {
        violation("""
            \(simDotted(a)) is leased to two clients at once:
            c\(x.index) (\(simMAC(x.chaddr)), lease until \(simTime(x.leaseExpiry))): \(x.history.suffix(8).joined(separator: "; "))
            c\(y.index) (\(simMAC(y.chaddr)), lease until \(simTime(y.leaseExpiry))): \(y.history.suffix(8).joined(separator: "; "))
            """, nodes: Array(Set([x.lan, y.lan])).sorted())
    }

    /// One line of what the run exercised (SIM_STATS=1).
    var summary: String {
        let owned = nodes.map { $0.core == nil ? 0 : ownedCount($0.index) }.reduce(0, +)
        return "events=\(eventCount) leases=\(acquisitions) roams=\(roamsKept)/\(roamsWithLease) lost=\(roamsLost) "
            + "fwdACK=\(forwardedAcks) LEASENAK=\(leaseNaks) sameBlockInq=\(sameBlockInquiries) "
            + "conflicts=\(conflictsSeen) maxConflict=\(maxConflictMillis / 1000)s owned=\(owned)/\(blockCount) "
            + "converged=\(allNodesOwnedAt.map { "\(Double($0) / 1000)s" } ?? "never") served=\(allClientsServedAt.map { "\(Double($0) / 1000)s" } ?? "never") "
            + "mcasts=\(multicastsSent)"
            + (failure == nil ? "" : " FAILED")
    }

    /// End of a run: last audit, and every active client must be served.
    func finish(clientGrace: Millis) {
        guard failure == nil else { return }
        audit()
        checkAllLeasesDistinct()
        for c in clients where c.state != .idle && failure == nil {
            let since = max(c.activeSince, nodes[c.lan].upSince)
            guard now - since > clientGrace else { continue }
            if c.heldAddress(now: now) == nil, now - c.lastBoundAt > clientGrace {
                violation("client \(c.index) on n\(c.lan) has had no lease for \((now - max(since, c.lastBoundAt)) / 1000) s: \(c.history.suffix(6).joined(separator: "; "))")
            }
        }
    }
}

func simEnvironment(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

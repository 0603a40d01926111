// CONTRACT between the core and its callers (daemon shell, simulation): one `Node` per daemon.
// Events (datagrams, DHCP packets, control requests, timer ticks) come in together with the
// current monotonic time; everything the node wants done goes out through the ActionSink.
// Extend freely; rename only together with every caller.
//
// Where the work is done:
//   BlockStateMachine.swift  block messages, housekeeping, claiming, announcing
//                            (docs/protocol.md#block-state-machine, #timers, #allocation)
//   DHCPServer.swift         DHCP, forwarding, RENEWLEASE/LEASEACK/LEASENAK (docs/protocol.md#dhcp)
//   Control.swift            control socket answers (docs/protocol.md#control, #statistics)
//
// Time: all deadlines are kept in milliseconds. C compares whole seconds from time(); here
// the same comparisons (`timeout < now` etc.) run on milliseconds, so an event happens at the
// first housekeeping after its exact deadline instead of after the next second boundary. Peers
// cannot tell the difference (their view is quantised by housekeeping spacing anyway).

public final class Node {
    public private(set) var configuration: Configuration
    /// Messages above this level are not produced (C's runtime log level; control command 5).
    public var runtimeLogLevel: LogLevel = .warning
    /// The live DHCP option store (defaults added; changed by control commands 3 and 4).
    public internal(set) var optionStore: OptionStore
    public internal(set) var statistics = Statistics()

    var table: BlockTable
    /// Changes whenever a LEASED lease of our blocks is added, renewed or removed: the shell
    /// rewrites the lease file when it differs from the version it wrote (D-51).
    public internal(set) var ownLeasesVersion: UInt32 = 0
    /// The claiming list of docs/protocol.md#claiming: blocks this node is inquiring, in selection
    /// order. A block on it is CLAIMING until owned, but may have left that state (a peer won it)
    /// until the next claim step removes it, so the list and the state are not the same thing.
    /// Bounded: the INQUIRE count is 1 byte.
    var inquiryList: [UInt32]
    let inquiryListCapacity: Int
    /// Earliest time of the next INQUIRE round (claim step): rounds are at least
    /// housekeepingSpacingMs apart even when multicasts trigger housekeeping more often.
    var nextInquiryRound: Millis = .min
    var random: Xoshiro256
    var learning: Bool
    var nextHousekeeping: Millis
    /// C's "marks exist" flag (docs/protocol.md#needless-blocks).
    var needlessMarksExist = false
    /// Housekeeping runs, for the debug cross-check of the block table's counts (D-200).
    var countsCheckRuns: UInt32 = 0
    /// Forwarded REQUESTs waiting for the owner's answer (RequestCache.swift).
    var requests: RequestCache
    /// Clients recently left without an offer (ClientDemand.swift).
    var demand = ClientDemand()
    /// Lease handoffs and block transfers in flight (Handover.swift).
    var handoffs = HandoffTable()
    /// Fast join and restart state (FastJoin.swift, StateImage.swift).
    var join = FastJoinState()
    var persist = PersistState()

    let pool: MeshPool
    let blockTimeoutMs: Millis
    let tentativeTimeoutMs: Millis
    let needlessTimeoutMs: Millis
    let housekeepingSpacingMs: Millis
    let spareTarget: Int
    /// How long an unanswered client counts as demand: a claim's three INQUIRE rounds plus the
    /// ownership step, so clients that retry slowly keep their claim going.
    let demandWindowMs: Millis

    /// The most blocks client demand may add to `need` in one housekeeping (ClientDemand.swift).
    public static let demandBlocksPerRound = 4

    /// Preallocated output buffers (mesh datagrams, DHCP replies) and log line scratch.
    let meshOut: UnsafeMutableRawBufferPointer
    let dhcpOut: UnsafeMutableRawBufferPointer
    var logText = TextBuffer(capacity: 256)

    /// One datagram; a DHCP reply needs at most DHCPWire.minimumReplyBuffer.
    static let bufferSize = MeshWire.datagramCapacity

    public init(configuration: Configuration, randomSeed: UInt64, now: Millis) throws(ConfigError) {
        try configuration.validate()
        // Every message the node writes fits its scratch buffer.
        assert(TableWire.answerHeaderSize + TableWire.entriesPerPage * TableWire.entrySize <= Node.bufferSize)
        assert(HandoverWire.fixedSize + HandoverWire.maximumEntries * HandoverWire.entrySize <= Node.bufferSize)
        assert(MeshWire.headerSize + MeshWire.maximumClaimsPerMessage * MeshWire.claimEntrySize <= Node.bufferSize)
        assert(DHCPWire.minimumReplyBuffer <= Node.bufferSize)
        self.configuration = configuration
        var options = configuration.options
        options.addDefaults(prefix: configuration.prefix, prefixLength: configuration.prefixLength)
        optionStore = options
        blockTimeoutMs = Millis(configuration.blockTimeout) * 1000
        tentativeTimeoutMs = Millis(configuration.tentativeTimeout) * 1000
        needlessTimeoutMs = Millis(configuration.needlessTimeout) * 1000
        housekeepingSpacingMs = Millis(configuration.tentativeTimeout / 2) * 1000
        spareTarget = configuration.effectiveSpareLeases
        demandWindowMs = 4 * max(housekeepingSpacingMs, 1000)
        pool = MeshPool(prefix: configuration.prefix, prefixLength: configuration.prefixLength,
                        blockSize: UInt8(truncatingIfNeeded: configuration.blockSize))
        table = BlockTable(configuration: configuration, now: now, blockTimeout: blockTimeoutMs)
        inquiryListCapacity = min(255, table.count)
        inquiryList = []
        inquiryList.reserveCapacity(inquiryListCapacity)
        random = Xoshiro256(seed: randomSeed)
        learning = configuration.learningPhase
        nextHousekeeping = configuration.learningPhase ? now + blockTimeoutMs : now
        requests = RequestCache()
        meshOut = UnsafeMutableRawBufferPointer.allocate(byteCount: Node.bufferSize, alignment: 8)
        meshOut.initializeMemory(as: UInt8.self, repeating: 0)
        dhcpOut = UnsafeMutableRawBufferPointer.allocate(byteCount: Node.bufferSize, alignment: 8)
        dhcpOut.initializeMemory(as: UInt8.self, repeating: 0)
        fastJoinSetUp(now: now)
        stateImageSetUp()
    }

    deinit {
        if persisting { persist.buffer.deallocate() }
        meshOut.deallocate()
        dhcpOut.deallocate()
    }

    /// Call once after the sockets exist: logs the configuration (INFO) and, with -L, runs the
    /// `endlearning` hook at once (docs/protocol.md#event-loop).
    public func start<S: ActionSink>(now: Millis, sink: inout S) {
        logConfiguration(&sink)
        if !configuration.learningPhase {
            sink.runHook(.endLearning, address: .zero, clientHardware: .zero)
        }
        fastJoinTick(now: now, sink: &sink)
    }

    /// A datagram read from the multicast socket (port 1234). A valid datagram of our pool
    /// triggers housekeeping afterwards (docs/protocol.md#event-loop; garbage and foreign pools do
    /// not — our choice, C runs it for any datagram, docs/decisions.md D-14).
    public func handleMulticast<S: ActionSink>(
        _ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S
    ) {
        let due = pollTimer(now: now, sink: &sink)
        statistics.add(.mcastRecvPkg)
        statistics.add(.mcastRecvByte, Int64(datagram.count))
        if (!configuration.cWire && receiveTableMessage(datagram, from: peer, now: now, sink: &sink))
            || receiveHandoverMulticast(datagram, from: peer, now: now, sink: &sink)  // 0x30 (D-85)
        {
            if due && !learning { housekeeping(now: now, sink: &sink) }
            return
        }
        let valid = receiveBlockMessage(datagram, from: peer, now: now, sink: &sink)
        if (valid || due) && !learning { housekeeping(now: now, sink: &sink) }
    }

    /// A datagram read from the unicast socket (port 1235).
    public func handleUnicast<S: ActionSink>(
        _ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S
    ) {
        let due = pollTimer(now: now, sink: &sink)
        statistics.add(.directRecvPkg)
        statistics.add(.directRecvByte, Int64(datagram.count))
        if due { expireBlocksAndLeases(now: now, sink: &sink) }  // D-90
        if !(!configuration.cWire && receiveTableMessage(datagram, from: peer, now: now, sink: &sink))
            && !receiveHandover(datagram, from: peer, now: now, sink: &sink)  // 0x30/0x31 (D-81)
        {
            receiveLeaseMessage(datagram, from: peer, now: now, sink: &sink)
        }
        if due { housekeeping(now: now, sink: &sink) }
    }

    /// A packet read from the DHCP socket (port 67).
    public func handleDHCP<S: ActionSink>(_ packet: UnsafeRawBufferPointer, now: Millis, sink: inout S) {
        let due = pollTimer(now: now, sink: &sink)
        statistics.add(.dhcpRecvPkg)
        statistics.add(.dhcpRecvByte, Int64(packet.count))
        // D-90: after a pause longer than the housekeeping spacing (the process was stopped, the
        // router suspended), own blocks may be past their timeout; they must not serve the event.
        if due { expireBlocksAndLeases(now: now, sink: &sink) }
        if !configuration.dhcpDisabled { receiveDHCP(packet, now: now, sink: &sink) }
        if due { housekeeping(now: now, sink: &sink) }
    }

    /// Timers: call when `now >= nextWakeup`, or whenever convenient; it is idempotent.
    public func tick<S: ActionSink>(now: Millis, sink: inout S) {
        fastJoinTick(now: now, sink: &sink)
        if pollTimer(now: now, sink: &sink) { housekeeping(now: now, sink: &sink) }
        serviceHandoffs(now: now, sink: &sink)
    }

    /// The earliest time at which `tick` has work to do: the end of the learning phase
    /// (start + B), then housekeeping every floor(T/2) s; with -L the first one is at start.
    /// Everything else that expires (blocks, leases, cached requests) is handled there.
    public var nextWakeup: Millis { min(nextHousekeeping, fastJoinWakeup, handoffs.nextSend) }

    /// The timer step of the event loop (docs/protocol.md#event-loop): if the housekeeping time
    /// has come, schedule the next one, end the learning phase if it is still on, and report
    /// that housekeeping is due.
    func pollTimer<S: ActionSink>(now: Millis, sink: inout S) -> Bool {
        guard now >= nextHousekeeping else { return false }
        nextHousekeeping = now + roundSpacing(now)
        if learning {
            learning = false
            log(.info, &sink) { $0.append("Learning phase over") }
            sink.runHook(.endLearning, address: .zero, clientHardware: .zero)
        }
        return true
    }

    // MARK: Logging

    /// Whether a line at `level` is produced: compiled in and enabled at runtime. The one log
    /// filter, for the core's lines and the shell's. The constant check comes first so disabled
    /// levels fold away in size-optimised builds.
    @inline(__always)
    public func logs(_ level: LogLevel) -> Bool {
        level <= LogLevel.compiledLimit && level <= runtimeLogLevel
    }

    /// Produces one log line if `logs(level)`.
    @inline(__always)
    func log<S: ActionSink>(_ level: LogLevel, _ sink: inout S, _ compose: (inout TextBuffer) -> Void) {
        guard logs(level) else { return }
        logText.clear()
        compose(&logText)
        emitLogText(level, &sink)
    }

    /// The end of every log line, once (not inlined into each of the ~60 log sites).
    @inline(never)
    func emitLogText<S: ActionSink>(_ level: LogLevel, _ sink: inout S) {
        logText.withBytes { sink.log(level, $0) }
    }

    func logConfiguration<S: ActionSink>(_ sink: inout S) {
        let c = configuration
        log(.info, &sink) {
            $0.append("Network: ")
            $0.append(c.prefix)
            $0.append(byte: UInt8(ascii: "/"))
            $0.append(Int(c.prefixLength))
        }
        log(.info, &sink) { $0.append("Block size: "); $0.append(Int(c.blockSize)) }
        log(.info, &sink) { $0.append("Number of blocks: "); $0.append(Int(c.blockCount)) }
        log(.info, &sink) { $0.append("Spare leases: "); $0.append(spareTarget) }
        log(.info, &sink) { $0.append("Timeout: "); $0.append(Int(c.blockTimeout)) }
        log(.info, &sink) { $0.append("Refresh factor: 4") }
        log(.info, &sink) { $0.append("Tentative timeout: "); $0.append(Int(c.tentativeTimeout)) }
        log(.info, &sink) { $0.append("Node id: "); $0.append(hex: c.nodeID.value, digits: 16) }
    }
}

// MARK: Read-only views for the shell, the simulation and tests

/// A copy of one block's state.
public struct BlockInfo: Equatable, Sendable {
    public var state: BlockState
    public var owner: NodeID
    public var ownerAddress: PeerAddress
    public var claimCounter: UInt8
    /// Absolute expiry time (ms).
    public var timeout: Millis
    public var hasLeaseTable: Bool
    public var needless: Bool
}

/// A copy of one lease entry.
public struct LeaseInfo: Equatable, Sendable {
    public var state: LeaseState
    public var xid: UInt32
    public var chaddr: HardwareAddress
    /// Absolute end time (ms).
    public var end: Millis
}

extension Node {
    /// N, the number of blocks.
    public var blockCount: Int { table.count }

    public var isLearning: Bool { learning }

    /// Our node id.
    public var nodeID: NodeID { configuration.nodeID }

    /// The header fields of this node's pool.
    public var meshPool: MeshPool { pool }

    public func block(_ index: Int) -> BlockInfo {
        let entry = table.blocks[index]
        return BlockInfo(state: entry.state, owner: entry.owner, ownerAddress: entry.ownerAddress, claimCounter: entry.claimCounter,
                         timeout: entry.timeout, hasLeaseTable: entry.leaseSlot >= 0, needless: entry.needlessMarked)
    }

    /// The lease entry of `address`, nil outside the pool or if its block has no lease table.
    public func lease(_ address: IPv4Address) -> LeaseInfo? {
        guard let (block, i) = table.location(of: address), table.hasTable(block) else { return nil }
        let l = table.leases[table.slabIndex(block, i)]
        return LeaseInfo(state: l.state, xid: l.xid, chaddr: l.chaddr, end: l.end)
    }


    /// Indices of blocks in `state`.
    public func blocks(in state: BlockState) -> [Int] {
        var out: [Int] = []
        for i in 0..<table.count where table.blocks[i].state == state { out.append(i) }
        return out
    }

    /// The lease time LT in seconds (option 51 of the live store; 0 if absent).
    public var leaseTime: UInt32 { optionStore.leaseTime }

    /// Number of FREE, offerable addresses in our blocks (what the spare target is compared to).
    public var spareLeases: Int { countSpareLeases().spare }

    /// Unused lease-table slots left in the slab.
    public var freeLeaseTables: Int { table.freeSlotCount }

    /// Clients whose DISCOVER found no FREE lease within the demand window.
    public func waitingClients(now: Millis) -> Int { demand.waiting(now: now, window: demandWindowMs) }

    /// Every LEASED lease of our blocks, in address order: address, client MAC, when the
    /// client's lease ends (ms, without the server's slack) and the stored host name (empty if
    /// unknown). What the lease file lists (docs/protocol.md#lease-file).
    public func forEachOwnLease(_ body: (IPv4Address, HardwareAddress, Millis, UnsafeRawBufferPointer) -> Void) {
        for block in 0..<table.count where table.blocks[block].state == .ours && table.hasTable(block) {
            let base = table.slabIndex(block, 0)
            for i in 0..<table.blockSize where table.leases[base + i].state == .leased {
                let l = table.leases[base + i]
                body(table.address(block: block, lease: i), l.chaddr, l.end - Node.leaseSlackMs, table.hostnames[base + i])
            }
        }
    }

    /// Number of forwarded requests waiting for the owner's answer.
    public var pendingForwardedRequests: Int { requests.count }
}

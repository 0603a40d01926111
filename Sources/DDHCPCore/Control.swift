// The control protocol (docs/protocol.md#control-protocol, #block-table, #option-listing,
// #statistics): one request in, one answer out. Text answers are byte-exact with C; extension
// commands (≥ 0x40, ignored by C daemons) answer in JSON with full node ids (docs/decisions.md
// D-30).

/// First byte of a control request.
public enum ControlCommand: UInt8, Sendable {
    case showBlocks = 1  // exactly 1 byte → block table
    case showOptions = 2  // exactly 1 byte → option listing
    case setOption = 3  // code, len, len bytes
    case removeOption = 4  // code
    case setLogLevel = 5  // level
    case statistics = 6  // → statistics
    case statisticsReset = 7  // → statistics, then counters zeroed
    // Extensions (ddhcpdctl -j / -e): JSON variants are 0x40 | the C command.
    case blocksJSON = 0x41  // exactly 1 byte
    case statisticsJSON = 0x46
    case statisticsResetJSON = 0x47
    case leases = 0x48  // exactly 1 byte → lease listing (text)
    case leasesJSON = 0x49  // exactly 1 byte
}

/// Builds control requests (for ddhcpdctl). These allocate; ddhcpdctl sends one and exits.
public enum ControlRequest {
    public static func simple(_ command: ControlCommand) -> [UInt8] { [command.rawValue] }

    /// `-o CODE:LEN:P…` (parsed as docs/protocol.md#option-syntax) → command 3.
    public static func setOption(_ text: UnsafeRawBufferPointer) throws(ConfigError) -> [UInt8] {
        let option = try ArgumentText.parseOption(text)
        return setOption(code: option.code, payload: option.payload)
    }

    public static func setOption(code: UInt8, payload: [UInt8]) -> [UInt8] {
        [ControlCommand.setOption.rawValue, code, UInt8(truncatingIfNeeded: payload.count)] + payload
    }

    /// `-l SECONDS` (strtoul base 0) → command 3 with option 51, 4 bytes big-endian.
    public static func leaseTime(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        let v = UInt32(truncatingIfNeeded: ArgumentText.strtoul(text))
        return setOption(code: DHCPOption.leaseTime, payload: OptionStore.bytes(v))
    }

    /// `-r CODE` (atoi) → command 4.
    public static func removeOption(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        [ControlCommand.removeOption.rawValue, UInt8(truncatingIfNeeded: ArgumentText.atoi(text))]
    }

    /// `-v LEVEL` (atoi) → command 5.
    public static func logLevel(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        [ControlCommand.setLogLevel.rawValue, UInt8(truncatingIfNeeded: ArgumentText.atoi(text))]
    }
}

extension Node {
    /// One request read from the control socket; the answer text (possibly empty) goes to `reply`.
    public func handleControl<S: ActionSink>(
        _ request: UnsafeRawBufferPointer, now: Millis, reply: inout TextBuffer, sink: inout S
    ) {
        let due = pollTimer(now: now, sink: &sink)
        if due { housekeeping(now: now, sink: &sink) }
        guard request.count >= 1 else {
            malformedControl(&sink)
            return
        }
        guard let command = ControlCommand(rawValue: request[0]) else {
            log(.warning, &sink) { $0.append("Unknown command on control socket: "); $0.append(Int(request[0])) }
            return
        }
        switch command {
        case .showBlocks:
            guard request.count == 1 else { return malformedControl(&sink) }
            writeBlockTable(now: now, into: &reply)
        case .showOptions:
            guard request.count == 1 else { return malformedControl(&sink) }
            writeOptions(into: &reply)
        case .setOption:
            guard request.count >= 3, Int(request[2]) + 3 <= request.count, request[1] != 0, request[1] != 255 else {
                return malformedControl(&sink)
            }
            let code = request[1]
            let length = Int(request[2])
            optionStore.set(code, bytes: UnsafeRawBufferPointer(rebasing: request[3..<(3 + length)]))
            log(.info, &sink) { $0.append("Option set: "); $0.append(Int(code)); $0.append(byte: UInt8(ascii: ":")); $0.append(length) }
        case .removeOption:
            guard request.count >= 2 else { return malformedControl(&sink) }
            let code = request[1]
            optionStore.remove(code)
            log(.info, &sink) { $0.append("Option removed: "); $0.append(Int(code)) }
        case .setLogLevel:
            guard request.count >= 2 else { return malformedControl(&sink) }
            // C stores any value 0–255; every value above DEBUG behaves as DEBUG.
            runtimeLogLevel = LogLevel(rawValue: min(request[1], LogLevel.debug.rawValue)) ?? .debug
        case .statistics, .statisticsReset:
            writeStatistics(into: &reply)
            if command == .statisticsReset { statistics.reset() }
        case .blocksJSON:
            guard request.count == 1 else { return malformedControl(&sink) }
            writeBlocksJSON(now: now, into: &reply)
        case .leases:
            guard request.count == 1 else { return malformedControl(&sink) }
            writeLeases(now: now, into: &reply)
        case .leasesJSON:
            guard request.count == 1 else { return malformedControl(&sink) }
            writeLeasesJSON(now: now, into: &reply)
        case .statisticsJSON, .statisticsResetJSON:
            writeStatisticsJSON(into: &reply)
            if command == .statisticsResetJSON { statistics.reset() }
        }
    }

    func malformedControl<S: ActionSink>(_ sink: inout S) {
        log(.warning, &sink) { $0.append("Malformed command on control socket.") }
    }

    /// Seconds until `deadline`, rounded up (a row is shown while any time is left).
    static func secondsLeft(_ deadline: Millis, now: Millis) -> Int64 {
        let ms = deadline - now
        return ms <= 0 ? 0 : (ms + 999) / 1000
    }

    // MARK: Text answers

    /// docs/protocol.md#block-table, byte-exact: six-space indents, two lines ending in a space.
    func writeBlockTable(now: Millis, into t: inout TextBuffer) {
        let c = configuration
        t.append("block size/number\t")
        t.append(Int(c.blockSize))
        t.append(byte: UInt8(ascii: "/"))
        t.append(table.count)
        t.append(" \n      tentative timeout\t")
        t.append(Int(c.tentativeTimeout))
        t.append("\n      timeout\t")
        t.append(Int(c.blockTimeout))
        t.append("\n      refresh factor\t4\n      spare leases needed\t")
        t.append(spareTarget)
        t.append("\n      network: ")
        t.append(c.prefix)
        t.append(byte: UInt8(ascii: "/"))
        t.append(Int(c.prefixLength))
        t.append(" \nnode id\t")
        t.append(hex: c.nodeID.value, digits: 16)
        t.append("\nddhcp blocks\nindex\tstate\towner\t\t\tclaim\tleases\ttimeout\n")
        let rows = writeBlockRows(now: now, json: false, into: &t)
        t.append("\nblocks in use: ")
        t.append(rows)
        t.append(byte: 10)
    }

    /// The rows of the block table, blocks with time left: tab-separated text (byte-exact with C,
    /// the state as its number, offered/leased counts) or JSON objects (the state by name, all
    /// three counts, `null` without a lease table). One writer for both, so they list the same
    /// rows. Returns the number of rows.
    func writeBlockRows(now: Millis, json: Bool, into t: inout TextBuffer) -> Int {
        var rows = 0
        for i in 0..<table.count {
            let entry = table.blocks[i]
            guard entry.timeout - now > 0 else { continue }
            if json { t.append(rows == 0 ? "{\"index\":" : ",{\"index\":") }
            rows += 1
            t.append(i)
            if json {
                t.append(",\"state\":")
                Node.appendQuoted(&t, Node.stateName(entry.state))
                t.append(",\"owner\":\"")
            } else {
                t.append(byte: 9)
                t.append(Int(entry.state.rawValue))
                t.append(byte: 9)
            }
            t.append(hex: entry.owner.value, digits: 16)
            t.append(json ? "\",\"claim\":" : "\t")
            t.append(Int(entry.claimCounter))
            t.append(json ? ",\"leases\":" : "\t")
            if table.hasTable(i) {
                let counts = table.leaseCounts(i)
                if json {
                    t.append("{\"free\":")
                    t.append(counts.free)
                    t.append(",\"offered\":")
                }
                t.append(counts.offered)
                t.append(json ? ",\"leased\":" : "/")
                t.append(counts.leased)
                if json { t.append(byte: UInt8(ascii: "}")) }
            } else {
                t.append(json ? "null" : "-")
            }
            t.append(json ? ",\"timeout\":" : "\t")
            t.append(Node.secondsLeft(entry.timeout, now: now))
            t.append(json ? "}" : "\n")
            t.spillIfFull()
        }
        return rows
    }

    /// docs/protocol.md#option-listing.
    func writeOptions(into t: inout TextBuffer) {
        t.append("DHCP Lease Time: ")
        t.append(unsigned: UInt64(optionStore.leaseTime))
        t.append("\n\nDHCP Disabled: ")
        t.append(configuration.dhcpDisabled ? 1 : 0)
        t.append("\nDHCP Option Store\ncode\tlen\tpayload\n")
        for code in optionStore.codes {
            let payload = optionStore.payload(code) ?? []
            t.append(Int(code))
            t.append(byte: 9)
            t.append(payload.count)
            t.append(byte: 9)
            for byte in payload {
                t.append(Int(byte))
                t.append(byte: 9)
            }
            t.append(byte: 10)
            t.spillIfFull()
        }
    }

    /// Lease listing (extension, `ddhcpdctl -e`): every non-FREE lease of every lease table,
    /// one tab-separated row each, in address order, then a count.
    ///
    ///     address\tstate\tmac\tblock\towner\texpires\n
    ///     10.0.0.9\tleased\t0A:00:00:00:00:01\t2\t1000000000000000\t309\n
    ///     \n
    ///     leases: 1\n
    func writeLeases(now: Millis, into t: inout TextBuffer) {
        t.append("address\tstate\tmac\tblock\towner\texpires\n")
        let rows = writeLeaseRows(now: now, json: false, into: &t)
        t.append("\nleases: ")
        t.append(rows)
        t.append(byte: 10)
    }

    /// The rows of the lease listings, every non-FREE lease of every lease table in address
    /// order: tab-separated text (address, state, mac, block, owner, seconds left) or JSON objects
    /// (address, block, own_block, state, mac, chaddr, xid, expires_in). One writer for both, so
    /// they list the same leases. Returns the number of rows.
    func writeLeaseRows(now: Millis, json: Bool, into t: inout TextBuffer) -> Int {
        var rows = 0
        for block in 0..<table.count where table.hasTable(block) {
            let base = table.slabIndex(block, 0)
            for i in 0..<table.blockSize {
                let l = table.leases[base + i]
                guard l.state != .free else { continue }
                if json { t.append(rows == 0 ? "{\"address\":\"" : ",{\"address\":\"") }
                rows += 1
                t.append(table.address(block: block, lease: i))
                if json {
                    t.append("\",\"block\":")
                    t.append(block)
                    t.append(",\"own_block\":")
                    t.append(table.blocks[block].state == .ours ? "true" : "false")
                    t.append(",\"state\":\"")
                } else {
                    t.append(byte: 9)
                }
                t.append(Node.leaseStateName(l.state))
                t.append(json ? "\",\"mac\":\"" : "\t")
                t.append(mac: l.chaddr)
                if json {
                    t.append("\",\"chaddr\":\"")
                    t.append(hex: l.chaddr.high, digits: 16)
                    t.append(hex: l.chaddr.low, digits: 16)
                    t.append("\",\"xid\":")
                    t.append(unsigned: UInt64(l.xid))
                    t.append(",\"expires_in\":")
                } else {
                    t.append(byte: 9)
                    t.append(block)
                    t.append(byte: 9)
                    t.append(hex: table.blocks[block].owner.value, digits: 16)
                    t.append(byte: 9)
                }
                t.append(Node.secondsLeft(l.end, now: now))
                t.append(json ? "}" : "\n")
                t.spillIfFull()
            }
        }
        return rows
    }

    /// (FREE + BLOCKED, TENTATIVE + CLAIMING, CLAIMED + OURS), as docs/protocol.md#statistics
    /// groups them.
    func blockStateCounts() -> (free: Int, tentative: Int, claimed: Int) {
        var counts = (free: 0, tentative: 0, claimed: 0)
        for i in 0..<table.count {
            switch table.blocks[i].state {
            case .free, .blocked: counts.free += 1
            case .tentative, .claiming: counts.tentative += 1
            case .claimed, .ours: counts.claimed += 1
            }
        }
        return counts
    }

    /// docs/protocol.md#statistics: counters in C order, every block's owner (first id byte, D-30),
    /// block counts.
    func writeStatistics(into t: inout TextBuffer) {
        for counter in Statistics.Counter.allCases where counter.rawValue < Statistics.Counter.printedCount {
            t.append(counter.name)
            t.append(byte: UInt8(ascii: " "))
            t.append(statistics[counter])
            t.append(byte: 10)
        }
        for i in 0..<table.count {
            t.append("block.")
            t.append(i)
            t.append(".owner ")
            t.append(Int(table.blocks[i].owner.value >> 56))
            t.append(byte: 10)
            t.spillIfFull()
        }
        let counts = blockStateCounts()
        t.append("ddhcp.blocks.free ")
        t.append(counts.free)
        t.append("\nddhcp.blocks.tentative ")
        t.append(counts.tentative)
        t.append("\nddhcp.blocks.claimed ")
        t.append(counts.claimed)
        t.append(byte: 10)
    }

    // MARK: JSON answers (extensions)

    static func stateName(_ s: BlockState) -> StaticString {
        switch s {
        case .free: return "free"
        case .tentative: return "tentative"
        case .claimed: return "claimed"
        case .claiming: return "claiming"
        case .ours: return "ours"
        case .blocked: return "blocked"
        }
    }

    static func leaseStateName(_ s: LeaseState) -> StaticString {
        switch s {
        case .free: return "free"
        case .offered: return "offered"
        case .leased: return "leased"
        case .declined: return "declined"
        }
    }

    static func appendQuotedHex(_ t: inout TextBuffer, _ v: UInt64) {
        t.append(byte: 34)
        t.append(hex: v, digits: 16)
        t.append(byte: 34)
    }

    static func appendQuoted(_ t: inout TextBuffer, _ a: IPv4Address) {
        t.append(byte: 34)
        t.append(a)
        t.append(byte: 34)
    }

    static func appendQuoted(_ t: inout TextBuffer, _ s: StaticString) {
        t.append(byte: 34)
        t.append(s)
        t.append(byte: 34)
    }

    /// The same rows as the text table (blocks with time left), with full ids.
    func writeBlocksJSON(now: Millis, into t: inout TextBuffer) {
        let c = configuration
        t.append("{\"node_id\":")
        Node.appendQuotedHex(&t, c.nodeID.value)
        t.append(",\"network\":")
        Node.appendQuoted(&t, c.prefix)
        t.append(",\"prefix_length\":")
        t.append(Int(c.prefixLength))
        t.append(",\"block_size\":")
        t.append(Int(c.blockSize))
        t.append(",\"block_count\":")
        t.append(table.count)
        t.append(",\"tentative_timeout\":")
        t.append(Int(c.tentativeTimeout))
        t.append(",\"block_timeout\":")
        t.append(Int(c.blockTimeout))
        t.append(",\"spare_leases\":")
        t.append(spareTarget)
        t.append(",\"learning\":")
        t.append(learning ? "true" : "false")
        t.append(",\"blocks\":[")
        _ = writeBlockRows(now: now, json: true, into: &t)
        t.append("]}\n")
    }

    /// Every non-FREE lease of every lease table (our blocks and forwarded ones).
    func writeLeasesJSON(now: Millis, into t: inout TextBuffer) {
        t.append("{\"leases\":[")
        _ = writeLeaseRows(now: now, json: true, into: &t)
        t.append("]}\n")
    }

    func writeStatisticsJSON(into t: inout TextBuffer) {
        t.append("{")
        for counter in Statistics.Counter.allCases {
            t.append(byte: 34)
            t.append(counter.name)
            t.append("\":")
            t.append(statistics[counter])
            t.append(byte: UInt8(ascii: ","))
        }
        let counts = blockStateCounts()
        t.append("\"ddhcp.blocks.free\":")
        t.append(counts.free)
        t.append(",\"ddhcp.blocks.tentative\":")
        t.append(counts.tentative)
        t.append(",\"ddhcp.blocks.claimed\":")
        t.append(counts.claimed)
        // What this node serves (the respondd provider's blocks owned / leases in use, D-54).
        var ours = 0, free = 0, offered = 0, leased = 0
        for block in 0..<table.count where table.blocks[block].state == .ours {
            ours += 1
            let c = table.leaseCounts(block)
            free += c.free
            offered += c.offered
            leased += c.leased
        }
        t.append(",\"ddhcp.blocks.ours\":")
        t.append(ours)
        t.append(",\"ddhcp.leases.leased\":")
        t.append(leased)
        t.append(",\"ddhcp.leases.offered\":")
        t.append(offered)
        t.append(",\"ddhcp.leases.free\":")
        t.append(free)
        t.append(",\"block_owners\":[")
        for i in 0..<table.count {
            if i > 0 { t.append(byte: UInt8(ascii: ",")) }
            Node.appendQuotedHex(&t, table.blocks[i].owner.value)
            t.spillIfFull()
        }
        t.append("]}\n")
    }
}

// Helpers shared by the core unit tests (host only: String use is fine here).
@testable import DDHCPCore

/// "0a 00 ff" / "0a00ff" → bytes (spaces ignored).
func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var pending: UInt8? = nil
    for c in text.utf8 {
        guard let v = ArgumentText.hexValue(c) else { continue }
        if let p = pending {
            out.append(p << 4 | v)
            pending = nil
        } else {
            pending = v
        }
    }
    precondition(pending == nil, "odd number of hex digits")
    return out
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// Calls `body` with a raw view of `b`.
func withRaw<R>(_ b: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try b.withUnsafeBytes { try body($0) }
}

let testPool = MeshPool(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24, blockSize: 4)

func mac(_ last: UInt8) -> HardwareAddress {
    HardwareAddress(high: 0x0A00_0000_0000_0000 | UInt64(last) << 16, low: 0)
}

/// A client DHCP packet as a client would send it (op 1, htype 1, hlen 6).
func clientPacket(
    _ type: DHCPMessageType, xid: UInt32 = 0x1234_5678, chaddr: HardwareAddress = mac(1),
    ciaddr: IPv4Address = .zero, yiaddr: IPv4Address = .zero, giaddr: IPv4Address = .zero, flags: UInt16 = 0,
    requested: IPv4Address? = nil, serverID: IPv4Address? = nil, params: [UInt8]? = nil,
    leadingOptions: [UInt8] = [], trailing: [UInt8] = [255]
) -> [UInt8] {
    var p = [UInt8](repeating: 0, count: 240)
    p[0] = 1; p[1] = 1; p[2] = 6
    func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { p[o + i] = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * i)) } }
    put32(4, xid)
    p[10] = UInt8(flags >> 8); p[11] = UInt8(flags & 0xFF)
    put32(12, ciaddr.value)
    put32(16, yiaddr.value)
    put32(24, giaddr.value)
    for i in 0..<16 { p[28 + i] = chaddr.byte(i) }
    put32(236, 0x6382_5363)
    p += leadingOptions
    p += [53, 1, type.rawValue]
    if let r = requested { p += [50, 4, r.octet(0), r.octet(1), r.octet(2), r.octet(3)] }
    if let s = serverID { p += [54, 4, s.octet(0), s.octet(1), s.octet(2), s.octet(3)] }
    if let l = params { p += [55, UInt8(l.count)] + l }
    p += trailing
    return p
}

/// The options area of a reply as (code, payload) pairs in order, END excluded.
func replyOptions(_ reply: [UInt8]) -> [(UInt8, [UInt8])] {
    var out: [(UInt8, [UInt8])] = []
    var i = 240
    while i < reply.count {
        let c = reply[i]
        if c == 255 { break }
        if c == 0 { out.append((0, [])); i += 1; continue }
        let l = Int(reply[i + 1])
        out.append((c, Array(reply[(i + 2)..<(i + 2 + l)])))
        i += 2 + l
    }
    return out
}

func defaultStore() -> OptionStore {
    var s = OptionStore()
    s.addDefaults(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24)
    return s
}

/// Records every action the node asks for.
struct RecordingSink: ActionSink {
    enum Action: Equatable {
        case multicast([UInt8])
        case unicast([UInt8], PeerAddress)
        case dhcp([UInt8], DHCPDestination, HardwareAddress, IPv4Address)
        case hook(HookAction, IPv4Address, HardwareAddress)
        case log(LogLevel, String)
    }

    var actions: [Action] = []
    /// Make every send report failure.
    var failSends = false

    mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool {
        actions.append(.multicast(Array(datagram)))
        return !failSends
    }

    mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool {
        actions.append(.unicast(Array(datagram), peer))
        return !failSends
    }

    mutating func sendDHCP(_ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
                           clientHardware: HardwareAddress, yourAddress: IPv4Address) -> Bool {
        actions.append(.dhcp(Array(packet), destination, clientHardware, yourAddress))
        return !failSends
    }

    mutating func runHook(_ action: HookAction, address: IPv4Address, clientHardware: HardwareAddress) {
        actions.append(.hook(action, address, clientHardware))
    }

    mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer) {
        actions.append(.log(level, String(decoding: line, as: UTF8.self)))
    }

    var multicasts: [[UInt8]] { actions.compactMap { if case .multicast(let b) = $0 { return b } else { return nil } } }
    var unicasts: [([UInt8], PeerAddress)] {
        actions.compactMap { if case .unicast(let b, let p) = $0 { return (b, p) } else { return nil } }
    }
    var dhcp: [(packet: [UInt8], to: DHCPDestination, yiaddr: IPv4Address)] {
        actions.compactMap { if case .dhcp(let b, let d, _, let y) = $0 { return (b, d, y) } else { return nil } }
    }
    var hooks: [Action] { actions.filter { if case .hook = $0 { return true } else { return false } } }
    var logs: [String] { actions.compactMap { if case .log(_, let s) = $0 { return s } else { return nil } } }
    /// Everything except log lines.
    var effects: [Action] { actions.filter { if case .log = $0 { return false } else { return true } } }

    mutating func clear() { actions.removeAll() }
}

let ourID = NodeID(0x1000_0000_0000_0000)
let largerID = NodeID(0xFF00_0000_0000_0001)
let smallerID = NodeID(0x0100_0000_0000_0000)
let peerA = PeerAddress(high: 0xFE80_0000_0000_0000, low: 0xA)
let peerB = PeerAddress(high: 0xFE80_0000_0000_0000, low: 0xB)

/// Test configuration: 10.0.0.0/24, S=4 (N=64), B=60, T=15, spare 2, -L, node id `ourID`.
func testConfiguration(_ adjust: (inout Configuration) -> Void = { _ in }) -> Configuration {
    var c = Configuration()
    c.blockSizeExponent = 2
    c.learningPhase = false
    c.nodeID = ourID
    adjust(&c)
    return c
}

func makeNode(seed: UInt64 = 1, now: Millis = 0, _ adjust: (inout Configuration) -> Void = { _ in }) -> Node {
    try! Node(configuration: testConfiguration(adjust), randomSeed: seed, now: now)
}

extension Node {
    func multicast(_ b: [UInt8], from peer: PeerAddress = peerA, now: Millis, _ sink: inout RecordingSink) {
        b.withUnsafeBytes { handleMulticast($0, from: peer, now: now, sink: &sink) }
    }
    func unicast(_ b: [UInt8], from peer: PeerAddress = peerA, now: Millis, _ sink: inout RecordingSink) {
        b.withUnsafeBytes { handleUnicast($0, from: peer, now: now, sink: &sink) }
    }
    func dhcp(_ b: [UInt8], now: Millis, _ sink: inout RecordingSink) {
        b.withUnsafeBytes { handleDHCP($0, now: now, sink: &sink) }
    }
    func control(_ b: [UInt8], now: Millis, _ sink: inout RecordingSink) -> String {
        var reply = TextBuffer()
        b.withUnsafeBytes { handleControl($0, now: now, reply: &reply, sink: &sink) }
        return String(decoding: reply.bytes, as: UTF8.self)
    }

    /// Test setup shortcut: make block `b` ours as the claim step would (announced at once at
    /// the next update).
    func forceOwn(_ b: Int, now: Millis) {
        var sink = RecordingSink()
        _ = table.attachTable(b)
        table.blocks[b].claimCounter = 3  // as after three INQUIREs
        own(b, now: now, sink: &sink)
    }

    /// Test setup shortcut: block `b` claimed by `owner`.
    func forceClaimed(_ b: Int, by owner: NodeID, at peer: PeerAddress, until timeout: Millis) {
        table.blocks[b].state = .claimed
        table.blocks[b].owner = owner
        table.blocks[b].ownerAddress = peer
        table.blocks[b].timeout = timeout
    }
}

/// Node id, command and entries of a mesh datagram the node sent.
struct Sent: Equatable {
    var id: NodeID
    var command: UInt8
    var blocks: [UInt32]
    var timeouts: [UInt16]
}

func decodeSent(_ b: [UInt8], pool: MeshPool = testPool) -> Sent? {
    b.withUnsafeBytes { d -> Sent? in
        guard let m = try? MeshWire.decode(d, pool: pool) else { return nil }
        var s = Sent(id: m.nodeID, command: m.command.rawValue, blocks: [], timeouts: [])
        for i in 0..<m.entryCount {
            if m.command == .updateClaim {
                s.blocks.append(m.claimEntry(i).block)
                s.timeouts.append(m.claimEntry(i).timeout)
            } else {
                s.blocks.append(m.inquireEntry(i))
            }
        }
        return s
    }
}

extension Node {
    /// Lets time pass as the daemon would: a tick at every wake-up up to `t`.
    func run(until t: Millis, _ sink: inout RecordingSink) {
        while nextWakeup <= t { tick(now: nextWakeup, sink: &sink) }
    }
}

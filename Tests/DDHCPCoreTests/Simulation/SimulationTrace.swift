// Event trace of a simulation run, and a crash reporter that names the seed when the core traps
// (a trap kills the whole test process, so Swift Testing cannot report it).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
@testable import DDHCPCore

/// One thing that happened. Kept raw (packet bytes are shared, not copied) and only formatted
/// when a run fails or live tracing is on, so tracing costs almost nothing per event.
enum SimTraceItem {
    case meshIn(to: Int, from: Int, bytes: [UInt8], unicast: Bool)
    case meshOut(from: Int, bytes: [UInt8], to: Int?, lost: Int)  // to == nil: multicast
    case dhcpIn(node: Int, client: Int, bytes: [UInt8])
    case dhcpOut(node: Int, bytes: [UInt8], destination: DHCPDestination)
    case tick(Int)
    case hook(Int, HookAction, IPv4Address)
    case log(Int, LogLevel, [UInt8])
    case note(String)

    /// Whether node `n` sent or received this.
    func involves(_ n: Int) -> Bool {
        switch self {
        case let .meshIn(to, from, _, _): return to == n || from == n
        case let .meshOut(from, _, to, _): return from == n || to == n
        case let .dhcpIn(node, _, _): return node == n
        case let .dhcpOut(node, _, _): return node == n
        case let .tick(x): return x == n
        case let .hook(x, _, _): return x == n
        case let .log(x, _, _): return x == n
        case .note: return true
        }
    }

    func format() -> String {
        switch self {
        case let .meshIn(to, from, bytes, unicast):
            let m = SimMeshMessage.decode(bytes)?.summary ?? "malformed \(bytes.count) bytes"
            return "n\(to) <- n\(from) \(unicast ? "unicast" : "mcast") \(m)"
        case let .meshOut(from, bytes, to, lost):
            let m = SimMeshMessage.decode(bytes)?.summary ?? "malformed \(bytes.count) bytes"
            let dest = to.map { "unicast n\($0)" } ?? "mcast"
            return "n\(from) -> \(dest) \(m)\(lost > 0 ? " (lost to \(lost))" : "")"
        case let .dhcpIn(node, client, bytes):
            return "n\(node) <- c\(client) \(simDHCPSummary(bytes, request: true))"
        case let .dhcpOut(node, bytes, destination):
            let dest: String
            switch destination {
            case .broadcast: dest = "bcast"
            case .unicast(let a): dest = simDotted(a)
            case .relay(let a): dest = "relay " + simDotted(a)
            }
            return "n\(node) -> \(dest) \(simDHCPSummary(bytes, request: false))"
        case .tick(let n): return "n\(n) tick"
        case let .hook(n, action, address): return "n\(n) hook \(action) \(simDotted(address))"
        case let .log(n, level, line): return "n\(n) log[\(level.rawValue)] \(String(decoding: line, as: UTF8.self))"
        case .note(let s): return s
        }
    }
}

/// Short human summary of a DHCP packet (either direction).
func simDHCPSummary(_ p: [UInt8], request: Bool) -> String {
    guard p.count >= 240 else { return "short DHCP packet (\(p.count) bytes)" }
    var type: UInt8 = 0
    var opt50 = "", opt54 = ""
    var i = 240
    while i + 1 < p.count, p[i] != 255 {
        if p[i] == 0 { i += 1; continue }
        let len = Int(p[i + 1])
        guard i + 2 + len <= p.count else { break }
        if p[i] == 53, len >= 1 { type = p[i + 2] }
        if p[i] == 50, len == 4 { opt50 = " req=" + simDotted(IPv4Address(simRead32(p, i + 2))) }
        if p[i] == 54, len == 4 { opt54 = " sid=" + simDotted(IPv4Address(simRead32(p, i + 2))) }
        i += 2 + len
    }
    let names = ["?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"]
    let name = Int(type) < names.count ? names[Int(type)] : "type\(type)"
    let ci = IPv4Address(simRead32(p, 12)), yi = IPv4Address(simRead32(p, 16))
    var s = "\(name) xid=\(simHex8(simRead32(p, 4))) mac=\(simMAC(Array(p[28..<44])))"
    if ci != .zero { s += " ciaddr=\(simDotted(ci))" }
    if yi != .zero { s += " yiaddr=\(simDotted(yi))" }
    return s + opt50 + opt54
}

/// The last `capacity` trace items; optionally echoed live to stderr (SIM_TRACE=1).
struct SimTraceRing {
    private var items: [(Millis, SimTraceItem)] = []
    private var head = 0
    let capacity: Int
    let live: Bool
    private(set) var digest: UInt64 = 0xCBF2_9CE4_8422_2325
    let computeDigest: Bool

    init(capacity: Int, live: Bool, computeDigest: Bool) {
        self.capacity = capacity
        self.live = live
        self.computeDigest = computeDigest
        items.reserveCapacity(capacity)
    }

    mutating func add(_ time: Millis, _ item: SimTraceItem) {
        if live { simWriteStderr("\(simTime(time)) \(item.format())\n") }
        if computeDigest { mixDigest(time, item) }
        if items.count < capacity {
            items.append((time, item))
        } else {
            items[head] = (time, item)
            head = (head + 1) % capacity
        }
    }

    /// The most recent `count` items (only those involving `nodes`, if given), oldest first.
    func lines(last count: Int, involving nodes: [Int] = []) -> [String] {
        let ordered = Array(items[head...]) + Array(items[..<head])
        let chosen = nodes.isEmpty ? ordered : ordered.filter { e in nodes.contains { e.1.involves($0) } }
        return chosen.suffix(count).map { "  \(simTime($0.0)) \($0.1.format())" }
    }

    // FNV-1a over everything observable: lets a test prove that a seed reproduces a run.
    private mutating func mix(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            digest = (digest ^ (x & 0xFF)) &* 0x100_0000_01B3
            x >>= 8
        }
    }

    private mutating func mix(_ bytes: [UInt8]) {
        for b in bytes { digest = (digest ^ UInt64(b)) &* 0x100_0000_01B3 }
    }

    private mutating func mixDigest(_ time: Millis, _ item: SimTraceItem) {
        mix(UInt64(bitPattern: time))
        switch item {
        case let .meshIn(to, from, bytes, unicast): mix(1); mix(UInt64(to)); mix(UInt64(from)); mix(unicast ? 1 : 0); mix(bytes)
        case let .meshOut(from, bytes, to, lost): mix(2); mix(UInt64(from)); mix(UInt64(to ?? 999)); mix(UInt64(lost)); mix(bytes)
        case let .dhcpIn(node, client, bytes): mix(3); mix(UInt64(node)); mix(UInt64(client)); mix(bytes)
        case let .dhcpOut(node, bytes, _): mix(4); mix(UInt64(node)); mix(bytes)
        case .tick(let n): mix(5); mix(UInt64(n))
        case let .hook(n, a, addr): mix(6); mix(UInt64(n)); mix(UInt64(a.rawValue)); mix(UInt64(addr.value))
        case let .log(n, l, line): mix(7); mix(UInt64(n)); mix(UInt64(l.rawValue)); mix(line)
        case .note(let s): mix(8); mix(Array(s.utf8))
        }
    }
}

func simTime(_ t: Millis) -> String {
    let ms = t % 1000
    return "t=\(t / 1000).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)s"
}

func simWriteStderr(_ s: String) {
    var s = s
    s.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}

/// Names the running seeds if the process dies on a trap or fault inside the core.
enum SimulationCrashReporter {
    private static let slotCount = 64
    private static let slotSize = 256
    // Written by test threads, read by the signal handler of a dying process.
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: slotCount * slotSize)
        p.initialize(repeating: 0, count: slotCount * slotSize)
        return p
    }()
    private static let used = Mutex<[Bool]>([Bool](repeating: false, count: 64))
    private static let installOnce: Void = {
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            signal(sig) { sig in
                let header = "\n*** simulation: process died on signal \(sig) while running:\n"
                _ = header.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
                for i in 0..<SimulationCrashReporter.slotCount {
                    let p = SimulationCrashReporter.slots + i * SimulationCrashReporter.slotSize
                    if p[0] != 0 {
                        _ = write(2, p, strlen(p))
                        _ = write(2, "\n", 1)
                    }
                }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }()

    /// Registers a running simulation; returns a token for `end`.
    static func begin(_ description: String) -> Int {
        _ = installOnce
        let slot = used.withLock { used -> Int in
            guard let i = used.firstIndex(of: false) else { return -1 }
            used[i] = true
            return i
        }
        guard slot >= 0 else { return -1 }
        let bytes = Array(description.utf8.prefix(slotSize - 1))
        let p = slots + slot * slotSize
        for (i, b) in bytes.enumerated() { p[i] = b }
        p[bytes.count] = 0
        return slot
    }

    static func end(_ slot: Int) {
        guard slot >= 0 else { return }
        slots[slot * slotSize] = 0
        used.withLock { $0[slot] = false }
    }
}

private func strlen(_ p: UnsafeMutablePointer<UInt8>) -> Int {
    var n = 0
    while p[n] != 0 { n += 1 }
    return n
}

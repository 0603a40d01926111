// The lease file (`--lease-file PATH`, docs/protocol.md#lease-file, docs/decisions.md D-51):
// this node's LEASED leases in dnsmasq's format, one line each,
//   <expiry, seconds since the epoch> <mac> <ip> <host name or *> <client id: *>
// which LuCI's lease list and monitoring agents read. The core counts changes
// (Node.ownLeasesVersion); the file is rewritten from the core's tables, atomically (a
// temporary file renamed over it), at most once per `minimumIntervalMs`: a burst of changes
// becomes one write. An empty file is written at start-up and the file is removed at shutdown
// (the daemon keeps no leases across a restart).

import DDHCPCore
import DDHCPSystem

struct LeaseFile {
    /// Writes are at least this far apart (at most 12 a minute); a change waits at most this.
    static let minimumIntervalMs: Millis = 5_000

    let path: CBytes
    /// `PATH.tmp`, written and renamed over `path`.
    let temporaryPath: CBytes
    private var text = TextBuffer(capacity: 4096)
    private var writtenVersion: UInt32 = 0
    private var everWritten = false
    private var lastWrite: Millis = 0
    /// Files written so far (logged at DEBUG with each write).
    private(set) var writes = 0

    init(path: CBytes) {
        self.path = path
        let n = CText.length(path)
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: n + 5)  // lives as long as the process
        for i in 0..<n { t[i] = path[i] }
        let suffix: StaticString = ".tmp"
        for i in 0..<4 { t[n + i] = suffix.utf8Start[i] }
        t[n + 4] = 0
        temporaryPath = UnsafePointer(t)
    }

    /// When the next write is due: nil when the file is current.
    func due(_ node: Node) -> Millis? {
        guard everWritten else { return 0 }
        guard node.ownLeasesVersion != writtenVersion else { return nil }
        return lastWrite + LeaseFile.minimumIntervalMs
    }

    mutating func writeIfDue(_ node: Node, now: Millis, actions: inout ShellActions) {
        guard let at = due(node), at <= now else { return }
        let version = node.ownLeasesVersion
        let epoch = ddhcp_realtime_s()
        text.clear()
        var count = 0
        node.forEachOwnLease { address, mac, end, hostname in
            let left = end > now ? (end - now + 999) / 1000 : 0
            text.append(epoch + left)
            text.append(byte: UInt8(ascii: " "))
            text.appendLowercase(mac: mac)
            text.append(byte: UInt8(ascii: " "))
            text.append(address)
            text.append(byte: UInt8(ascii: " "))
            if hostname.count > 0 { text.append(bytes: hostname) } else { text.append(byte: UInt8(ascii: "*")) }
            text.append(" *\n")
            count += 1
        }
        let rc = text.withBytes { bytes in
            ddhcp_file_replace(path, temporaryPath, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? path,
                               Int32(bytes.count))
        }
        everWritten = true
        lastWrite = now
        if rc < 0 {
            // Retried after the interval (the version stays unwritten).
            if actions.enabled(.warning) {
                var line = TextBuffer()
                line.append("cannot write the lease file ")
                line.append(cString: path)
                line.append(": ")
                line.append(errorCode: rc)
                actions.output.write(.warning, line)
            }
            return
        }
        writtenVersion = version
        writes += 1
        if actions.enabled(.debug) {
            var line = TextBuffer()
            line.append("lease file written: ")
            line.append(count)
            line.append(" leases (write ")
            line.append(writes)
            line.append(")")
            actions.output.write(.debug, line)
        }
    }

    /// At shutdown: the file goes with the leases (only if this daemon wrote it).
    func remove() { if everWritten { _ = ddhcp_unlink(path) } }
}

extension TextBuffer {
    /// `aa:bb:cc:dd:ee:ff`, lowercase as dnsmasq writes MACs.
    static func lowerHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    mutating func appendLowercase(mac: HardwareAddress) {
        for i in 0..<6 {
            if i > 0 { append(byte: UInt8(ascii: ":")) }
            let b = mac.byte(i)
            append(byte: TextBuffer.lowerHex(b >> 4))
            append(byte: TextBuffer.lowerHex(b & 0xF))
        }
    }
}

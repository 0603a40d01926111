// The cache of forwarded client REQUESTs (docs/protocol.md#forwarding). Its own part of Node: the
// DHCP server stores a request (insert), takes it back when the owner answers (take) and
// housekeeping drops the expired ones (expire); nothing else reads or writes its entries.
//
// Decisions beyond C (docs/decisions.md):
//  D-45 retransmitted forwarded REQUESTs (same xid + chaddr) refresh one cache entry instead of
//       adding another, so one LEASEACK answers the client once.
//  D-111 the option-55 lists are left unwritten at start.

/// Forwarded client REQUESTs waiting for the block owner's answer (docs/protocol.md#forwarding). A
/// fixed array: the fields needed to answer are copied in, never the packet.
struct RequestCache: Equatable {
    struct Entry: Equatable {
        var inUse = false
        var expires: Millis = 0
        var client = DHCPClientFields()
        var address = IPv4Address.zero
        var parameterCount = 0
    }

    static let capacity = 64
    static let lifetime: Millis = 120_000
    static let maximumParameters = 255

    private(set) var entries: [Entry] = Array(repeating: Entry(), count: RequestCache.capacity)
    /// Option-55 lists, `maximumParameters` bytes per entry.
    /// Left unwritten at start (only an entry's first `parameterCount` bytes are ever read), so
    /// only the pages of entries in use become resident (docs/decisions.md D-111).
    private(set) var parameters = [UInt8](unsafeUninitializedCapacity: RequestCache.capacity * RequestCache.maximumParameters) {
        _, count in count = RequestCache.capacity * RequestCache.maximumParameters
    }

    /// Equal entries and equal parameter lists of the entries in use (the rest of
    /// `parameters` is never read).
    static func == (a: RequestCache, b: RequestCache) -> Bool {
        guard a.entries == b.entries else { return false }
        for (i, e) in a.entries.enumerated() where e.inUse {
            let base = i * maximumParameters
            for k in base..<(base + e.parameterCount) where a.parameters[k] != b.parameters[k] { return false }
        }
        return true
    }

    var count: Int {
        var n = 0
        for e in entries where e.inUse { n += 1 }
        return n
    }

    func find(xid: UInt32, chaddr: HardwareAddress) -> Int? {
        for i in 0..<entries.count where entries[i].inUse && entries[i].client.xid == xid && entries[i].client.chaddr == chaddr {
            return i
        }
        return nil
    }

    /// Stores a request: the entry with the same xid + chaddr, else a free one, else the one
    /// expiring first is (re)used.
    mutating func insert(client: DHCPClientFields, address: IPv4Address, parameters list: UnsafeRawBufferPointer, now: Millis) {
        var slot = find(xid: client.xid, chaddr: client.chaddr) ?? -1
        if slot < 0 {
            for i in 0..<entries.count where !entries[i].inUse {
                slot = i
                break
            }
        }
        if slot < 0 {
            slot = 0
            for i in 1..<entries.count where entries[i].expires < entries[slot].expires { slot = i }
        }
        let n = min(list.count, RequestCache.maximumParameters)
        let base = slot * RequestCache.maximumParameters
        for k in 0..<n { parameters[base + k] = list[k] }
        entries[slot] = Entry(inUse: true, expires: now + RequestCache.lifetime, client: client, address: address, parameterCount: n)
        expiryBound = min(expiryBound, now + RequestCache.lifetime)
    }

    /// No entry in use expires before this (a bound: it may be lower). Housekeeping runs after
    /// every multicast, and a scan of the entries reads 9 KB; it runs only once the bound passed.
    private(set) var expiryBound = Millis.max

    mutating func expire(now: Millis) {
        guard expiryBound <= now else { return }
        expiryBound = .max
        for i in 0..<entries.count where entries[i].inUse {
            if entries[i].expires <= now { entries[i].inUse = false } else { expiryBound = min(expiryBound, entries[i].expires) }
        }
    }

    /// Removes the request that (xid, chaddr) answers and lends its fields and option-55 list to
    /// `body` (the list stays valid during the call: nothing is stored while it runs). False if
    /// no such request is pending.
    @inline(__always)
    mutating func take(xid: UInt32, chaddr: HardwareAddress, _ body: (Entry, UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let slot = find(xid: xid, chaddr: chaddr) else { return false }
        let entry = entries[slot]
        entries[slot].inUse = false
        let base = slot * RequestCache.maximumParameters
        parameters.withUnsafeBytes { all in
            body(entry, UnsafeRawBufferPointer(rebasing: all[base..<(base + entry.parameterCount)]))
        }
        return true
    }
}

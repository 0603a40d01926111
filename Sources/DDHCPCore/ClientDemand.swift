// Demand-aware claiming (beyond C, docs/decisions.md D-39): clients whose DISCOVER found no
// FREE lease are remembered for a short window and added to the spare target when housekeeping
// computes `need` (docs/protocol.md#housekeeping). C claims only from spare leases, so a node
// keeps about one block CLAIMING and serves a burst of new clients at S addresses per claim
// (3 INQUIRE rounds); this lets a burst be met with several blocks per INQUIRE, as C itself does
// when need > 1. The wire stays C's.
//
// Bounds (one node must not grab the pool because of a DISCOVER flood with random MACs):
//  * the tracker holds at most `capacity` distinct clients (16-byte chaddr), fixed array;
//    an entry expires `window` ms after the client's last unanswered DISCOVER;
//  * the extra need is at most `Node.demandBlocksPerRound` blocks, and at most a quarter of
//    the FREE blocks, so the claiming list (and each INQUIRE) grows by a few blocks only;
//  * leases we OFFERED and that no REQUEST confirmed yet count as spare (D-100, FloodPolicy.swift):
//    a flood leaves its offers unconfirmed, and a DISCOVER that finds no FREE lease takes over
//    the oldest offer instead of waiting, so a random-MAC flood adds demand only while the node
//    has no lease to offer at all, and owns at most a burst's few blocks more than C would
//    (whatever the flood's length); real clients confirm their offers within milliseconds;
//  * blocks left empty after the burst are dropped as needless, all after one needless
//    timeout (D-101, docs/protocol.md#needless-blocks).

struct ClientDemand: Equatable {
    static let capacity = 32

    var clients: [HardwareAddress]
    /// When each entry was last refreshed; `.min` = unused.
    var seen: [Millis]

    init() {
        clients = Array(repeating: .zero, count: ClientDemand.capacity)
        seen = Array(repeating: .min, count: ClientDemand.capacity)
    }

    /// A DISCOVER from `chaddr` found no FREE lease. An unknown client takes an unused or
    /// expired entry, else replaces the least recently seen one.
    mutating func record(_ chaddr: HardwareAddress, now: Millis) {
        var slot = -1
        for i in 0..<clients.count where seen[i] != .min && clients[i] == chaddr {
            slot = i
            break
        }
        if slot < 0 {
            slot = 0
            for i in 1..<seen.count where seen[i] < seen[slot] { slot = i }
            clients[slot] = chaddr
        }
        seen[slot] = now
    }

    /// The client was offered a lease: it no longer waits.
    mutating func served(_ chaddr: HardwareAddress) {
        for i in 0..<clients.count where seen[i] != .min && clients[i] == chaddr { seen[i] = .min }
    }

    /// Distinct clients unanswered within the last `window` ms; older entries are freed.
    mutating func waiting(now: Millis, window: Millis) -> Int {
        var n = 0
        for i in 0..<seen.count where seen[i] != .min {
            if seen[i] > now - window { n += 1 } else { seen[i] = .min }
        }
        return n
    }
}

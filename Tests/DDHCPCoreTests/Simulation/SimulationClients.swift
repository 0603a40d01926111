// Simulated DHCP clients (RFC 2131 section 4.4 state machine, with short retransmission times):
// INIT → SELECTING (DISCOVER) → REQUESTING (REQUEST with options 50/54) → BOUND → RENEWING
// (unicast REQUEST, ciaddr set) at T1 → REBINDING (broadcast) at T2 → lease lost at expiry;
// INIT-REBOOT (broadcast REQUEST, option 50, no 54) after roaming to another node's LAN; RELEASE.
@testable import DDHCPCore

final class SimClient {
    enum State: Equatable { case idle, selecting, requesting, bound, renewing, rebinding, rebooting }

    let index: Int
    let chaddr: [UInt8]
    let broadcastFlag: Bool
    var lan: Int
    var state = State.idle
    var xid: UInt32 = 0
    var attempts = 0
    var timerGeneration = 0
    /// The configured address and its lease (client view: now + option 51 at the ACK).
    var address: IPv4Address?
    var leaseExpiry: Millis = 0
    var t1: Millis = 0
    var t2: Millis = 0
    var requested = IPv4Address.zero
    var offerServer: IPv4Address?
    var activeSince: Millis = 0
    var lastBoundAt: Millis = -1_000_000_000
    /// First lease of the run, and whether the client ever started asking.
    var firstBoundAt: Millis?
    var startedOnce = false
    /// Set while an INIT-REBOOT after a roam is outstanding.
    var roaming = false
    /// NAKs received for an address the client held (renewal, rebinding, INIT-REBOOT).
    var naks = 0
    /// Short readable history for failure reports.
    var history: [String] = []

    init(index: Int, lan: Int, broadcastFlag: Bool) {
        self.index = index
        self.lan = lan
        self.broadcastFlag = broadcastFlag
        // Locally administered MAC 02:00:5E:<index>, rest of the 16 bytes zero.
        chaddr = [0x02, 0x00, 0x5E, UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8),
                  UInt8(truncatingIfNeeded: index)] + [UInt8](repeating: 0, count: 10)
    }

    func heldAddress(now: Millis) -> IPv4Address? {
        guard let a = address, leaseExpiry > now else { return nil }
        return a
    }

    func remember(_ now: Millis, _ s: String) {
        history.append("\(simTime(now)) \(s)")
        if history.count > 24 { history.removeFirst(history.count - 24) }
    }
}

extension Simulation {
    /// Adds a client to node `lan`'s LAN; it starts asking at `start`.
    @discardableResult
    func addClient(lan: Int, start: Millis) -> Int {
        let c = SimClient(index: clients.count, lan: lan, broadcastFlag: rng.chance(permille: 500))
        clients.append(c)
        at(start) { sim in sim.clientStart(c.index) }
        return c.index
    }

    func clientStart(_ i: Int) {
        let c = clients[i]
        c.activeSince = now
        c.startedOnce = true
        c.remember(now, "start on n\(c.lan)")
        beginSelecting(c)
    }

    /// Moves the client to node `lan`'s LAN (it roams in the mesh).
    func clientRoam(_ i: Int, to lan: Int) {
        let c = clients[i]
        guard c.lan != lan else { return }
        c.remember(now, "roam n\(c.lan) -> n\(lan)")
        note("c\(i) roams n\(c.lan) -> n\(lan)")
        c.lan = lan
        guard c.state != .idle else { return }
        c.activeSince = now
        if c.heldAddress(now: now) != nil {
            // INIT-REBOOT: ask the new node to confirm the address we have.
            roamsWithLease += 1
            c.roaming = true
            c.state = .rebooting
            c.xid = UInt32(truncatingIfNeeded: rng.next())
            c.attempts = 0
            sendRebootRequest(c)
        } else {
            beginSelecting(c)
        }
    }

    /// DHCPRELEASE to the server, then the client goes quiet.
    func clientRelease(_ i: Int) {
        let c = clients[i]
        if let a = c.heldAddress(now: now) {
            var p = SimClientPacket(type: .release, xid: UInt32(truncatingIfNeeded: rng.next()), chaddr: c.chaddr)
            p.ciaddr = a
            p.serverIdentifier = serverIdentifier
            c.remember(now, "release \(simDotted(a))")
            clientSend(c, p)
        }
        dropLease(c, "released")
        c.state = .idle
        c.timerGeneration += 1
    }

    /// A bound client renews at once (udhcpc on SIGUSR1): RENEWING with a new transaction.
    func clientRenewNow(_ i: Int) {
        let c = clients[i]
        guard c.state == .bound, c.heldAddress(now: now) != nil else { return }
        c.state = .renewing
        c.xid = UInt32(truncatingIfNeeded: rng.next())
        sendRenewal(c)
    }

    /// The client disappears without a word (switched off); its lease is forgotten.
    func clientLeave(_ i: Int) {
        let c = clients[i]
        c.remember(now, "leaves")
        dropLease(c, "left")
        c.state = .idle
        c.timerGeneration += 1
    }

    private func beginSelecting(_ c: SimClient) {
        c.state = .selecting
        c.xid = UInt32(truncatingIfNeeded: rng.next())
        c.attempts = 0
        c.roaming = false
        sendDiscover(c)
    }

    private func sendDiscover(_ c: SimClient) {
        var p = SimClientPacket(type: .discover, xid: c.xid, chaddr: c.chaddr)
        p.broadcastFlag = c.broadcastFlag
        p.padBetweenOptions = c.index % 3 == 0
        clientSend(c, p)
        // 4, 8, 16, 16 … s, ± 1 s (RFC 2131 section 4.1 backoff, capped short).
        let base: Millis = 4000 << Millis(min(c.attempts, 2))
        c.attempts += 1
        setTimer(c, now + base + rng.millis(in: -1000...1000))
    }

    private func sendSelectingRequest(_ c: SimClient) {
        sendBroadcastRequest(c, requested: c.requested, serverIdentifier: c.offerServer)
    }

    private func sendRebootRequest(_ c: SimClient) {
        guard let a = c.address else { return }
        c.remember(now, "INIT-REBOOT \(simDotted(a)) xid \(simHex8(c.xid))")
        sendBroadcastRequest(c, requested: a, serverIdentifier: nil)
    }

    /// The REQUEST of SELECTING (option 54 = the offering server) and INIT-REBOOT (no option 54):
    /// option 50 set, retried after 4 ± 0.5 s.
    private func sendBroadcastRequest(_ c: SimClient, requested: IPv4Address, serverIdentifier: IPv4Address?) {
        var p = SimClientPacket(type: .request, xid: c.xid, chaddr: c.chaddr)
        p.broadcastFlag = c.broadcastFlag
        p.requestedAddress = requested
        p.serverIdentifier = serverIdentifier
        clientSend(c, p)
        c.attempts += 1
        setTimer(c, now + 4000 + rng.millis(in: -500...500))
    }

    /// RENEWING (unicast to the server identifier, which is the local node in a Freifunk mesh)
    /// or REBINDING (broadcast): ciaddr set, no option 50/54.
    private func sendRenewal(_ c: SimClient) {
        guard let a = c.address else { return }
        var p = SimClientPacket(type: .request, xid: c.xid, chaddr: c.chaddr)
        p.ciaddr = a
        p.broadcastFlag = c.state == .rebinding && c.broadcastFlag
        clientSend(c, p)
        let limit = c.state == .renewing ? c.t2 : c.leaseExpiry
        setTimer(c, min(limit, now + max((limit - now) / 2, 2000)))
    }

    private func clientSend(_ c: SimClient, _ p: SimClientPacket) {
        if rng.chance(permille: setup.lanLossPermille) { return }
        queue.push(now + rng.millis(in: setup.lanDelay), .clientToServer(lan: c.lan, client: c.index, bytes: p.encode()))
    }

    private func setTimer(_ c: SimClient, _ t: Millis) {
        c.timerGeneration += 1
        queue.push(max(t, now), .clientTimer(client: c.index, generation: c.timerGeneration))
    }

    private func dropLease(_ c: SimClient, _ why: String) {
        if let a = c.address { c.remember(now, "drops \(simDotted(a)) (\(why))") }
        c.address = nil
        c.leaseExpiry = 0
    }

    func clientTimerFired(_ c: SimClient) {
        switch c.state {
        case .idle:
            break
        case .selecting:
            sendDiscover(c)
        case .requesting:
            if c.attempts >= 4 {
                c.remember(now, "no ACK for \(simDotted(c.requested))")
                beginSelecting(c)
            } else {
                sendSelectingRequest(c)
            }
        case .rebooting:
            if c.attempts >= 4 || c.heldAddress(now: now) == nil {
                c.remember(now, "INIT-REBOOT unanswered")
                if c.roaming { roamsLost += 1 }
                dropLease(c, "INIT-REBOOT unanswered")
                beginSelecting(c)
            } else {
                sendRebootRequest(c)
            }
        case .bound:
            c.state = .renewing
            c.xid = UInt32(truncatingIfNeeded: rng.next())
            sendRenewal(c)
        case .renewing:
            if now >= c.t2 { c.state = .rebinding }
            sendRenewal(c)
        case .rebinding:
            if now >= c.leaseExpiry {
                dropLease(c, "lease expired")
                beginSelecting(c)
            } else {
                sendRenewal(c)
            }
        }
    }

    /// A reply reached LAN `lan`: every client there sees broadcasts; a unicast reaches only
    /// the client that has the destination address configured. Each keeps what is for it.
    func deliverToLAN(_ lan: Int, _ bytes: [UInt8], _ destination: DHCPDestination) {
        guard let reply = SimServerReply.parse(bytes).reply else { return }
        for c in clients where c.lan == lan && c.state != .idle && c.chaddr == reply.chaddr && c.xid == reply.xid {
            if case .unicast(let a) = destination, c.address != a { continue }
            clientReceive(c, reply)
        }
    }

    private func clientReceive(_ c: SimClient, _ reply: SimServerReply) {
        switch (c.state, reply.type) {
        case (.selecting, .offer):
            guard reply.yiaddr != .zero else {
                violation("c\(c.index) got an OFFER without an address")
                return
            }
            c.requested = reply.yiaddr
            c.offerServer = reply.serverIdentifier
            c.state = .requesting
            c.attempts = 0
            c.remember(now, "offered \(simDotted(reply.yiaddr)) on n\(c.lan)")
            sendSelectingRequest(c)
        case (.requesting, .ack):
            guard reply.yiaddr == c.requested else {
                violation("c\(c.index) requested \(simDotted(c.requested)) but was ACKed \(simDotted(reply.yiaddr))")
                return
            }
            bind(c, reply, "ACK \(simDotted(reply.yiaddr))")
        case (.rebooting, .ack), (.renewing, .ack), (.rebinding, .ack):
            guard let a = c.address, reply.yiaddr == a else {
                violation("c\(c.index) confirming \(c.address.map(simDotted) ?? "-") was ACKed \(simDotted(reply.yiaddr))")
                return
            }
            if c.state == .rebooting && c.roaming {
                roamsKept += 1
                c.roaming = false
            }
            bind(c, reply, "\(c.state == .rebooting ? "INIT-REBOOT" : "renewal") ACK \(simDotted(a)) on n\(c.lan)")
        case (.requesting, .nak), (.rebooting, .nak), (.renewing, .nak), (.rebinding, .nak):
            c.remember(now, "NAK on n\(c.lan) in \(c.state)")
            if c.state != .requesting { c.naks += 1 }
            if c.state != .requesting, c.heldAddress(now: now) != nil,
                c.lastBoundAt >= consistentSince || setup.strictLeases,
                setup.meshLossPermille == 0, setup.lanLossPermille == 0
            {
                violation("c\(c.index) was NAKed on n\(c.lan) for \(simDotted(c.address!)), a lease the consistent mesh confirmed at \(simTime(c.lastBoundAt)): \(c.history.suffix(6).joined(separator: "; "))", nodes: [c.lan])
                return
            }
            if c.state == .rebooting && c.roaming { roamsLost += 1 }
            dropLease(c, "NAK")
            beginSelecting(c)
        default:
            break  // late or duplicate reply for an old exchange of the same xid
        }
    }

    private func bind(_ c: SimClient, _ reply: SimServerReply, _ what: String) {
        guard let lt = reply.leaseTime, lt > 0 else {
            violation("c\(c.index): ACK without a lease time (option 51)")
            return
        }
        let lease = Millis(lt) * 1000
        c.address = reply.yiaddr
        c.leaseExpiry = now + lease
        c.t1 = now + lease / 2
        c.t2 = now + lease * 7 / 8
        c.state = .bound
        c.lastBoundAt = now
        if c.firstBoundAt == nil { c.firstBoundAt = now }
        c.remember(now, what + " until \(simTime(c.leaseExpiry))")
        setTimer(c, c.t1)
        checkNewLease(c, reply.yiaddr)
    }
}

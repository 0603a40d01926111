// The daemon: start-up, the epoll loop and shutdown (docs/protocol.md#event-loop,
// #command-line). It opens the sockets and hands every event with the current monotonic time to
// the protocol core (DDHCPCore.Node); the core answers through `ShellActions` (ShellActions.swift,
// the ActionSink), which sends datagrams, runs hooks and logs. Everything protocol-related
// happens in the core; this file only moves bytes and time.

import DDHCPCore
import DDHCPSystem

/// One accepted control connection: the request is collected until it is complete
/// (docs/decisions.md D-31: a command split over several segments still works), then answered and
/// closed.
/// The request bytes are in the connection's slot of `Daemon.requests`.
struct ControlConnection {
    var fd: Int32 = -1
    var length = 0
    /// A client that stays silent or sends a partial command is answered (or dropped) then.
    var deadline: Millis = 0
}

final class Daemon {
    enum Token {
        static let signals: Int32 = 0
        static let multicast: Int32 = 1
        static let unicast: Int32 = 2
        static let dhcp: Int32 = 3
        static let control: Int32 = 4
        static let firstConnection: Int32 = 16
    }

    static let maxConnections = 8
    /// How long a control client may take to send its whole command.
    static let controlDeadline: Millis = 500
    /// Datagrams handled per socket and wake-up before the other sockets get their turn.
    static let drainLimit = 64

    let options: DaemonOptions
    let node: Node
    var actions: ShellActions
    var pollFD: Int32 = -1
    var signalFD: Int32 = -1
    var controlFD: Int32 = -1
    var connections: [ControlConnection]
    let buffer: UnsafeMutablePointer<UInt8>
    /// One request area of `Mesh.datagramCapacity` bytes per connection slot, allocated once and
    /// left unwritten: only the pages of slots that were used become resident
    /// (docs/decisions.md D-111).
    let requests: UnsafeMutablePointer<UInt8>
    let peer: UnsafeMutablePointer<UInt8>
    var reply = TextBuffer(capacity: 4096)
    var running = true
    /// The listening control socket is out of the poller while every connection slot is busy.
    var acceptPaused = false
    var leaseFile: LeaseFile?

    init(options: DaemonOptions, node: Node) {
        self.options = options
        self.node = node
        actions = ShellActions(node: node)
        actions.hook = options.hook
        actions.hotplugCall = options.hotplugCall
        leaseFile = options.leaseFile.map { LeaseFile(path: $0) }
        connections = Array(repeating: ControlConnection(), count: Daemon.maxConnections)
        requests = UnsafeMutablePointer<UInt8>.allocate(capacity: Daemon.maxConnections * Mesh.datagramCapacity)
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: Mesh.datagramCapacity)
        peer = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
    }

    // MARK: start-up

    /// Opens every socket in C's order (multicast, unicast, control, DHCP). On failure: one
    /// clear line on stderr naming the interface/port/path, and false.
    func openSockets() -> Bool {
        let server = options.serverInterface
        let index = ddhcp_if_index(server)
        if index < 0 { return socketFailure("the server interface", server, index) }
        actions.serverIfIndex = index

        let mc = withAddressBytes(Mesh.group.0, Mesh.group.1) {
            ddhcp_udp6_open(server, $0, Mesh.multicastPort, 1)
        }
        if mc < 0 { return socketFailure("the multicast socket [ff02::1234]:1234 on", server, mc) }
        actions.multicastFD = mc

        let uc = withAddressBytes(0, 0) { ddhcp_udp6_open(server, $0, Mesh.unicastPort, 0) }
        if uc < 0 { return socketFailure("the unicast socket [::]:1235 on", server, uc) }
        actions.unicastFD = uc

        let ctl = ddhcp_unix_listen(options.controlPath)
        if ctl < 0 { return socketFailure("the control socket", options.controlPath, ctl) }
        controlFD = ctl

        if !options.configuration.dhcpDisabled {
            let client = options.clientInterface
            let dhcp = ddhcp_udp4_open(client, Mesh.dhcpServerPort)
            if dhcp < 0 { return socketFailure("the DHCP socket 0.0.0.0:67 on", client, dhcp) }
            actions.dhcpFD = dhcp
        }
        return true
    }

    private func socketFailure(_ what: StaticString, _ name: CBytes, _ code: Int32) -> Bool {
        var line = TextBuffer()
        line.append("ddhcpd: cannot open ")
        line.append(what)
        line.append(" '")
        line.append(cString: name)
        line.append("': ")
        line.append(errorCode: code)
        line.append(byte: UInt8(ascii: "\n"))
        Stream.write(Stream.stderr, line)
        return false
    }

    /// SIGTERM/SIGINT/SIGCHLD become events before anything else exists (a SIGTERM right
    /// after start-up must still stop the daemon cleanly). The mask survives daemon().
    func openSignals() -> Bool {
        signalFD = ddhcp_signals_open()
        return signalFD >= 0
    }

    /// The poller, after daemon() so that it belongs to the final process.
    func openLoop() -> Bool {
        pollFD = ddhcp_poll_create()
        guard pollFD >= 0 else { return false }
        var ok = ddhcp_poll_add(pollFD, signalFD, Token.signals) == 0
        ok = ok && ddhcp_poll_add(pollFD, actions.multicastFD, Token.multicast) == 0
        ok = ok && ddhcp_poll_add(pollFD, actions.unicastFD, Token.unicast) == 0
        ok = ok && ddhcp_poll_add(pollFD, controlFD, Token.control) == 0
        if actions.dhcpFD >= 0 { ok = ok && ddhcp_poll_add(pollFD, actions.dhcpFD, Token.dhcp) == 0 }
        return ok
    }

    // MARK: the loop

    func run() {
        var tokens: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                     Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        node.start(now: ddhcp_monotonic_ms(), sink: &actions)
        // Every wait follows a writeIfDue (Scheduling.nextDue): the empty file at once.
        leaseFile?.writeIfDue(node, now: ddhcp_monotonic_ms(), actions: &actions)
        while running {
            var now = ddhcp_monotonic_ms()
            var timeout: Int32
            if now >= node.nextWakeup {
                node.tick(now: now, sink: &actions)
                // tick moves nextWakeup into the future; should it not, a router must still
                // not spin at full CPU: wait a little instead of not at all.
                timeout = node.nextWakeup <= now ? 10 : waitTime(now: now)
            } else {
                timeout = waitTime(now: now)
            }
            let count = withUnsafeMutableBytes(of: &tokens) { raw in
                ddhcp_poll_wait(pollFD, timeout, raw.baseAddress!.assumingMemoryBound(to: Int32.self), 16)
            }
            now = ddhcp_monotonic_ms()
            if count < 0 {
                logError("waiting for events failed: ", count)
                return
            }
            withUnsafeBytes(of: &tokens) { raw in
                let ready = raw.bindMemory(to: Int32.self)
                for i in 0..<Int(count) { handle(token: ready[i], now: now) }
            }
            expireConnections(now: ddhcp_monotonic_ms())
            leaseFile?.writeIfDue(node, now: ddhcp_monotonic_ms(), actions: &actions)
        }
    }

    /// Milliseconds until the core's next timer or a control client's deadline.
    private func waitTime(now: Millis) -> Int32 {
        var until = node.nextWakeup
        for c in connections where c.fd >= 0 && c.deadline < until { until = c.deadline }
        // writeIfDue ran just before: a due time still not after now counts from now.
        if let due = leaseFile?.due(node), case let at = Scheduling.nextDue(due, now: now), at < until { until = at }
        let wait = until - now
        return wait <= 0 ? 0 : Int32(wait > 60_000 ? 60_000 : wait)
    }

    private func handle(token: Int32, now: Millis) {
        switch token {
        case Token.signals: handleSignals()
        case Token.multicast: drainMesh(fd: actions.multicastFD, multicast: true, now: now)
        case Token.unicast: drainMesh(fd: actions.unicastFD, multicast: false, now: now)
        case Token.dhcp: drainDHCP(now: now)
        case Token.control: acceptControl(now: now)
        default:
            let slot = Int(token - Token.firstConnection)
            if slot >= 0 && slot < connections.count { readControl(slot: slot, now: now) }
        }
    }

    private func handleSignals() {
        while true {
            switch ddhcp_signals_read(signalFD) {
            case DDHCP_SIGNAL_TERMINATE: running = false
            case DDHCP_SIGNAL_CHILD: _ = ddhcp_reap_children()
            default: return
            }
        }
    }

    private func drainMesh(fd: Int32, multicast: Bool, now: Millis) {
        for _ in 0..<Daemon.drainLimit {
            let n = ddhcp_udp6_recv(fd, buffer, Int32(Mesh.datagramCapacity), peer)
            if n < 0 {
                if n != -DDHCP_EAGAIN { logError("receiving from the mesh failed: ", n) }
                return
            }
            let datagram = UnsafeRawBufferPointer(start: buffer, count: Int(n))
            let from = peerAddress(peer)
            if multicast {
                node.handleMulticast(datagram, from: from, now: now, sink: &actions)
            } else {
                node.handleUnicast(datagram, from: from, now: now, sink: &actions)
            }
        }
    }

    private func drainDHCP(now: Millis) {
        for _ in 0..<Daemon.drainLimit {
            let n = ddhcp_read(actions.dhcpFD, buffer, Int32(Mesh.datagramCapacity))
            if n < 0 {
                if n != -DDHCP_EAGAIN { logError("receiving DHCP failed: ", n) }
                return
            }
            node.handleDHCP(UnsafeRawBufferPointer(start: buffer, count: Int(n)), now: now, sink: &actions)
        }
    }

    // MARK: control socket

    /// Accepts every pending client (D-31), not just one per wake-up, while a connection slot
    /// is free. With every slot busy the listening socket leaves the poller: further clients
    /// wait in the kernel's backlog (and a blocking connect() beyond it) until a slot frees,
    /// instead of being closed unanswered (docs/decisions.md D-102).
    private func acceptControl(now: Millis) {
        while true {
            guard let slot = connections.firstIndex(where: { $0.fd < 0 }) else {
                pauseAccepting()
                return
            }
            let fd = ddhcp_unix_accept(controlFD)
            if fd < 0 {
                if fd != -DDHCP_EAGAIN { logError("accepting a control connection failed: ", fd) }
                return
            }
            guard ddhcp_poll_add(pollFD, fd, Token.firstConnection + Int32(slot)) == 0 else {
                logError("watching a control connection failed; closed: ", -DDHCP_ENOMEM)
                _ = ddhcp_close(fd)
                continue
            }
            connections[slot].fd = fd
            connections[slot].length = 0
            connections[slot].deadline = now + Daemon.controlDeadline
        }
    }

    /// Every slot busy: stop watching the listening socket (it would report the waiting
    /// clients at every wake-up).
    private func pauseAccepting() {
        guard !acceptPaused else { return }
        acceptPaused = ddhcp_poll_remove(pollFD, controlFD) == 0
        if acceptPaused && actions.enabled(.warning) {
            actions.log(.warning, "all control connections busy, new ones wait")
        }
    }

    private func readControl(slot: Int, now: Millis) {
        let fd = connections[slot].fd
        let room = Mesh.datagramCapacity - connections[slot].length
        let n = ddhcp_read(fd, requests + slot * Mesh.datagramCapacity + connections[slot].length, Int32(room))
        if n == -DDHCP_EAGAIN { return }
        if n > 0 { connections[slot].length += Int(n) }
        let collected = UnsafeRawBufferPointer(request(slot))
        if n <= 0 || collected.count >= Mesh.datagramCapacity || ControlFraming.isComplete(collected) {
            answer(slot: slot, now: now)
        }
    }

    /// The bytes collected so far on connection `slot`.
    private func request(_ slot: Int) -> UnsafeMutableBufferPointer<UInt8> {
        UnsafeMutableBufferPointer(start: requests + slot * Mesh.datagramCapacity, count: connections[slot].length)
    }

    private func expireConnections(now: Millis) {
        for slot in 0..<connections.count where connections[slot].fd >= 0 && connections[slot].deadline <= now {
            answer(slot: slot, now: now)
        }
    }

    /// Hands the collected request to the core, writes its answer and closes the connection.
    private func answer(slot: Int, now: Millis) {
        let fd = connections[slot].fd
        reply.clear()
        // Long answers go out in pieces as they are written (docs/decisions.md D-110).
        reply.spill = ({ context, bytes, count in
            _ = ddhcp_write_all(Int32(truncatingIfNeeded: Int(bitPattern: context)), bytes, Int32(truncatingIfNeeded: count))
        }, UnsafeMutableRawPointer(bitPattern: Int(fd)))
        if connections[slot].length > 0 {
            node.handleControl(UnsafeRawBufferPointer(request(slot)), now: now, reply: &reply, sink: &actions)
        }
        reply.spillAll()
        reply.spill = nil
        _ = ddhcp_poll_remove(pollFD, fd)
        _ = ddhcp_close(fd)
        connections[slot].fd = -1
        connections[slot].length = 0
        if acceptPaused {
            // A slot is free again: watch the listening socket, and take a waiting client now.
            acceptPaused = ddhcp_poll_add(pollFD, controlFD, Token.control) != 0
            acceptControl(now: now)
        }
    }

    // MARK: shutdown

    /// Nothing is sent to the mesh (peers let our blocks expire); the control file goes away.
    func shutdown() {
        for slot in 0..<connections.count where connections[slot].fd >= 0 {
            _ = ddhcp_close(connections[slot].fd)
            connections[slot].fd = -1
        }
        for fd in [actions.multicastFD, actions.unicastFD, actions.dhcpFD, controlFD, pollFD, signalFD] where fd >= 0 {
            _ = ddhcp_close(fd)
        }
        if controlFD >= 0 { _ = ddhcp_unlink(options.controlPath) }
        leaseFile?.remove()
        controlFD = -1
    }

    private func logError(_ what: StaticString, _ code: Int32) {
        guard actions.enabled(.error) else { return }
        var line = TextBuffer()
        line.append(what)
        line.append(errorCode: code)
        actions.output.write(.error, line)
    }
}

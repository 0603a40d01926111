// The ActionSink of the daemon: the core's requests (send a datagram, run a hook, log a line)
// carried out at once on the daemon's sockets.

import DDHCPCore
import DDHCPSystem

/// The ActionSink: what the core asks the outside world to do, done at once.
struct ShellActions: ActionSink {
    var multicastFD: Int32 = -1
    var unicastFD: Int32 = -1
    var dhcpFD: Int32 = -1
    var serverIfIndex: Int32 = 0
    var hook: CBytes? = nil
    /// `--hotplug-call`: OpenWrt's hotplug-call, run as `PATH dhcp` per lease change (D-52).
    var hotplugCall: CBytes? = nil
    var output = LogOutput()
    /// The node whose log level (set by -v and `ddhcpdctl -v`) also filters the shell's lines.
    let node: Node
    /// Scratch text for hook arguments (reused, no allocation in steady state).
    private var address = TextBuffer(capacity: 16)
    private var mac = TextBuffer(capacity: 18)
    private var name = TextBuffer(capacity: 32)
    /// The state file and its temporary sibling (nil: no state image).
    var statePath: CBytes? = nil
    var stateTemporaryPath: CBytes? = nil
    private var stateWriteFailing = false

    init(node: Node) { self.node = node }

    mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool {
        guard let base = datagram.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let fd = multicastFD, scope = serverIfIndex
        let sent = withAddressBytes(Mesh.group.0, Mesh.group.1) {
            ddhcp_udp6_send(fd, base, Int32(datagram.count), $0, Mesh.multicastPort, scope)
        }
        if sent < 0 { logSendError("multicast to [ff02::1234]:1234", sent) }
        return sent > 0
    }

    mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool {
        guard let base = datagram.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let fd = unicastFD, scope = serverIfIndex
        let sent = withAddressBytes(peer.high, peer.low) {
            ddhcp_udp6_send(fd, base, Int32(datagram.count), $0, Mesh.unicastPort, scope)
        }
        if sent < 0 { logSendError("unicast to a peer's port 1235", sent) }
        return sent > 0
    }

    mutating func sendDHCP(
        _ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
        clientHardware: HardwareAddress, yourAddress: IPv4Address
    ) -> Bool {
        guard dhcpFD >= 0, let base = packet.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let target: IPv4Address
        var port = Mesh.dhcpClientPort
        switch destination {
        case .broadcast: target = .broadcast
        case .unicast(let a): target = a
        case .relay(let agent):
            target = agent
            port = Mesh.dhcpServerPort
        }
        let sent = ddhcp_udp4_send(dhcpFD, base, Int32(packet.count), target.value, port)
        if sent < 0 { logSendError("DHCP reply", sent) }
        return sent > 0
    }

    mutating func runHook(_ action: HookAction, address a: IPv4Address, clientHardware: HardwareAddress) {
        guard let hook else { return }
        let name: StaticString
        switch action {
        case .lease: name = "lease"
        case .release: name = "release"
        case .endLearning: name = "endlearning"
        case .inform: name = "inform"
        }
        var pid: Int32
        if action == .endLearning {
            pid = ddhcp_spawn_hook(hook, name.utf8Start, nil, nil)
        } else {
            address.clear()
            address.append(a)
            mac.clear()
            mac.append(mac: clientHardware)
            pid = address.withCString { ip in mac.withCString { m in ddhcp_spawn_hook(hook, name.utf8Start, ip, m) } }
        }
        if pid < 0 { logFileError(.error, "cannot run hook ", hook, pid) }
    }

    /// OpenWrt's `dhcp` hotplug event, with the variables dnsmasq's dhcp-script passes.
    mutating func leaseChanged(_ change: LeaseChange, address a: IPv4Address, clientHardware: HardwareAddress,
                               hostname: UnsafeRawBufferPointer) {
        guard let hotplugCall else { return }
        let action: StaticString
        switch change {
        case .add: action = "add"
        case .update: action = "update"
        case .remove: action = "remove"
        }
        address.clear()
        address.append(a)
        mac.clear()
        mac.appendLowercase(mac: clientHardware)
        name.clear()
        name.append(bytes: hostname)
        let pid = address.withCString { ip in
            mac.withCString { m in name.withCString { h in ddhcp_spawn_hotplug(hotplugCall, action.utf8Start, m, ip, h) } }
        }
        if pid < 0 { logFileError(.error, "cannot run ", hotplugCall, pid) }
    }

    /// Written as a temporary file renamed over the state file: a reader sees the old image
    /// or the new one, never a part. One warning when writing starts to fail.
    mutating func writeState(_ image: UnsafeRawBufferPointer) -> Bool {
        guard let path = statePath, let temporary = stateTemporaryPath,
              let base = image.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let rc = ddhcp_file_replace(path, temporary, base, Int32(image.count))
        if rc < 0 && !stateWriteFailing { logFileError(.warning, "cannot write the state image ", path, rc) }
        stateWriteFailing = rc < 0
        return rc == 0
    }

    /// Whether the shell should build a line at `level`: the core's filter.
    @inline(__always) func enabled(_ level: LogLevel) -> Bool { node.logs(level) }

    mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer) {
        output.write(level, line)
    }

    /// "<what><path>: <error>", for a file the shell could not run or write.
    private mutating func logFileError(_ level: LogLevel, _ what: StaticString, _ path: CBytes, _ code: Int32) {
        guard enabled(level) else { return }
        var line = TextBuffer()
        line.append(what)
        line.append(cString: path)
        line.append(": ")
        line.append(errorCode: code)
        output.write(level, line)
    }

    private mutating func logSendError(_ what: StaticString, _ code: Int32) {
        guard enabled(.warning) else { return }
        var line = TextBuffer()
        line.append("sending ")
        line.append(what)
        line.append(" failed: ")
        line.append(errorCode: code)
        output.write(.warning, line)
    }
}

extension ShellActions {
    mutating func log(_ level: LogLevel, _ text: StaticString) {
        log(level, UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

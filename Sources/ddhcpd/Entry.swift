// Entry point: C `main` (DDHCPSystem) calls ddhcpd_main. One binary, two programs: invoked as
// `ddhcpdctl` (argv[0] basename) it is the control client, otherwise the daemon.

import DDHCPCore
import DDHCPSystem

@_cdecl("ddhcpd_main")
public func ddhcpdMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Int32 {
    if argc > 0, let name = argv[0], CText.equals(CText.basename(name), "ddhcpdctl") {
        return ControlClient.main(argc: argc, argv: argv)
    }
    return DaemonMain.main(argc: argc, argv: argv)
}

enum DaemonMain {
    static func main(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Int32 {
        var options: DaemonOptions
        switch DaemonCommandLine.parse(argc: argc, argv: argv) {
        case .exit(let status): return status
        case .run(let o): options = o
        }
        if options.verbosityRequested && options.logLevel > LogLevel.compiledLimit {
            // C warns too (docs/protocol.md#start-up): the extra -v cannot show what the build left
            // out.
            var line = TextBuffer()
            line.append("WARNING: log level ")
            line.append(Int(options.logLevel.rawValue))
            line.append(" requested, but this build only logs up to level ")
            line.append(Int(LogLevel.compiledLimit.rawValue))
            line.append(byte: UInt8(ascii: "\n"))
            Stream.write(Stream.stderr, line)
        }
        if options.daemonize { options.makePathsAbsolute() }
        if !options.nodeIDGiven { options.configuration.nodeID = defaultNodeID(options.serverInterface) }
        let statePaths = options.resolveStatePaths()
        options.configuration.keepsStateImage = statePaths != nil

        let node: Node
        do {
            try options.configuration.validate()
            node = try Node(configuration: options.configuration, randomSeed: randomUInt64(), now: ddhcp_monotonic_ms())
        } catch {
            Stream.write(Stream.stderr, "ddhcpd: ")
            Stream.write(Stream.stderr, error.message)
            Stream.write(Stream.stderr, "\n")
            return ExitStatus.invalidArguments
        }
        node.runtimeLogLevel = options.logLevel

        let daemon = Daemon(options: options, node: node)
        if let statePaths {
            daemon.actions.statePath = statePaths.path
            daemon.actions.stateTemporaryPath = statePaths.temporary
        }
        guard daemon.openSignals() else {
            Stream.write(Stream.stderr, "ddhcpd: cannot set up signal handling\n")
            return ExitStatus.socketFailure
        }
        guard daemon.openSockets() else {
            daemon.shutdown()
            return ExitStatus.socketFailure
        }
        if options.daemonize {
            // After the sockets, so that a start-up failure still reaches the caller's terminal.
            if ddhcp_daemonize() < 0 {
                Stream.write(Stream.stderr, "ddhcpd: cannot daemonise\n")
                daemon.shutdown()
                return ExitStatus.socketFailure
            }
            ddhcp_syslog_open(DaemonOptions.cString("ddhcpd"))
            daemon.actions.output.toSyslog = true
        }
        guard daemon.openLoop() else {
            daemon.actions.log(.fatal, "cannot set up the event loop")
            daemon.shutdown()
            return ExitStatus.socketFailure
        }
        if let statePaths { restoreState(node, from: statePaths.path, &daemon.actions) }
        daemon.run()
        daemon.shutdown()
        return ExitStatus.ok
    }

    /// Hands the state image of an earlier run to the node (docs/fast-join.md#restart-survival). No
    /// file is normal (first start, or after a reboot); the node logs why an image is unusable.
    static func restoreState(_ node: Node, from path: CBytes, _ actions: inout ShellActions) {
        let capacity = node.stateImageCapacity
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity + 1, alignment: 8)
        defer { buffer.deallocate() }
        let n = ddhcp_file_read(path, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(capacity))
        guard n >= 0 else { return }
        if Int(n) > capacity {
            actions.log(.warning, "State image ignored: larger than any image of this configuration")
            return
        }
        node.restoreState(UnsafeRawBufferPointer(rebasing: buffer[0..<Int(n)]), now: ddhcp_monotonic_ms(), sink: &actions)
    }

    /// EUI-64 of the server interface's MAC (stable across restarts, docs/decisions.md D-01);
    /// random without a MAC.
    static func defaultNodeID(_ interface: CBytes) -> NodeID {
        var mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        let n = withUnsafeMutableBytes(of: &mac) { ddhcp_if_mac(interface, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        guard n == 6 else { return NodeID(randomUInt64()) }
        let bytes: [UInt8] = [mac.0 ^ 0x02, mac.1, mac.2, 0xFF, 0xFE, mac.3, mac.4, mac.5]
        var value: UInt64 = 0
        for b in bytes { value = value << 8 | UInt64(b) }
        return NodeID(value)
    }
}

// ddhcpdctl: the control client (docs/protocol.md#ddhcpdctl). Sends one command over the Unix
// socket and prints whatever the daemon answers until it closes the connection.

import DDHCPCore
import DDHCPSystem

enum ControlClient {
    static let optionString: StaticString = "C:bdo:l:r:v:sSVht:je"

    static func main(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Int32 {
        var path: CBytes = DaemonOptions.cString("/tmp/ddhcpd_ctl")
        var request: [UInt8] = []  // the last command flag other than -o wins
        var lastFlag: UInt8 = 0
        var optionRequest: [UInt8]? = nil  // -o overrides every other command
        var json = false
        while true {
            let opt = ddhcp_getopt(argc, argv, optionString.utf8Start)
            if opt < 0 { break }
            let arg = ddhcp_optarg()
            let flag = UInt8(truncatingIfNeeded: opt)
            switch flag {
            case UInt8(ascii: "C"): path = arg!
            case UInt8(ascii: "j"): json = true
            case UInt8(ascii: "b"): request = ControlRequest.simple(.showBlocks)
            case UInt8(ascii: "d"): request = ControlRequest.simple(.showOptions)
            case UInt8(ascii: "s"): request = ControlRequest.simple(.statistics)
            case UInt8(ascii: "S"): request = ControlRequest.simple(.statisticsReset)
            case UInt8(ascii: "e"): request = ControlRequest.simple(.leases)
            case UInt8(ascii: "o"):
                do { optionRequest = try ControlRequest.setOption(CText.buffer(arg!)) } catch { return fail(error, arg!) }
            case UInt8(ascii: "l"): request = ControlRequest.leaseTime(CText.buffer(arg!))
            case UInt8(ascii: "r"): request = ControlRequest.removeOption(CText.buffer(arg!))
            case UInt8(ascii: "v"): request = ControlRequest.logLevel(CText.buffer(arg!))
            case UInt8(ascii: "V"):
                DaemonCommandLine.printRevision()
                return ExitStatus.ok
            case UInt8(ascii: "h"), UInt8(ascii: "t"):  // C accepts -t X but has no command for it
                Stream.write(Stream.stdout, usage)
                return ExitStatus.ok
            default:  // unknown flag: like C, the argument count, then usage
                Stream.writeArgcAndUsage(argc, usage)
                return ExitStatus.ok
            }
            if flag != UInt8(ascii: "C") && flag != UInt8(ascii: "j") && flag != UInt8(ascii: "o") { lastFlag = flag }
        }
        if let optionRequest {
            request = optionRequest
        } else if json {
            switch lastFlag {
            case UInt8(ascii: "b"): request = ControlRequest.simple(.blocksJSON)
            case UInt8(ascii: "s"): request = ControlRequest.simple(.statisticsJSON)
            case UInt8(ascii: "S"): request = ControlRequest.simple(.statisticsResetJSON)
            case UInt8(ascii: "e"): request = ControlRequest.simple(.leasesJSON)
            default: break
            }
        }
        guard !request.isEmpty else {
            Stream.write(Stream.stdout, usage)
            return ExitStatus.ok
        }
        return send(request, to: path)
    }

    /// Sends the request and copies the answer to stdout. Whatever goes wrong is one line on
    /// stderr and exit status 255 (docs/decisions.md D-102): no connection (also: the daemon's
    /// backlog stayed full for the socket timeout, 10 s), no answer within 10 s, or the
    /// connection closed without an answer to a command that has one.
    static func send(_ request: [UInt8], to path: CBytes) -> Int32 {
        let fd = ddhcp_unix_connect(path)
        if fd == -DDHCP_EAGAIN {
            return failure("ddhcpdctl: the daemon at '", path, "' accepted no connection within 10 s (too busy)", 0)
        }
        if fd < 0 { return failure("ddhcpdctl: cannot connect to the control socket '", path, "': ", fd) }
        let written = request.withUnsafeBufferPointer { ddhcp_write_all(fd, $0.baseAddress!, Int32($0.count)) }
        if written < 0 {
            _ = ddhcp_close(fd)
            return connectionLost(path, written)
        }
        // Tell the daemon the command is complete; C daemons just ignore it.
        _ = ddhcp_shutdown_write(fd)
        var buffer: [UInt8] = Array(repeating: 0, count: 4096)
        var received = 0
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { ddhcp_read(fd, $0.baseAddress!, Int32($0.count)) }
            if n == 0 { break }
            if n < 0 {
                _ = ddhcp_close(fd)
                if n == -DDHCP_EAGAIN {
                    return failure("ddhcpdctl: no answer from '", path, "' within 10 s", 0)
                }
                return connectionLost(path, n)
            }
            received += Int(n)
            buffer.withUnsafeBytes { Stream.write(Stream.stdout, bytes: UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
        }
        _ = ddhcp_close(fd)
        if received == 0 && expectsAnswer(request) {
            return failure("ddhcpdctl: '", path, "' closed the connection without an answer", 0)
        }
        return ExitStatus.ok
    }

    /// Commands that always get text back (the set/remove/log-level commands get none).
    static func expectsAnswer(_ request: [UInt8]) -> Bool {
        switch ControlCommand(rawValue: request[0]) {
        case .setOption, .removeOption, .setLogLevel, nil: return false
        default: return true
        }
    }

    static func connectionLost(_ path: CBytes, _ code: Int32) -> Int32 {
        failure("ddhcpdctl: talking to '", path, "' failed: ", code)
    }

    /// One line on stderr, `<before><path><after><error text>` (no error text for code 0), and
    /// C's exit status 255.
    static func failure(_ before: StaticString, _ path: CBytes, _ after: StaticString, _ code: Int32) -> Int32 {
        var line = TextBuffer()
        line.append(before)
        line.append(cString: path)
        line.append(after)
        if code != 0 { line.append(errorCode: code) }
        line.append(byte: UInt8(ascii: "\n"))
        Stream.write(Stream.stderr, line)
        return ExitStatus.controlConnectFailure
    }

    static func fail(_ error: ConfigError, _ arg: CBytes) -> Int32 {
        var line = TextBuffer()
        line.append("ddhcpdctl: ")
        line.append(error.message)
        line.append(" (got '")
        line.append(cString: arg)
        line.append("')\n")
        Stream.write(Stream.stderr, line)
        return ExitStatus.invalidArguments
    }

    static let usage: StaticString = """
        Usage: ddhcpdctl [-C PATH] COMMAND
          -C PATH           control socket of the daemon (default /tmp/ddhcpd_ctl)
          -b                show the block table
          -d                show the DHCP option store
          -o CODE:LEN:P1.P2...  set a DHCP option (e.g. -o 3:4:10.0.0.1)
          -l SECONDS        set the DHCP lease time (option 51)
          -r CODE           remove a DHCP option
          -v LEVEL          set the daemon's log level (0 FATAL ... 4 DEBUG)
          -s                show statistics
          -S                show statistics and reset the counters
          -e                show the leases of the daemon's blocks
          -j                JSON output for -b, -s, -S and -e
          -V                print the revision and exit
          -h                this help

        """
}

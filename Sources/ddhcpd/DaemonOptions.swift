// ddhcpd's command line: every flag of C ddhcpd (`C:c:i:St:dvVDhLb:B:N:o:s:H:n:`) with C's
// defaults (docs/protocol.md#ddhcpd-flags), plus `-I NODEID` and `-E le|be`. Argument strings are
// read, never modified (docs/decisions.md D-29).

import DDHCPCore
import DDHCPSystem

struct DaemonOptions {
    var configuration = Configuration()
    var serverInterface: CBytes = DaemonOptions.cString("server0")
    var clientInterface: CBytes = DaemonOptions.cString("client0")
    var controlPath: CBytes = DaemonOptions.cString("/tmp/ddhcpd_ctl")
    var hook: CBytes? = nil
    var daemonize = false
    /// Runtime log level: WARNING, raised by each -v up to DEBUG.
    var logLevel = LogLevel.warning
    var verbosityRequested = false
    var nodeIDGiven = false

    /// daemon() changes to "/": relative control socket and hook paths are made absolute first
    /// (the socket file is created before and removed after that change).
    mutating func makePathsAbsolute() {
        controlPath = DaemonOptions.absolute(controlPath)
        if let hook { self.hook = DaemonOptions.absolute(hook) }
    }

    private static func absolute(_ path: CBytes) -> CBytes {
        if path[0] == UInt8(ascii: "/") { return path }
        let capacity = 4096
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + CText.length(path) + 2)
        let n = Int(ddhcp_getcwd(buffer, Int32(capacity)))
        guard n > 0 else {
            buffer.deallocate()
            return path
        }
        buffer[n] = UInt8(ascii: "/")
        var i = 0
        repeat {
            buffer[n + 1 + i] = path[i]
            i += 1
        } while path[i - 1] != 0
        return UnsafePointer(buffer)  // lives as long as the process
    }

    /// String literals are stored NUL-terminated, so they can serve as C strings.
    static func cString(_ s: StaticString) -> CBytes { s.utf8Start }
}

enum DaemonCommandLine {
    enum Outcome {
        case run(DaemonOptions)
        case exit(Int32)
    }

    static let optionString: StaticString = "C:c:i:St:dvVDhLb:B:N:o:s:H:n:I:E:"

    static func parse(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Outcome {
        var o = DaemonOptions()
        var message = TextBuffer()
        while true {
            let opt = ddhcp_getopt(argc, argv, optionString.utf8Start)
            if opt < 0 { break }
            let arg = ddhcp_optarg()
            switch UInt8(truncatingIfNeeded: opt) {
            case UInt8(ascii: "i"): o.serverInterface = arg!
            case UInt8(ascii: "c"): o.clientInterface = arg!
            case UInt8(ascii: "C"): o.controlPath = arg!
            case UInt8(ascii: "H"): o.hook = arg!
            case UInt8(ascii: "d"): o.daemonize = true
            case UInt8(ascii: "D"): o.daemonize = false
            case UInt8(ascii: "v"):
                if o.logLevel < .debug { o.logLevel = LogLevel(rawValue: o.logLevel.rawValue + 1)! }
                o.verbosityRequested = true
            case UInt8(ascii: "V"):
                printRevision()
                return .exit(ExitStatus.ok)
            case UInt8(ascii: "h"):
                Stream.write(Stream.stdout, usage)
                return .exit(ExitStatus.ok)
            case UInt8(ascii: "?"), UInt8(ascii: ":"):
                // Unknown flag or missing argument: like C, the argument count, then usage.
                message.append("ARGC: ")
                message.append(Int(argc))
                message.append(byte: UInt8(ascii: "\n"))
                Stream.write(Stream.stdout, message)
                Stream.write(Stream.stdout, usage)
                return .exit(ExitStatus.ok)
            case let flag:
                // The protocol settings (N b B t n s o L S I E): the core parses and checks them.
                let text = arg.map { CText.buffer($0) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
                do {
                    _ = try o.configuration.apply(flag: flag, argument: text)
                } catch {
                    return fail(error, arg)
                }
                if flag == UInt8(ascii: "I") { o.nodeIDGiven = true }
            }
        }
        return .run(o)
    }

    /// One clear line on stderr, exit status 1.
    static func fail(_ error: ConfigError, _ arg: CBytes?) -> Outcome {
        var line = TextBuffer()
        line.append("ddhcpd: ")
        line.append(error.message)
        if let arg {
            line.append(" (got '")
            line.append(cString: arg)
            line.append("')")
        }
        line.append(byte: UInt8(ascii: "\n"))
        Stream.write(Stream.stderr, line)
        return .exit(ExitStatus.invalidArguments)
    }

    static let usage: StaticString = """
        Usage: ddhcpd [OPTIONS]
          -i IFACE        server (mesh) interface for block negotiation (default server0)
          -c IFACE        client interface for DHCP (default client0)
          -N NET/LEN      address pool (default 10.0.0.0/24)
          -b EXP          block size 2^EXP addresses, EXP 0..7 (default 5)
          -B SECONDS      block timeout and learning phase length (default 60)
          -t SECONDS      tentative timeout, at least 2 (default 15)
          -n SECONDS      needless timeout before an empty surplus block is dropped (default 300)
          -s N            spare leases to keep available (default 2)
          -o CODE:LEN:P1.P2...  DHCP option, repeatable (e.g. -o 3:4:10.0.0.1)
          -L              skip the learning phase
          -S              no DHCP: only take part in the block negotiation
          -H COMMAND      hook script, run as /bin/sh -e -- COMMAND ACTION ARGS...
          -C PATH         control socket (default /tmp/ddhcpd_ctl)
          -I NODEID       node id, 16 hex digits (default: EUI-64 of the server interface MAC)
          -E le|be        byte order of the address in sent RENEWLEASE messages (default le)
          -d              run in the background, log to syslog
          -D              stay in the foreground (default), log to stderr
          -v              more log output (repeat for DEBUG)
          -V              print the revision and exit
          -h              this help

        """

    static func printRevision() {
        var line = TextBuffer()
        line.append("Revision: ")
        line.append(cString: ddhcp_revision())
        line.append(byte: UInt8(ascii: "\n"))
        Stream.write(Stream.stdout, line)
    }
}

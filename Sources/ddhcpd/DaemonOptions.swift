// ddhcpd's command line: every flag of C ddhcpd (`C:c:i:St:dvVDhLb:B:N:o:s:H:n:`) with C's
// defaults (PROTOCOL.md §11.1), plus `-I NODEID` and `-E le|be`. Argument strings are read,
// never modified.

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
    var nodeIDGiven = false
    /// -o arguments in command-line order; they come before the default options.
    var optionArguments: [CBytes] = []

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
            case UInt8(ascii: "S"): o.configuration.dhcpDisabled = true
            case UInt8(ascii: "L"): o.configuration.learningPhase = false
            case UInt8(ascii: "d"): o.daemonize = true
            case UInt8(ascii: "D"): o.daemonize = false
            case UInt8(ascii: "v"):
                if o.logLevel < .debug { o.logLevel = LogLevel(rawValue: o.logLevel.rawValue + 1)! }
            case UInt8(ascii: "V"):
                printRevision()
                return .exit(ExitStatus.ok)
            case UInt8(ascii: "h"):
                Stream.write(Stream.stdout, usage)
                return .exit(ExitStatus.ok)
            case UInt8(ascii: "t"):
                let t = CNumber.atoi(CText.buffer(arg!))
                guard t >= 2 && t <= 65535 else {
                    return fail("-t: the tentative timeout must be 2 to 65535 seconds, got ", arg!)
                }
                o.configuration.tentativeTimeout = UInt16(t)
            case UInt8(ascii: "B"):
                let b = CNumber.strtoul(CText.buffer(arg!))
                guard b.consumed && b.value > 0 && b.value <= 65535 else {
                    return fail("-B: the block timeout must be 1 to 65535 seconds, got ", arg!)
                }
                o.configuration.blockTimeout = UInt16(b.value)
            case UInt8(ascii: "n"):
                let n = CNumber.atoi(CText.buffer(arg!))
                guard n >= 0 && n <= 65535 else {
                    return fail("-n: the needless timeout must be 0 to 65535 seconds, got ", arg!)
                }
                o.configuration.needlessTimeout = UInt16(n)
            case UInt8(ascii: "b"):
                let b = CNumber.atoi(CText.buffer(arg!))
                guard b >= 0 && b <= 7 else {
                    return fail("-b: the block size exponent must be 0 to 7 (1 to 128 addresses), got ", arg!)
                }
                o.configuration.blockSizeExponent = UInt8(b)
            case UInt8(ascii: "s"):
                let s = CNumber.atoi(CText.buffer(arg!))
                guard s >= 0 && s <= 255 else {
                    return fail("-s: the number of spare leases must be 0 to 255, got ", arg!)
                }
                o.configuration.spareLeases = UInt32(s)
            case UInt8(ascii: "N"):
                guard ConfigurationText.parseNetwork(CText.buffer(arg!), into: &o.configuration) else {
                    return fail("-N: expected NETWORK/LENGTH with a length of 8 to 32, e.g. 10.0.0.0/24, got ", arg!)
                }
            case UInt8(ascii: "o"):
                guard ConfigurationText.isValidOption(CText.buffer(arg!)) else {
                    return fail("-o: expected CODE:LENGTH:BYTE1.BYTE2…, e.g. 3:4:10.0.0.1, got ", arg!)
                }
                o.optionArguments.append(arg!)
            case UInt8(ascii: "I"):
                guard let id = parseNodeID(CText.buffer(arg!)) else {
                    return fail("-I: the node id must be exactly 16 hex digits, got ", arg!)
                }
                o.configuration.nodeID = id
                o.nodeIDGiven = true
            case UInt8(ascii: "E"):
                if CText.equals(arg!, "le") {
                    o.configuration.renewLeaseLittleEndian = true
                } else if CText.equals(arg!, "be") {
                    o.configuration.renewLeaseLittleEndian = false
                } else {
                    return fail("-E: the RENEWLEASE byte order must be le or be, got ", arg!)
                }
            default:
                // Unknown flag or missing argument: like C, the argument count, then usage.
                message.append("ARGC: ")
                message.append(Int(argc))
                message.append(byte: UInt8(ascii: "\n"))
                Stream.write(Stream.stdout, message)
                Stream.write(Stream.stdout, usage)
                return .exit(ExitStatus.ok)
            }
        }
        // -S: pure block-table participant, no spare leases to keep (as C).
        if o.configuration.dhcpDisabled { o.configuration.spareLeases = 0 }
        return .run(o)
    }

    /// One clear line on stderr, exit status 1.
    static func fail(_ what: StaticString, _ arg: CBytes) -> Outcome {
        var line = TextBuffer()
        line.append("ddhcpd: ")
        line.append(what)
        line.append(byte: UInt8(ascii: "'"))
        line.append(cString: arg)
        line.append("'\n")
        Stream.write(Stream.stderr, line)
        return .exit(ExitStatus.invalidArguments)
    }

    /// 16 hex digits, most significant first (the header's byte order).
    static func parseNodeID(_ text: UnsafeRawBufferPointer) -> NodeID? {
        guard text.count == 16 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return NodeID(value)
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

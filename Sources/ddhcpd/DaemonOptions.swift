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
    /// `--lease-file PATH`: this node's leases in dnsmasq's format (D-51).
    var leaseFile: CBytes? = nil
    /// `--hotplug-call PATH`: run as `PATH dhcp` on every lease change (D-52).
    var hotplugCall: CBytes? = nil
    var daemonize = false
    /// Runtime log level: WARNING, raised by each -v up to DEBUG.
    var logLevel = LogLevel.warning
    var verbosityRequested = false
    var nodeIDGiven = false
    /// State image file (docs/fast-join.md#restart-survival); nil with --no-state-file. Default:
    /// the control socket path with ".state" appended (/tmp/ddhcpd_ctl.state).
    var statePath: CBytes? = nil
    var stateFileOff = false

    /// daemon() changes to "/": relative control socket and hook paths are made absolute first
    /// (the socket file is created before and removed after that change).
    mutating func makePathsAbsolute() {
        controlPath = DaemonOptions.absolute(controlPath)
        if let statePath { self.statePath = DaemonOptions.absolute(statePath) }
        if let hook { self.hook = DaemonOptions.absolute(hook) }
        if let leaseFile { self.leaseFile = DaemonOptions.absolute(leaseFile) }
        if let hotplugCall, hotplugCall[0] != 0 { self.hotplugCall = DaemonOptions.absolute(hotplugCall) }
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

    /// The state file's path (the default derived from the control socket) and its temporary
    /// sibling, or nil with --no-state-file. Call once, after makePathsAbsolute.
    mutating func resolveStatePaths() -> (path: CBytes, temporary: CBytes)? {
        guard !stateFileOff else { return nil }
        let path = statePath ?? DaemonOptions.appending(controlPath, ".state")
        statePath = path
        return (path, DaemonOptions.appending(path, ".tmp"))
    }

    /// `base` + `suffix` as a new C string that lives as long as the process.
    static func appending(_ base: CBytes, _ suffix: StaticString) -> CBytes {
        let n = CText.length(base), m = suffix.utf8CodeUnitCount
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: n + m + 1)
        for k in 0..<n { buffer[k] = base[k] }
        for k in 0..<m { buffer[n + k] = suffix.utf8Start[k] }
        buffer[n + m] = 0
        return UnsafePointer(buffer)
    }

    /// String literals are stored NUL-terminated, so they can serve as C strings.
    static func cString(_ s: StaticString) -> CBytes { s.utf8Start }
}

/// One long option: `--name VALUE`, `--name=VALUE`, or `--name` alone when it takes no value.
/// `key` is the short flag it stands for, or a `LongOnly` key for options without one.
struct LongOption {
    let name: StaticString
    let hasArgument: Bool
    let key: UInt8
}

/// Keys of the options that exist only as long options: 0x80 and up, never a short flag.
enum LongOnly {
    static let stateFile: UInt8 = 0x80
    static let noStateFile: UInt8 = 0x81
    static let noFastJoin: UInt8 = 0x82
    static let leaseFile: UInt8 = 0x88  // issue-11
    static let hotplugCall: UInt8 = 0x89
    // issue-13b's keys start at 0x90 so parallel additions from 0x80 do not collide.
    static let reserve = Configuration.reserveKey  // 0x90; applied by the core like a short flag
    static let staticLease = Configuration.staticLeaseKey
    static let testCWire = Configuration.cWireKey
}

/// The daemon's command line (docs/protocol.md#ddhcpd-flags, docs/decisions.md D-50). Parsed here
/// in Swift, without getopt, the same way on every build (the wasm route included): short flags
/// as C's getopt loop reads them (clusters `-vL`, `-ofoo` and `-o foo`, `--` ends the options,
/// other words are skipped), long options from `longOptions`, all in command-line order.
///
/// To add an option: a row in `longOptions` (with a `LongOnly` key unless it has a short flag)
/// and a case in `apply`, plus a line in `usage`.
enum DaemonCommandLine {
    enum Outcome {
        case run(DaemonOptions)
        case exit(Int32)
    }

    /// C's flags (`C:c:i:St:dvVDhLb:B:N:o:s:H:n:`) and -I, -E; a colon marks an argument.
    static let optionString: StaticString = "C:c:i:St:dvVDhLb:B:N:o:s:H:n:I:E:"

    static let longOptions: [LongOption] = [
        LongOption(name: "server-interface", hasArgument: true, key: UInt8(ascii: "i")),
        LongOption(name: "client-interface", hasArgument: true, key: UInt8(ascii: "c")),
        LongOption(name: "network", hasArgument: true, key: UInt8(ascii: "N")),
        LongOption(name: "block-size-pow", hasArgument: true, key: UInt8(ascii: "b")),
        LongOption(name: "block-timeout", hasArgument: true, key: UInt8(ascii: "B")),
        LongOption(name: "tentative-timeout", hasArgument: true, key: UInt8(ascii: "t")),
        LongOption(name: "needless-timeout", hasArgument: true, key: UInt8(ascii: "n")),
        LongOption(name: "spare-leases", hasArgument: true, key: UInt8(ascii: "s")),
        LongOption(name: "option", hasArgument: true, key: UInt8(ascii: "o")),
        LongOption(name: "no-learning", hasArgument: false, key: UInt8(ascii: "L")),
        LongOption(name: "no-dhcp", hasArgument: false, key: UInt8(ascii: "S")),
        LongOption(name: "hook", hasArgument: true, key: UInt8(ascii: "H")),
        LongOption(name: "control-socket", hasArgument: true, key: UInt8(ascii: "C")),
        LongOption(name: "node-id", hasArgument: true, key: UInt8(ascii: "I")),
        LongOption(name: "renewlease-byte-order", hasArgument: true, key: UInt8(ascii: "E")),
        LongOption(name: "daemon", hasArgument: false, key: UInt8(ascii: "d")),
        LongOption(name: "foreground", hasArgument: false, key: UInt8(ascii: "D")),
        LongOption(name: "verbose", hasArgument: false, key: UInt8(ascii: "v")),
        LongOption(name: "version", hasArgument: false, key: UInt8(ascii: "V")),
        LongOption(name: "help", hasArgument: false, key: UInt8(ascii: "h")),
        LongOption(name: "state-file", hasArgument: true, key: LongOnly.stateFile),
        LongOption(name: "no-state-file", hasArgument: false, key: LongOnly.noStateFile),
        LongOption(name: "no-fast-join", hasArgument: false, key: LongOnly.noFastJoin),
        LongOption(name: "lease-file", hasArgument: true, key: LongOnly.leaseFile),
        LongOption(name: "hotplug-call", hasArgument: true, key: LongOnly.hotplugCall),
        LongOption(name: "reserve", hasArgument: true, key: LongOnly.reserve),
        LongOption(name: "static-lease", hasArgument: true, key: LongOnly.staticLease),
        LongOption(name: "test-c-wire", hasArgument: false, key: LongOnly.testCWire),
    ]

    static func parse(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Outcome {
        var o = DaemonOptions()
        var i = 1
        while i < Int(argc), let word = argv[i].map({ CBytes($0) }) {
            i += 1
            guard word[0] == UInt8(ascii: "-"), word[1] != 0 else { continue }  // not an option
            if word[1] == UInt8(ascii: "-") {
                if word[2] == 0 { break }  // `--`: the end of the options
                // `--name`, `--name=VALUE` or `--name VALUE`.
                let name = word + 2
                var n = 0
                while name[n] != 0 && name[n] != UInt8(ascii: "=") { n += 1 }
                guard let option = longOption(name, n) else {
                    return usageError("unknown option '", word, n + 2, "'")
                }
                var arg: CBytes? = nil
                if name[n] == UInt8(ascii: "=") {
                    guard option.hasArgument else {
                        return usageError("option '", word, n + 2, "' takes no value")
                    }
                    arg = name + n + 1
                } else if option.hasArgument {
                    guard i < Int(argc), let next = argv[i] else {
                        return usageError("option '", word, n + 2, "' needs a value")
                    }
                    arg = CBytes(next)
                    i += 1
                }
                if let done = apply(option.key, arg, &o) { return done }
                continue
            }
            // A cluster of short flags; a flag with an argument takes the rest of the word or
            // the next word.
            var j = 1
            while word[j] != 0 {
                let flag = word[j]
                j += 1
                guard let takesArgument = shortFlag(flag) else {
                    return shortFlagError("invalid option -- '", flag, argc, argv)
                }
                var arg: CBytes? = nil
                if takesArgument {
                    if word[j] != 0 {
                        arg = word + j
                    } else if i < Int(argc), let next = argv[i] {
                        arg = CBytes(next)
                        i += 1
                    } else {
                        return shortFlagError("option requires an argument -- '", flag, argc, argv)
                    }
                }
                if let done = apply(flag, arg, &o) { return done }
                if takesArgument { break }
            }
        }
        return .run(o)
    }

    /// Applies one option (a short flag or a `LongOnly` key); an outcome ends the parsing.
    static func apply(_ key: UInt8, _ arg: CBytes?, _ o: inout DaemonOptions) -> Outcome? {
        switch key {
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
        case LongOnly.stateFile:
            o.statePath = arg!
            o.stateFileOff = false
        case LongOnly.noStateFile: o.stateFileOff = true
        case LongOnly.noFastJoin: o.configuration.fastJoin = false
        case LongOnly.leaseFile:
            o.leaseFile = arg!
            o.configuration.recordHostnames = true
        case LongOnly.hotplugCall:
            o.hotplugCall = arg!
            o.configuration.recordHostnames = true
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
        return nil
    }

    /// Whether `flag` is a short flag and takes an argument (nil: not a flag).
    static func shortFlag(_ flag: UInt8) -> Bool? {
        let s = optionString.utf8Start
        for k in 0..<optionString.utf8CodeUnitCount where s[k] == flag && flag != UInt8(ascii: ":") {
            return k + 1 < optionString.utf8CodeUnitCount && s[k + 1] == UInt8(ascii: ":")
        }
        return nil
    }

    /// The row whose name is exactly the `n` bytes at `name` (no abbreviations).
    static func longOption(_ name: CBytes, _ n: Int) -> LongOption? {
        for option in longOptions where option.name.utf8CodeUnitCount == n {
            let t = option.name.utf8Start
            var k = 0
            while k < n && t[k] == name[k] { k += 1 }
            if k == n { return option }
        }
        return nil
    }

    /// An unknown or misused short flag: getopt's line on stderr, then as C does the argument
    /// count and the usage on stdout, exit 0 (docs/protocol.md#ddhcpd-flags).
    static func shortFlagError(_ what: StaticString, _ flag: UInt8, _ argc: Int32,
                               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Outcome {
        var line = TextBuffer()
        if let name = argv[0] { line.append(cString: name) } else { line.append("ddhcpd") }
        line.append(": ")
        line.append(what)
        line.append(byte: flag)
        line.append("'\n")
        Stream.write(Stream.stderr, line)
        Stream.writeArgcAndUsage(argc, usage)
        return .exit(ExitStatus.ok)
    }

    /// An unknown or misused long option (new here, no C behaviour to keep): one line naming the
    /// first `n` bytes of `word`, exit 1, so a command line meant for another version fails loudly.
    static func usageError(_ before: StaticString, _ word: CBytes, _ n: Int, _ after: StaticString) -> Outcome {
        var line = TextBuffer()
        line.append("ddhcpd: ")
        line.append(before)
        line.append(bytes: UnsafeRawBufferPointer(start: word, count: n))
        line.append(after)
        line.append(" (ddhcpd -h lists the options)\n")
        Stream.write(Stream.stderr, line)
        return .exit(ExitStatus.invalidArguments)
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
          -i, --server-interface IFACE  mesh interface for block negotiation (default server0)
          -c, --client-interface IFACE  client interface for DHCP (default client0)
          -N, --network NET/LEN         address pool (default 10.0.0.0/24)
          -b, --block-size-pow EXP      block size 2^EXP addresses, EXP 0..7 (default 5)
          -B, --block-timeout SECONDS   block timeout and learning phase length (default 60)
          -t, --tentative-timeout SECONDS  at least 2 (default 15)
          -n, --needless-timeout SECONDS   before an empty surplus block is dropped (default 300)
          -s, --spare-leases N          spare leases to keep available (default 2)
          -o, --option CODE:LEN:P1.P2...  DHCP option, repeatable (e.g. -o 3:4:10.0.0.1)
          -L, --no-learning             skip the learning phase
          -S, --no-dhcp                 no DHCP: only take part in the block negotiation
          -H, --hook COMMAND            hook script, run as /bin/sh -e -- COMMAND ACTION ARGS...
          -C, --control-socket PATH     control socket (default /tmp/ddhcpd_ctl)
          -I, --node-id NODEID          16 hex digits (default: EUI-64 of the server interface MAC)
          -E, --renewlease-byte-order le|be  address in sent RENEWLEASE messages (default le)
              --lease-file PATH         this node's leases in dnsmasq's format, kept up to date
              --hotplug-call PATH       run PATH dhcp (ACTION MACADDR IPADDR HOSTNAME) on changes
              --reserve A.B.C.D[-E.F.G.H|/L]  never lease these addresses, repeatable (mesh-wide)
              --static-lease MAC,A.B.C.D   fixed address (in a reserved range), repeatable
              --test-c-wire             tests only: behave like C on the mesh wire
          -d, --daemon                  run in the background, log to syslog
          -D, --foreground              stay in the foreground (default), log to stderr
          -v, --verbose                 more log output (repeat for DEBUG)
          -V, --version                 print the revision and exit
          -h, --help                    this help
              --state-file PATH         state image for restarts (default: control socket path + .state)
              --no-state-file           keep no state image
              --no-fast-join            no table request at start: the learning phase as in C
        Long options take their value as --name VALUE or --name=VALUE.

        """

    static func printRevision() {
        var line = TextBuffer()
        line.append("Revision: ")
        line.append(cString: ddhcp_revision())
        line.append(byte: UInt8(ascii: "\n"))
        Stream.write(Stream.stdout, line)
    }
}

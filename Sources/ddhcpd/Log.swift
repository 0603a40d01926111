// Log output of the daemon: stderr with C's level prefixes in the foreground, syslog once
// daemonised. Filtering by the runtime level happens before a line is built; levels above
// LogLevel.compiledLimit fold away at compile time.

import DDHCPCore
import DDHCPSystem

struct LogOutput {
    /// Set after daemon(): stderr then points to /dev/null.
    var toSyslog = false
    private var line = TextBuffer(capacity: 256)

    mutating func write(_ level: LogLevel, _ message: UnsafeRawBufferPointer) {
        if toSyslog {
            let empty: StaticString = ""
            let base = message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty.utf8Start
            ddhcp_syslog(Int32(level.rawValue), base, Int32(message.count))
            return
        }
        line.clear()
        line.append(LogOutput.prefix(level))
        line.append(bytes: message)
        line.append(byte: UInt8(ascii: "\n"))
        Stream.write(Stream.stderr, line)
    }

    mutating func write(_ level: LogLevel, _ text: TextBuffer) {
        text.withBytes { write(level, $0) }
    }

    static func prefix(_ level: LogLevel) -> StaticString {
        switch level {
        case .fatal: return "FATAL: "
        case .error: return "ERROR: "
        case .warning: return "WARNING: "
        case .info: return "INFO: "
        case .debug: return "DEBUG: "
        }
    }
}

// Small Swift conveniences over the C surface (ddhcp_system.h): C strings as bytes, writing
// text to standard streams, error texts. Text is bytes throughout (no String: no Unicode
// tables in the static binary).

import DDHCPCore
import DDHCPSystem

/// A NUL-terminated byte string owned by someone else (argv entries, getopt's optarg).
typealias CBytes = UnsafePointer<UInt8>

enum CText {
    static func length(_ p: CBytes) -> Int {
        var n = 0
        while p[n] != 0 { n += 1 }
        return n
    }

    static func buffer(_ p: CBytes) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: p, count: length(p))
    }

    static func equals(_ p: CBytes, _ text: StaticString) -> Bool {
        let n = length(p)
        guard n == text.utf8CodeUnitCount else { return false }
        let t = text.utf8Start
        for i in 0..<n where p[i] != t[i] { return false }
        return true
    }

    /// The part after the last '/', as `basename` sees it for argv[0].
    static func basename(_ p: CBytes) -> CBytes {
        var start = p
        var i = 0
        while p[i] != 0 {
            if p[i] == UInt8(ascii: "/") && p[i + 1] != 0 { start = p + i + 1 }
            i += 1
        }
        return start
    }
}

extension TextBuffer {
    mutating func append(cString p: CBytes) { append(bytes: CText.buffer(p)) }

    /// The buffer's bytes followed by NUL, for a C call that takes a string.
    mutating func withCString<R>(_ body: (CBytes) -> R) -> R {
        append(byte: 0)
        let r = bytes.withUnsafeBufferPointer { body($0.baseAddress!) }
        return r
    }

    /// A portable error code's text (`No such device`).
    mutating func append(errorCode code: Int32) {
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = ddhcp_error_text(code < 0 ? -code : code, p, Int32(raw.count))
            append(bytes: UnsafeRawBufferPointer(start: p, count: Int(n)))
        }
    }
}

enum Stream {
    static let stdout: Int32 = 1
    static let stderr: Int32 = 2

    static func write(_ fd: Int32, _ text: TextBuffer) {
        text.withBytes { b in
            if let base = b.baseAddress {
                _ = ddhcp_write_all(fd, base.assumingMemoryBound(to: UInt8.self), Int32(b.count))
            }
        }
    }

    static func write(_ fd: Int32, _ text: StaticString) {
        _ = ddhcp_write_all(fd, text.utf8Start, Int32(text.utf8CodeUnitCount))
    }

    /// C's answer to an unknown flag (ddhcpd and ddhcpdctl alike): "ARGC: n" and the usage text
    /// on stdout.
    static func writeArgcAndUsage(_ argc: Int32, _ usage: StaticString) {
        var line = TextBuffer()
        line.append("ARGC: ")
        line.append(Int(argc))
        line.append(byte: UInt8(ascii: "\n"))
        write(stdout, line)
        write(stdout, usage)
    }

    static func write(_ fd: Int32, bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress {
            _ = ddhcp_write_all(fd, base.assumingMemoryBound(to: UInt8.self), Int32(bytes.count))
        }
    }
}

/// Exit statuses shared with C ddhcpd.
enum ExitStatus {
    static let ok: Int32 = 0
    static let invalidArguments: Int32 = 1
    static let socketFailure: Int32 = 2
    static let controlConnectFailure: Int32 = 255
}

/// Fills an integer from the kernel's entropy source (0 if that fails, which only happens on
/// kernels without getrandom).
func randomUInt64() -> UInt64 {
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) { raw in
        _ = ddhcp_random(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), 8)
    }
    return value
}

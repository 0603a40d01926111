// PROVISIONAL: parsing of -N and -o until the core's configuration parsers land; then this
// file goes away and the shell calls the core's.

import DDHCPCore

enum ConfigurationText {
    /// `A.B.C.D/L` with 8 ≤ L ≤ 32 (C requires '/', a non-empty length and L ≥ 8).
    static func parseNetwork(_ text: UnsafeRawBufferPointer, into c: inout Configuration) -> Bool {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")), slash + 1 < text.count else { return false }
        var octets: [UInt32] = []
        var current: UInt32 = 0
        var digits = 0
        for i in 0..<slash {
            let b = text[i]
            if b == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                octets.append(current)
                current = 0
                digits = 0
            } else if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                current = current * 10 + UInt32(b - UInt8(ascii: "0"))
                digits += 1
                guard current <= 255 && digits <= 3 else { return false }
            } else {
                return false
            }
        }
        guard digits > 0 else { return false }
        octets.append(current)
        guard octets.count == 4 else { return false }
        let length = CNumber.atoi(UnsafeRawBufferPointer(rebasing: text[(slash + 1)...]))
        guard length >= 8 && length <= 32 else { return false }
        c.prefix = IPv4Address(octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3])
        c.prefixLength = UInt8(length)
        return true
    }

    /// `CODE:LEN:P1.P2…` (§8.1): code and length by atoi, then LEN dot-separated bytes (strtoul
    /// base 0, truncated to 8 bits); surplus text is ignored.
    static func parseOption(_ text: UnsafeRawBufferPointer) -> (code: UInt8, payload: [UInt8])? {
        guard let c1 = text.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let code = UInt8(truncatingIfNeeded: CNumber.atoi(UnsafeRawBufferPointer(rebasing: text[..<c1])))
        let rest = UnsafeRawBufferPointer(rebasing: text[(c1 + 1)...])
        let c2 = rest.firstIndex(of: UInt8(ascii: ":"))
        let length = Int(UInt8(truncatingIfNeeded: CNumber.atoi(UnsafeRawBufferPointer(rebasing: rest[..<(c2 ?? rest.count)]))))
        var payload: [UInt8] = []
        if length == 0 { return (code, payload) }
        guard let c2 else { return nil }
        var i = c2 + 1
        while payload.count < length {
            guard i < rest.count else { return nil }
            var end = i
            while end < rest.count && rest[end] != UInt8(ascii: ".") { end += 1 }
            let n = CNumber.strtoul(UnsafeRawBufferPointer(rebasing: rest[i..<end]))
            guard n.consumed else { return nil }
            payload.append(UInt8(truncatingIfNeeded: n.value))
            i = end + 1
        }
        return (code, payload)
    }

    static func isValidOption(_ text: UnsafeRawBufferPointer) -> Bool { parseOption(text) != nil }
}

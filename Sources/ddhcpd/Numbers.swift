// C's number parsing on byte strings, as C ddhcpd/ddhcpdctl apply it to their arguments:
// atoi (decimal, stops at the first non-digit) and strtoul with base 0 (0x… hex, 0… octal).

enum CNumber {
    /// `atoi`: leading blanks, optional sign, decimal digits; stops at the first other byte.
    /// Saturates instead of C's undefined overflow.
    static func atoi(_ text: UnsafeRawBufferPointer) -> Int64 {
        var i = skipBlanks(text, 0)
        var negative = false
        if i < text.count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var value: Int64 = 0
        while i < text.count, let d = digit(text[i], base: 10) {
            value = value > (Int64.max - 9) / 10 ? Int64.max : value * 10 + Int64(d)
            i += 1
        }
        return negative ? -value : value
    }

    /// `strtoul(text, &end, 0)`. `consumed` is false when no digit was found at all.
    /// Saturates at UInt64.max; a leading '-' negates modulo 2^64 like C.
    static func strtoul(_ text: UnsafeRawBufferPointer) -> (value: UInt64, consumed: Bool, rest: Int) {
        var i = skipBlanks(text, 0)
        var negative = false
        if i < text.count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var base: UInt64 = 10
        if i < text.count && text[i] == UInt8(ascii: "0") {
            if i + 2 < text.count && (text[i + 1] | 0x20) == UInt8(ascii: "x")
                && digit(text[i + 2], base: 16) != nil {
                base = 16
                i += 2
            } else {
                base = 8
            }
        }
        let start = i
        var value: UInt64 = 0
        while i < text.count, let d = digit(text[i], base: base) {
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            value = o1 || o2 ? UInt64.max : s
            i += 1
        }
        if i == start && base != 8 { return (0, false, 0) }
        return (negative ? 0 &- value : value, true, i)
    }

    private static func skipBlanks(_ text: UnsafeRawBufferPointer, _ from: Int) -> Int {
        var i = from
        while i < text.count && (text[i] == 0x20 || (text[i] >= 0x09 && text[i] <= 0x0D)) { i += 1 }
        return i
    }

    private static func digit(_ byte: UInt8, base: UInt64) -> UInt8? {
        var d: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): d = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): d = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): d = byte - UInt8(ascii: "A") + 10
        default: return nil
        }
        return UInt64(d) < base ? d : nil
    }
}

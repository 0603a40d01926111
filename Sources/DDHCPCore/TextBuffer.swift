/// A reusable byte buffer for text the core produces (log lines, control answers).
/// Text is bytes here: no String, so no Unicode tables end up in the static binary.
/// `clear()` keeps the capacity, so reusing one buffer does not allocate in steady state.
public struct TextBuffer {
    public private(set) var bytes: [UInt8]

    /// Where a long answer goes in pieces (docs/decisions.md D-110): with a spill set,
    /// `spillIfFull()` (called by the table writers after each row) hands the text collected so
    /// far to `write(context, bytes, count)` once it reaches `spillThreshold` bytes and empties
    /// the buffer. A 1024-block table is then streamed through one small buffer instead of
    /// growing it to 32 KB, which would stay resident after the answer. Without a spill the
    /// buffer just grows (tests, the simulation).
    public typealias SpillWrite = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int) -> Void
    public var spill: (write: SpillWrite, context: UnsafeMutableRawPointer?)? = nil
    public static let spillThreshold = 2048

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(never)
    public mutating func clear() { bytes.removeAll(keepingCapacity: true) }

    /// With a spill set and at least `spillThreshold` bytes collected: writes them out and
    /// empties the buffer (capacity kept).
    public mutating func spillIfFull() {
        guard let spill, bytes.count >= TextBuffer.spillThreshold else { return }
        flush(spill)
    }

    /// Writes out whatever is collected (with a spill set) and empties the buffer.
    public mutating func spillAll() {
        guard let spill, !bytes.isEmpty else { return }
        flush(spill)
    }

    private mutating func flush(_ spill: (write: SpillWrite, context: UnsafeMutableRawPointer?)) {
        bytes.withUnsafeBufferPointer { spill.write(spill.context, $0.baseAddress, $0.count) }
        bytes.removeAll(keepingCapacity: true)
    }

    @inline(never)
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(never)
    public mutating func append(byte: UInt8) { bytes.append(byte) }

    @inline(never)
    public mutating func append(bytes other: UnsafeRawBufferPointer) { bytes.append(contentsOf: other) }

    /// Decimal, with a minus sign when negative.
    @inline(never)
    public mutating func append(_ number: Int64) {
        if number < 0 {
            bytes.append(UInt8(ascii: "-"))
            append(unsigned: UInt64(0 &- UInt64(bitPattern: number)))
        } else {
            append(unsigned: UInt64(number))
        }
    }

    public mutating func append(_ number: Int) { append(Int64(number)) }

    @inline(never)
    public mutating func append(unsigned number: UInt64) {
        var digits: (UInt64, Int) = (number, 0)
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            repeat {
                buf[19 - digits.1] = UInt8(ascii: "0") + UInt8(digits.0 % 10)
                digits.0 /= 10
                digits.1 += 1
            } while digits.0 != 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(20 - digits.1)...]))
        }
    }

    /// Uppercase hex, zero-padded to `digits` digits (e.g. node ids: 16 digits).
    @inline(never)
    public mutating func append(hex number: UInt64, digits: Int) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: number >> UInt64(shift)) & 0xF
            bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10)
            shift -= 4
        }
    }

    /// Dotted quad, e.g. `10.0.0.1`.
    @inline(never)
    public mutating func append(_ address: IPv4Address) {
        for i in 0..<4 {
            if i > 0 { bytes.append(UInt8(ascii: ".")) }
            append(unsigned: UInt64(address.octet(i)))
        }
    }

    /// The first six bytes of a chaddr as `0A:00:00:00:00:01`, as C's hook does.
    @inline(never)
    public mutating func append(mac: HardwareAddress) {
        for i in 0..<6 {
            if i > 0 { bytes.append(UInt8(ascii: ":")) }
            append(hex: UInt64(mac.byte(i)), digits: 2)
        }
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes(body)
    }
}

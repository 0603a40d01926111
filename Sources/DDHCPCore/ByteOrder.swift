// The one byte-order helper of the core: every wire format (mesh messages, DHCP, the state
// image, option payloads) is big-endian, and every multi-byte field is read and written here.

/// Big-endian field access on raw buffers. Callers check bounds first.
@usableFromInline enum Bytes {
    @inline(__always) static func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(b[o]) << 8 | UInt16(b[o + 1])
    }
    @inline(__always) static func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }
    @inline(__always) static func u64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(u32(b, o)) << 32 | UInt64(u32(b, o + 4))
    }
    @inline(__always) static func put16(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt16) {
        b[o] = UInt8(truncatingIfNeeded: v >> 8)
        b[o + 1] = UInt8(truncatingIfNeeded: v)
    }
    @inline(__always) static func put32(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt32) {
        b[o] = UInt8(truncatingIfNeeded: v >> 24)
        b[o + 1] = UInt8(truncatingIfNeeded: v >> 16)
        b[o + 2] = UInt8(truncatingIfNeeded: v >> 8)
        b[o + 3] = UInt8(truncatingIfNeeded: v)
    }
    @inline(__always) static func put64(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt64) {
        put32(b, o, UInt32(truncatingIfNeeded: v >> 32))
        put32(b, o + 4, UInt32(truncatingIfNeeded: v))
    }
    @inline(__always) static func hardware(_ b: UnsafeRawBufferPointer, _ o: Int) -> HardwareAddress {
        HardwareAddress(high: u64(b, o), low: u64(b, o + 8))
    }
    @inline(__always) static func putHardware(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ h: HardwareAddress) {
        put64(b, o, h.high)
        put64(b, o + 8, h.low)
    }
}

import Testing
@testable import DDHCPCore

@Suite struct TextBufferTests {
    private func text(_ build: (inout TextBuffer) -> Void) -> [UInt8] {
        var buffer = TextBuffer()
        build(&buffer)
        return buffer.bytes
    }

    @Test func decimalNumbers() {
        #expect(text { $0.append(0) } == Array("0".utf8))
        #expect(text { $0.append(1234567) } == Array("1234567".utf8))
        #expect(text { $0.append(-42) } == Array("-42".utf8))
        #expect(text { $0.append(Int64.min) } == Array("-9223372036854775808".utf8))
        #expect(text { $0.append(unsigned: UInt64.max) } == Array("18446744073709551615".utf8))
    }

    @Test func addressesAndIds() {
        #expect(text { $0.append(IPv4Address(10, 116, 224, 1)) } == Array("10.116.224.1".utf8))
        #expect(text { $0.append(hex: 0xFFFF_0000_0000_00AB, digits: 16) } == Array("FFFF0000000000AB".utf8))
        let mac = HardwareAddress(high: 0x0A00_0000_0001_0000, low: 0)
        #expect(text { $0.append(mac: mac) } == Array("0A:00:00:00:00:01".utf8))
    }

    @Test func clearKeepsCapacity() {
        var buffer = TextBuffer(capacity: 64)
        buffer.append("hello")
        let capacity = buffer.bytes.capacity
        buffer.clear()
        #expect(buffer.count == 0)
        #expect(buffer.bytes.capacity == capacity)
    }
}

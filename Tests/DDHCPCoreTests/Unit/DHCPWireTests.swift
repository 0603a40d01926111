import Testing
@testable import DDHCPCore

@Suite struct DHCPWireTests {
    private func parse(_ b: [UInt8]) -> Result<DHCPPacket, DHCPParseError> {
        b.withUnsafeBytes { p in
            do throws(DHCPParseError) { return .success(try DHCPWire.parse(p)) } catch { return .failure(error) }
        }
    }

    private func parseError(_ b: [UInt8]) -> DHCPParseError? {
        if case .failure(let e) = parse(b) { return e }
        return nil
    }

    @Test func parsesHeaderFieldsAndOptions() {
        let b = clientPacket(.request, xid: 0xDEAD_BEEF, chaddr: mac(7), ciaddr: IPv4Address(10, 0, 0, 9),
                             giaddr: IPv4Address(192, 168, 1, 1), flags: 0x8000, requested: IPv4Address(10, 0, 0, 5),
                             serverID: IPv4Address(10, 0, 0, 1), params: [1, 3, 6])
        b.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            #expect(packet.messageType == 3)
            #expect(packet.op == 1 && packet.htype == 1 && packet.hlen == 6)
            #expect(packet.xid == 0xDEAD_BEEF)
            #expect(packet.flags == 0x8000)
            #expect(packet.ciaddr == IPv4Address(10, 0, 0, 9))
            #expect(packet.giaddr == IPv4Address(192, 168, 1, 1))
            #expect(packet.chaddr == mac(7))
            #expect(packet.requestedAddress == IPv4Address(10, 0, 0, 5))
            #expect(packet.serverIdentifier == IPv4Address(10, 0, 0, 1))
            #expect(Array(packet.parameterList) == [1, 3, 6])
            #expect(packet.clientFields.wantsBroadcast)
        }
    }

    @Test func skipsPadAndStopsAtEnd() {
        // Two PADs before the options crashed C (docs/decisions.md D-03); options after END are
        // ignored.
        let b = clientPacket(.discover, leadingOptions: [0, 0], trailing: [255, 53, 1, 3, 50, 4, 1, 2, 3, 4])
        b.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            #expect(packet.messageType == 1)
            #expect(packet.requestedAddress == nil)
        }
    }

    @Test func toleratesMissingEndAndTakesTheFirstMessageType() {
        let b = clientPacket(.discover, leadingOptions: [53, 0], trailing: [53, 1, 3])
        b.withUnsafeBytes { p in
            #expect(try! DHCPWire.parse(p).messageType == 1)
        }
        #expect(parseError(clientPacket(.request, params: [1], trailing: [])) == nil)
    }

    @Test func shortOptionPayloadsCountAsAbsent() {
        let b = clientPacket(.request, leadingOptions: [50, 2, 10, 0, 54, 3, 1, 2, 3])
        b.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            #expect(packet.requestedAddress == nil)
            #expect(packet.hasServerIdentifier)
            #expect(packet.serverIdentifier == nil)
            #expect(packet.parameterList.count == 0)
        }
    }

    @Test func rejectsMalformedPackets() {
        let good = clientPacket(.discover)
        for n in [0, 1, 100, 239] {
            #expect(parseError(Array(good.prefix(n))) == .tooShort(length: n))
        }
        var cookie = good
        cookie[239] = 0x64
        #expect(parseError(cookie) == .badMagicCookie)
        // Exactly 240 bytes: no options, hence no message type.
        #expect(parseError(Array(good.prefix(240))) == .missingMessageType)
        #expect(parseError(Array(good.prefix(240)) + [255]) == .missingMessageType)
        #expect(parseError(Array(good.prefix(240)) + [0, 0, 0]) == .missingMessageType)
        // Length byte missing, payload running past the end.
        #expect(parseError(Array(good.prefix(240)) + [53]) == .optionOverrun(offset: 240))
        #expect(parseError(Array(good.prefix(240)) + [53, 2, 1]) == .optionOverrun(offset: 240))
        #expect(parseError(clientPacket(.discover, trailing: [12, 5, 65])) == .optionOverrun(offset: 243))
    }

    @Test func offerHasRequestedOptionsOnceThenServerIdLeaseTimeTypeAndIsPadded() {
        // C sent 1, 28, 51, 54, 2, 54, 51, 53 for this list; we drop the duplicates
        // (docs/protocol.md#replies, D-19).
        let request = clientPacket(.discover, xid: 0xABCD, chaddr: mac(1), params: [1, 3, 6, 28, 51, 54, 2, 1])
        var out = [UInt8](repeating: 0xEE, count: 1500)
        let n = request.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            return out.withUnsafeMutableBytes { b in
                DHCPWire.buildReply(into: b, type: .offer, client: packet.clientFields, yourAddress: IPv4Address(10, 0, 0, 5),
                                    parameterList: packet.parameterList, options: defaultStore(), includeLeaseTime: true)
            }
        }
        #expect(n == 300)
        let reply = Array(out[0..<n])
        #expect(Array(reply[0..<4]) == [2, 1, 6, 0])
        #expect(Array(reply[4..<8]) == [0, 0, 0xAB, 0xCD])
        #expect(Array(reply[8..<12]) == [0, 0, 0, 0])
        #expect(Array(reply[16..<20]) == [10, 0, 0, 5])
        #expect(Array(reply[28..<34]) == [0x0A, 0, 0, 0, 0, 1])
        #expect(Array(reply[236..<240]) == [99, 130, 83, 99])
        let options = replyOptions(reply)
        #expect(options.map { $0.0 } == [1, 28, 2, 54, 51, 53])
        #expect(options[0].1 == [255, 255, 255, 0])
        #expect(options[1].1 == [10, 0, 0, 255])
        #expect(options[3].1 == [10, 0, 0, 1])
        #expect(options[4].1 == [0, 0, 1, 44])
        #expect(options[5].1 == [2])
        // Exact options bytes, END, then zero padding.
        let expected: [UInt8] = [1, 4, 255, 255, 255, 0, 28, 4, 10, 0, 0, 255, 2, 4, 0, 0, 0, 0,
                                 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 1, 44, 53, 1, 2, 255]
        #expect(Array(reply[240..<(240 + expected.count)]) == expected)
        #expect(reply[(240 + expected.count)...].allSatisfy { $0 == 0 })
    }

    @Test func informAckHasNoLeaseTime() {
        let request = clientPacket(.inform, ciaddr: IPv4Address(10, 0, 0, 7), params: [51, 1, 54])
        var out = [UInt8](repeating: 0, count: 1500)
        let n = request.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            return out.withUnsafeMutableBytes { b in
                DHCPWire.buildReply(into: b, type: .ack, client: packet.clientFields, yourAddress: .zero,
                                    parameterList: packet.parameterList, options: defaultStore(), includeLeaseTime: false)
            }
        }
        let options = replyOptions(Array(out[0..<n]))
        #expect(options.map { $0.0 } == [1, 54, 53])
        #expect(Array(out[12..<16]) == [10, 0, 0, 7])
        #expect(Array(out[16..<20]) == [0, 0, 0, 0])
    }

    @Test func withoutParameterListOnlyTheTail() {
        var store = defaultStore()
        store.remove(54)
        let request = clientPacket(.request)
        var out = [UInt8](repeating: 0, count: 1500)
        let n = request.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            return out.withUnsafeMutableBytes { b in
                DHCPWire.buildReply(into: b, type: .ack, client: packet.clientFields, yourAddress: IPv4Address(10, 0, 0, 1),
                                    parameterList: packet.parameterList, options: store, includeLeaseTime: true)
            }
        }
        #expect(Array(out[240..<250]) == [51, 4, 0, 0, 1, 44, 53, 1, 5, 255])
        #expect(n == 300)
    }

    @Test func optionsThatDoNotFitAreLeftOut() {
        var store = defaultStore()
        for code: UInt8 in 100..<110 { store.set(code, [UInt8](repeating: code, count: 200)) }
        let params = Array(UInt8(100)..<UInt8(110))
        let request = clientPacket(.discover, params: params)
        var out = [UInt8](repeating: 0, count: 1000)
        let n = request.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            return out.withUnsafeMutableBytes { b in
                DHCPWire.buildReply(into: b, type: .offer, client: packet.clientFields, yourAddress: IPv4Address(10, 0, 0, 1),
                                    parameterList: packet.parameterList, options: store, includeLeaseTime: true)
            }
        }
        #expect(n <= 1000)
        let codes = replyOptions(Array(out[0..<n])).map { $0.0 }
        #expect(codes == [100, 101, 102, 54, 51, 53])
    }

    @Test func nakCarriesServerIdentifierAndBroadcastFlagThroughRelay() {
        let request = clientPacket(.request, xid: 9, ciaddr: IPv4Address(10, 0, 0, 9), giaddr: IPv4Address(172, 16, 0, 1))
        var out = [UInt8](repeating: 0, count: 1500)
        let n = request.withUnsafeBytes { p in
            let packet = try! DHCPWire.parse(p)
            #expect(DHCPWire.destination(for: packet.clientFields, isNak: true) == .relay(IPv4Address(172, 16, 0, 1)))
            return out.withUnsafeMutableBytes { b in DHCPWire.buildNak(into: b, client: packet.clientFields, options: defaultStore()) }
        }
        #expect(n == 300)
        #expect(Array(out[10..<12]) == [0x80, 0])
        #expect(Array(out[16..<20]) == [0, 0, 0, 0])
        #expect(Array(out[240..<250]) == [54, 4, 10, 0, 0, 1, 53, 1, 6, 255])
    }

    @Test func tooSmallBuffersProduceNothing() {
        var out = [UInt8](repeating: 0, count: DHCPWire.minimumReplyBuffer - 1)
        let f = DHCPClientFields()
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        out.withUnsafeMutableBytes { b in
            #expect(DHCPWire.buildReply(into: b, type: .ack, client: f, yourAddress: .zero, parameterList: empty,
                                        options: defaultStore(), includeLeaseTime: true) == 0)
            #expect(DHCPWire.buildNak(into: b, client: f, options: defaultStore()) == 0)
        }
        // Largest possible tail (54 and 51 at 255 bytes each) still fits the minimum buffer.
        var store = OptionStore()
        store.set(54, [UInt8](repeating: 1, count: 255))
        store.set(51, [UInt8](repeating: 2, count: 255))
        var big = [UInt8](repeating: 0, count: DHCPWire.minimumReplyBuffer)
        let n = big.withUnsafeMutableBytes { b in
            DHCPWire.buildReply(into: b, type: .ack, client: f, yourAddress: .zero, parameterList: empty, options: store, includeLeaseTime: true)
        }
        #expect(n == 240 + 257 + 257 + 3 + 1)
    }

    @Test func destinations() {
        var f = DHCPClientFields()
        #expect(DHCPWire.destination(for: f, isNak: false) == .broadcast)
        f.ciaddr = IPv4Address(10, 0, 0, 3)
        #expect(DHCPWire.destination(for: f, isNak: false) == .unicast(IPv4Address(10, 0, 0, 3)))
        #expect(DHCPWire.destination(for: f, isNak: true) == .broadcast)  // D-11
        f.flags = 0x8000
        #expect(DHCPWire.destination(for: f, isNak: false) == .broadcast)
        f.giaddr = IPv4Address(10, 1, 0, 1)
        #expect(DHCPWire.destination(for: f, isNak: false) == .relay(IPv4Address(10, 1, 0, 1)))
    }
}

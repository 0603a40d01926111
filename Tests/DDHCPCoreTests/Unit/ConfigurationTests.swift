import Testing
@testable import DDHCPCore

@Suite struct ConfigurationTests {
    private func apply(_ config: inout Configuration, _ flag: Character, _ arg: String) throws(ConfigError) -> Bool {
        let b = Array(arg.utf8)
        let flagByte = UInt8(ascii: flag.unicodeScalars.first!)
        let result: Result<Bool, ConfigError> = b.withUnsafeBytes { p in
            do throws(ConfigError) { return .success(try config.apply(flag: flagByte, argument: p)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func error(_ flag: Character, _ arg: String) -> ConfigError? {
        var c = Configuration()
        do throws(ConfigError) {
            _ = try apply(&c, flag, arg)
            try c.validate()
            return nil
        } catch {
            return error
        }
    }

    private func option(_ arg: String) -> Result<(UInt8, [UInt8]), ConfigError> {
        let b = Array(arg.utf8)
        return b.withUnsafeBytes { p in
            do throws(ConfigError) {
                let o = try ArgumentText.parseOption(p)
                return .success((o.code, o.payload))
            } catch { return .failure(error) }
        }
    }

    struct Parsed: Equatable {
        var code: UInt8
        var payload: [UInt8]
        init(_ code: UInt8, _ payload: [UInt8]) { self.code = code; self.payload = payload }
    }

    private func optionValue(_ arg: String) -> Parsed? {
        guard case .success(let o) = option(arg) else { return nil }
        return Parsed(o.0, o.1)
    }

    @Test func defaultsAreCs() throws {
        let c = Configuration()
        #expect(c.prefix == IPv4Address(10, 0, 0, 0) && c.prefixLength == 24)
        #expect(c.blockSize == 32 && c.blockCount == 8)
        #expect(c.blockTimeout == 60 && c.tentativeTimeout == 15 && c.needlessTimeout == 300)
        #expect(c.spareLeases == 2 && c.learningPhase && !c.dhcpDisabled)
        #expect(c.renewLeaseLittleEndian)
        try c.validate()
    }

    @Test func gluonCommandLine() throws {
        var c = Configuration()
        for (f, a) in [("N", "10.116.224.0/20"), ("b", "2"), ("B", "300"), ("t", "15"), ("s", "2"),
                       ("o", "51:4:0.0.1.44"), ("o", "54:4:10.116.254.254"), ("o", "1:4:255.255.128.0")] {
            #expect(try apply(&c, Character(f), a))
        }
        try c.validate()
        #expect(c.prefix == IPv4Address(10, 116, 224, 0) && c.prefixLength == 20)
        #expect(c.blockSize == 4 && c.blockCount == 1024)
        #expect(c.blockTimeout == 300)
        #expect(c.options.codes == [51, 54, 1])
        #expect(c.options.leaseTime == 300)
        #expect(c.options.serverIdentifier == IPv4Address(10, 116, 254, 254))
        #expect(!(try apply(&c, "i", "br-client")))
        #expect(try apply(&c, "L", ""))
        #expect(try apply(&c, "S", ""))
        #expect(!c.learningPhase && c.dhcpDisabled && c.effectiveSpareLeases == 0)
        #expect(try apply(&c, "I", "0123456789abcDEF"))
        #expect(c.nodeID == NodeID(0x0123_4567_89AB_CDEF))
        #expect(try apply(&c, "E", "be"))
        #expect(!c.renewLeaseLittleEndian)
    }

    @Test func rejectsWhatCSilentlyBreaksOn() {
        #expect(error("b", "8") == .blockSizeTooLarge)
        #expect(error("b", "-1") == .blockSizeTooLarge)
        #expect(error("b", "7") == nil)
        #expect(error("N", "10.0.0.0/7") == .prefixLengthTooShort)
        #expect(error("N", "10.0.0.0/33") == .prefixLengthTooLong)
        #expect(error("N", "10.0.0.0/28") == .blockSizeTooLarge)  // S=32 > 16 addresses
        #expect(error("N", "10.0.0.0/27") == nil)  // exactly one block
        #expect(error("t", "1") == .tentativeTimeoutTooShort)
        #expect(error("t", "70000") == .tentativeTimeoutTooLong)
        #expect(error("B", "0") == .blockTimeoutInvalid)
        #expect(error("B", "65536") == .blockTimeoutInvalid)
        #expect(error("B", "0x3c") == nil)
        #expect(error("s", "256") == .spareLeasesInvalid)
        #expect(error("s", "-1") == .spareLeasesInvalid)
        #expect(error("n", "65536") == .needlessTimeoutInvalid)
        #expect(error("N", "255.255.255.0/24") == nil)
        #expect(error("N", "255.255.255.1/24") == .poolOutOfRange)
        #expect(error("N", "10.0.0.0/8") == .tooManyBlocks)  // b=5 → 2^19 blocks
        #expect(error("I", "0123") == .malformedNodeID)
        #expect(error("I", "0123456789abcdeg") == .malformedNodeID)
        #expect(error("E", "xx") == .malformedByteOrder)
        var c = Configuration()
        c.blockSizeExponent = 0
        c.prefixLength = 8
        #expect(throws: ConfigError.tooManyBlocks) { try c.validate() }
        c.blockSizeExponent = 7
        #expect(c.blockCount == 131072)
        #expect(throws: Never.self) { try c.validate() }
    }

    @Test func networkParsing() {
        #expect(error("N", "10.0.0.0") == .malformedNetwork)
        #expect(error("N", "10.0.0.0/") == .malformedNetwork)
        #expect(error("N", "10.0.0/24") == nil)  // inet_aton a.b.c form: 10.0.0.0
        #expect(error("N", "10.0.0.256/24") == .malformedNetwork)
        #expect(error("N", "10.0.0.0/2x") == .malformedNetwork)
        #expect(error("N", "/24") == .malformedNetwork)
        var c = Configuration()
        _ = try? apply(&c, "N", "0x0a.0.0.5/24")
        #expect(c.prefix == IPv4Address(10, 0, 0, 5))  // as typed, not masked
        _ = try? apply(&c, "N", "10.116.224.0/20")
        #expect(c.prefix == IPv4Address(10, 116, 224, 0) && c.prefixLength == 20)
    }

    @Test func optionParserFollowsStrtoulBase0() {
        #expect(optionValue("3:4:10.116.254.254") == Parsed(3, [10, 116, 254, 254]))
        #expect(optionValue("51:4:0.0.1.44") == Parsed(51, [0, 0, 1, 44]))
        #expect(optionValue("1:4:0xff.0XFF.0377.0") == Parsed(1, [255, 255, 255, 0]))  // hex, octal
        #expect(optionValue("6:2:256.-1") == Parsed(6, [0, 255]))  // truncated to 8 bits as C
        #expect(optionValue("6:2:08.0x") == Parsed(6, [0, 0]))  // "08": octal 0, '8' ends the number
        #expect(optionValue("252:0:") == Parsed(252, []))
        #expect(optionValue("15:3:1.2.3.4.5") == Parsed(15, [1, 2, 3]))  // surplus ignored
        #expect(optionValue("15:3:1.2.3garbage") == Parsed(15, [1, 2, 3]))
        #expect(optionValue("300:1:7") == Parsed(44, [7]))  // CODE truncated like C
        #expect(optionValue(" 42 :1: 9") == Parsed(42, [9]))
    }

    @Test func optionParserErrors() {
        for bad in ["51", "51:4", "51:4:0.0.1", "51:4:0.0..44", "51:4:a.b.c.d", "0:1:5", "255:0:", "51:2:1,2", ""] {
            #expect(option(bad).isFailure, "\(bad)")
        }
    }

    @Test func numberParsers() {
        func atoi(_ s: String) -> Int64 { Array(s.utf8).withUnsafeBytes { ArgumentText.atoi($0) } }
        func strtoul(_ s: String) -> UInt64 { Array(s.utf8).withUnsafeBytes { ArgumentText.strtoul($0) } }
        #expect(atoi("15") == 15 && atoi("  -3x") == -3 && atoi("+7") == 7 && atoi("abc") == 0 && atoi("") == 0)
        #expect(strtoul("0x10") == 16 && strtoul("010") == 8 && strtoul("10") == 10 && strtoul("0") == 0)
        #expect(strtoul("0x") == 0 && strtoul("-1") == UInt64.max && strtoul("99999999999999999999999") == UInt64.max)
        #expect(strtoul("\t 0XfF") == 255)
        // Text ends at NUL, so argv bytes may be passed with their terminator.
        #expect(Array("12\u{0}34".utf8).withUnsafeBytes { ArgumentText.atoi($0) } == 12)
    }

    @Test func errorMessagesAreText() {
        let all: [ConfigError] = [.prefixLengthTooShort, .prefixLengthTooLong, .blockSizeTooLarge, .tentativeTimeoutTooShort,
                                  .blockTimeoutInvalid, .spareLeasesInvalid, .malformedOption, .malformedNetwork,
                                  .tentativeTimeoutTooLong, .needlessTimeoutInvalid, .poolOutOfRange, .tooManyBlocks,
                                  .malformedNodeID, .malformedByteOrder]
        for e in all {
            #expect(e.message.utf8CodeUnitCount > 10)
        }
        #expect("\(ConfigError.tentativeTimeoutTooShort.message)" == "tentative timeout (-t) must be at least 2 seconds")
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { return true } else { return false } }
}

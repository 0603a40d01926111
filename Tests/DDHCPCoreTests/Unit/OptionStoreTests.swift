import Testing
@testable import DDHCPCore

@Suite struct OptionStoreTests {
    @Test func defaultsInCOrder() {
        let s = defaultStore()
        #expect(s.codes == [1, 2, 28, 51, 54])
        #expect(s.payload(1) == [255, 255, 255, 0])
        #expect(s.payload(2) == [0, 0, 0, 0])
        #expect(s.payload(28) == [10, 0, 0, 255])
        #expect(s.payload(51) == [0, 0, 1, 44])
        #expect(s.payload(54) == [10, 0, 0, 1])
        #expect(s.leaseTime == 300)
        #expect(s.serverIdentifier == IPv4Address(10, 0, 0, 1))
    }

    @Test func gluonDefaultsKeepGivenOptionsFirst() {
        var s = OptionStore()
        s.set(51, [0, 0, 1, 44])
        s.set(54, [10, 116, 254, 254])
        s.set(1, [255, 255, 128, 0])
        s.addDefaults(prefix: IPv4Address(10, 116, 224, 0), prefixLength: 20)
        #expect(s.codes == [51, 54, 1, 2, 28])
        #expect(s.payload(28) == [10, 116, 239, 255])
        #expect(s.payload(1) == [255, 255, 128, 0])
    }

    @Test func serverIdIgnoresPrefixLength() {
        var s = OptionStore()
        s.addDefaults(prefix: IPv4Address(10, 116, 224, 0), prefixLength: 20)
        #expect(s.payload(54) == [10, 116, 224, 1])
        #expect(s.payload(1) == [255, 255, 240, 0])
    }

    @Test func replaceKeepsPositionAndRemove() {
        var s = defaultStore()
        s.set(28, [1, 2])
        #expect(s.codes == [1, 2, 28, 51, 54])
        #expect(s.payload(28) == [1, 2])
        s.set(3, [10, 0, 0, 254])
        #expect(s.codes == [1, 2, 28, 51, 54, 3])
        let removed = s.remove(51)
        let removedAgain = s.remove(51)
        #expect(removed && !removedAgain)
        #expect(s.leaseTime == 0)
        #expect(s.codes == [1, 2, 28, 54, 3])
        s.set(51, [0, 0, 1])  // shorter than 4 bytes → LT 0 as C
        #expect(s.leaseTime == 0)
        s.remove(54)
        #expect(s.serverIdentifier == nil)
        s.set(200, [UInt8](repeating: 1, count: 300))
        #expect(s.payload(200)?.count == 255)
    }
}

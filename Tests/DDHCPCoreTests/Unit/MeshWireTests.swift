import Testing
@testable import DDHCPCore

@Suite struct MeshWireTests {
    // docs/protocol.md#examples, captured from C (prefix 10.0.0.0/24, S=4, node id 0).
    let inquire34 = hex("0000000000000000 0a000000 18 04 02 01 00000022")
    let claim15and53 = hex("0000000000000000 0a000000 18 04 01 02 0000000f 003c 00 00000035 003c 00")
    let renewX86 = hex("0000000000000000 0a000000 18 04 10 00 f100000a 0000abcd 00000000 0a0000000001 00000000000000000000")
    let ackFromFF = hex("ffffffffffffffff 0a000000 18 04 11 00 f100000a 0000abcd 00000000 0a0000000001 00000000000000000000")

    @Test func decodesCapturedInquire() throws {
        try withRaw(inquire34) { d in
            let m = try MeshWire.decode(d, pool: testPool)
            #expect(m.command == .inquire)
            #expect(m.nodeID == .zero)
            #expect(m.entryCount == 1)
            #expect(m.inquireEntry(0) == 34)
        }
    }

    @Test func encodesCapturedInquire() {
        #expect(MeshWire.inquire(nodeID: .zero, pool: testPool, blocks: [34]) == inquire34)
    }

    @Test func decodesCapturedUpdateClaim() throws {
        try withRaw(claim15and53) { d in
            let m = try MeshWire.decode(d, pool: testPool)
            #expect(m.command == .updateClaim)
            #expect(m.entryCount == 2)
            #expect(m.claimEntry(0).block == 15)
            #expect(m.claimEntry(0).timeout == 60)
            #expect(m.claimEntry(1).block == 53)
            #expect(m.claimEntry(1).timeout == 60)
        }
    }

    @Test func encodesCapturedUpdateClaim() {
        let out = MeshWire.updateClaim(nodeID: .zero, pool: testPool, claims: [(15, 60), (53, 60)])
        #expect(out == claim15and53)
        #expect(out.count == 30)
    }

    @Test func decodesCapturedRenewLeaseBothByteOrders() throws {
        try withRaw(renewX86) { d in
            let m = try MeshWire.decode(d, pool: testPool)
            #expect(m.command == .renewLease)
            #expect(m.entryCount == 0)
            let p = m.leasePayload
            #expect(p.address(littleEndian: true) == IPv4Address(10, 0, 0, 241))
            #expect(p.address(littleEndian: false) == IPv4Address(241, 0, 0, 10))
            #expect(p.xid == 0xabcd)
            #expect(p.leaseSeconds == 0)
            #expect(p.chaddr == mac(1))
        }
    }

    @Test func encodesCapturedRenewLeaseAndEchoedAck() {
        let payload = LeasePayload(address: IPv4Address(10, 0, 0, 241), littleEndian: true, xid: 0xabcd, chaddr: mac(1))
        #expect(MeshWire.leaseMessage(nodeID: .zero, pool: testPool, command: .renewLease, payload: payload) == renewX86)
        // The reply echoes the payload decoded from the request unchanged.
        let echoed = withRaw(renewX86) { d in try! MeshWire.decode(d, pool: testPool).leasePayload }
        #expect(MeshWire.leaseMessage(nodeID: NodeID(UInt64.max), pool: testPool, command: .leaseAck, payload: echoed) == ackFromFF)
        // Big-endian senders put network order on the wire.
        let be = LeasePayload(address: IPv4Address(10, 0, 0, 241), littleEndian: false, xid: 1, chaddr: mac(1))
        let beBytes = MeshWire.leaseMessage(nodeID: .zero, pool: testPool, command: .renewLease, payload: be)
        #expect(Array(beBytes[16..<20]) == [10, 0, 0, 241])
    }

    @Test func roundTripsRandomMessages() throws {
        var rng = Xoshiro256(seed: 7)
        for _ in 0..<500 {
            let id = NodeID(rng.next())
            let n = Int(rng.next() % 212)
            var claims: [(block: UInt32, timeout: UInt16)] = []
            for _ in 0..<n { claims.append((UInt32(truncatingIfNeeded: rng.next()), UInt16(truncatingIfNeeded: rng.next()))) }
            let c = MeshWire.updateClaim(nodeID: id, pool: testPool, claims: claims)
            try withRaw(c) { d in
                let m = try MeshWire.decode(d, pool: testPool)
                #expect(m.nodeID == id && m.command == .updateClaim && m.entryCount == n)
                for i in 0..<n {
                    #expect(m.claimEntry(i).block == claims[i].block && m.claimEntry(i).timeout == claims[i].timeout)
                }
            }
            let blocks = claims.map { $0.block }
            let q = MeshWire.inquire(nodeID: id, pool: testPool, blocks: blocks)
            try withRaw(q) { d in
                let m = try MeshWire.decode(d, pool: testPool)
                #expect(m.entryCount == n)
                for i in 0..<n { #expect(m.inquireEntry(i) == blocks[i]) }
            }
            let p = LeasePayload(rawAddress: UInt32(truncatingIfNeeded: rng.next()), xid: UInt32(truncatingIfNeeded: rng.next()),
                                 leaseSeconds: UInt32(truncatingIfNeeded: rng.next()),
                                 chaddr: HardwareAddress(high: rng.next(), low: rng.next()))
            for command in [MeshCommand.renewLease, .leaseAck, .leaseNak] {
                let l = MeshWire.leaseMessage(nodeID: id, pool: testPool, command: command, payload: p)
                try withRaw(l) { d in
                    let m = try MeshWire.decode(d, pool: testPool)
                    #expect(m.command == command && m.leasePayload == p && m.nodeID == id)
                }
            }
        }
    }

    private func decodeError(_ b: [UInt8], pool: MeshPool = testPool) -> MeshDecodeError? {
        withRaw(b) { d -> MeshDecodeError? in
            do throws(MeshDecodeError) {
                _ = try MeshWire.decode(d, pool: pool)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test func rejectsShortDatagramsBeforeReadingTheHeader() {
        for n in 0..<16 {
            #expect(decodeError(Array(inquire34.prefix(n))) == .tooShort(length: n))
        }
    }

    @Test func rejectsUnknownCommandsIncludingRelease() {
        for command: UInt8 in [0, 3, 15, 19, 0x40, 0xFF] {
            var b = renewX86
            b[14] = command
            #expect(decodeError(b) == .unknownCommand(command))
        }
    }

    @Test func rejectsLengthMismatches() {
        #expect(decodeError(inquire34 + [0]) == .lengthMismatch(expected: 20, actual: 21))
        #expect(decodeError(Array(inquire34.prefix(19))) == .lengthMismatch(expected: 20, actual: 19))
        var twoClaimed = inquire34
        twoClaimed[15] = 2
        #expect(decodeError(twoClaimed) == .lengthMismatch(expected: 24, actual: 20))
        #expect(decodeError(claim15and53 + [0, 0, 0, 0, 0, 0, 0]) == .lengthMismatch(expected: 30, actual: 37))
        #expect(decodeError(Array(renewX86.prefix(43))) == .lengthMismatch(expected: 44, actual: 43))
        #expect(decodeError(renewX86 + [0]) == .lengthMismatch(expected: 44, actual: 45))
        // The count byte of lease messages is ignored on receipt.
        var counted = renewX86
        counted[15] = 9
        #expect(decodeError(counted) == nil)
        // An empty block message is valid.
        #expect(decodeError(Array(inquire34.prefix(15)) + [0]) == nil)
    }

    @Test func dropsForeignPools() {
        var b = inquire34
        b[11] = 1  // prefix 10.0.0.1
        #expect(decodeError(b) == .foreignPool)
        b = inquire34
        b[12] = 16
        #expect(decodeError(b) == .foreignPool)
        b = inquire34
        b[13] = 32
        #expect(decodeError(b) == .foreignPool)
        #expect(decodeError(inquire34, pool: MeshPool(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24, blockSize: 32)) == .foreignPool)
    }
}

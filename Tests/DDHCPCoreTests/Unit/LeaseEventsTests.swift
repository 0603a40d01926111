import Testing
@testable import DDHCPCore

/// What the lease file and the hotplug events are made from (docs/protocol.md#lease-file,
/// D-51, D-52): lease changes of our blocks with the client's host name (option 12), the
/// version counter the shell watches, and the listing of our LEASED leases.
@Suite struct LeaseEventsTests {
    struct Event: Equatable {
        var change: LeaseChange
        var address: IPv4Address
        var mac: HardwareAddress
        var name: String
    }

    /// Records lease changes; every send succeeds.
    struct EventSink: ActionSink {
        var events: [Event] = []
        mutating func sendMulticast(_ datagram: UnsafeRawBufferPointer) -> Bool { true }
        mutating func sendUnicast(_ datagram: UnsafeRawBufferPointer, to peer: PeerAddress) -> Bool { true }
        mutating func sendDHCP(_ packet: UnsafeRawBufferPointer, to destination: DHCPDestination,
                               clientHardware: HardwareAddress, yourAddress: IPv4Address) -> Bool { true }
        mutating func runHook(_ action: HookAction, address: IPv4Address, clientHardware: HardwareAddress) {}
        mutating func log(_ level: LogLevel, _ line: UnsafeRawBufferPointer) {}
        mutating func leaseChanged(_ change: LeaseChange, address: IPv4Address, clientHardware: HardwareAddress,
                                   hostname: UnsafeRawBufferPointer) {
            events.append(Event(change: change, address: address, mac: clientHardware,
                                name: String(decoding: hostname, as: UTF8.self)))
        }
    }

    let a8 = IPv4Address(10, 0, 0, 8)

    func feed(_ node: Node, _ packet: [UInt8], now: Millis, _ sink: inout EventSink) {
        packet.withUnsafeBytes { node.handleDHCP($0, now: now, sink: &sink) }
    }

    /// A node owning block 2 (10.0.0.8–11), host names recorded unless told otherwise.
    func ownerNode(recordHostnames: Bool = true) -> Node {
        let node = makeNode { $0.recordHostnames = recordHostnames }
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)
        node.inquiryList.removeAll()
        for b in 0..<node.blockCount where node.block(b).state == .claiming { node.makeFree(b) }
        node.forceOwn(2, now: 0)
        return node
    }

    func request(_ name: [UInt8]?, chaddr: HardwareAddress = mac(1), address: IPv4Address = IPv4Address(10, 0, 0, 8)) -> [UInt8] {
        let option: [UInt8] = name.map { [12, UInt8($0.count)] + $0 } ?? []
        return clientPacket(.request, chaddr: chaddr, requested: address, leadingOptions: option)
    }

    func listing(_ node: Node) -> [String] {
        var out: [String] = []
        node.forEachOwnLease { address, chaddr, end, name in
            var t = TextBuffer()
            t.append(address)
            t.append(" ")
            t.append(mac: chaddr)
            t.append(" ")
            t.append(end)
            t.append(" ")
            t.append(bytes: name)
            out.append(text(t.bytes))
        }
        return out
    }

    @Test func aRequestAddsTheLeaseWithItsHostNameAndARenewalKeepsIt() {
        let node = ownerNode()
        var sink = EventSink()
        let v0 = node.ownLeasesVersion
        feed(node, request(bytes("laptop")), now: 1000, &sink)
        #expect(sink.events == [Event(change: .add, address: a8, mac: mac(1), name: "laptop")])
        #expect(node.ownLeasesVersion != v0)
        // Lease time 300 s: the client's end is at 301 s (the 10 s server slack left out).
        #expect(listing(node) == ["10.0.0.8 0A:00:00:00:00:01 301000 laptop"])
        let v1 = node.ownLeasesVersion
        feed(node, request(nil), now: 5000, &sink)
        #expect(sink.events.last == Event(change: .update, address: a8, mac: mac(1), name: "laptop"))
        #expect(node.ownLeasesVersion != v1)
        #expect(listing(node) == ["10.0.0.8 0A:00:00:00:00:01 305000 laptop"])
        // A new name in a renewal replaces it.
        feed(node, request(bytes("laptop-2")), now: 6000, &sink)
        #expect(listing(node) == ["10.0.0.8 0A:00:00:00:00:01 306000 laptop-2"])
    }

    @Test func unsafeNamesAreNotStoredNulIsDroppedLongNamesAreCut() {
        let node = ownerNode()
        var sink = EventSink()
        feed(node, request(bytes("bad name"), chaddr: mac(1), address: IPv4Address(10, 0, 0, 8)), now: 0, &sink)
        feed(node, request(bytes("new\nline"), chaddr: mac(2), address: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        feed(node, request(bytes("phone") + [0, 0], chaddr: mac(3), address: IPv4Address(10, 0, 0, 10)), now: 0, &sink)
        feed(node, request(Array(repeating: UInt8(ascii: "x"), count: 60), chaddr: mac(4), address: IPv4Address(10, 0, 0, 11)), now: 0, &sink)
        #expect(sink.events.map(\.name) == ["", "", "phone", String(repeating: "x", count: Hostnames.capacity)])
        #expect(Hostnames.capacity == 31)
    }

    @Test func withoutRecordingEventsStillComeButWithoutNames() {
        let node = ownerNode(recordHostnames: false)
        var sink = EventSink()
        feed(node, request(bytes("laptop")), now: 0, &sink)
        #expect(sink.events == [Event(change: .add, address: a8, mac: mac(1), name: "")])
        #expect(node.table.hostnames.count == 0)
    }

    @Test func releaseDeclineAndExpiryRemove() {
        let node = ownerNode()
        var sink = EventSink()
        feed(node, request(bytes("a"), chaddr: mac(1), address: IPv4Address(10, 0, 0, 8)), now: 0, &sink)
        feed(node, request(bytes("b"), chaddr: mac(2), address: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        feed(node, request(bytes("c"), chaddr: mac(3), address: IPv4Address(10, 0, 0, 10)), now: 0, &sink)
        sink.events.removeAll()
        feed(node, clientPacket(.release, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 8)), now: 1000, &sink)
        #expect(sink.events == [Event(change: .remove, address: a8, mac: mac(1), name: "a")])
        feed(node, clientPacket(.decline, chaddr: mac(2), requested: IPv4Address(10, 0, 0, 9)), now: 1000, &sink)
        #expect(sink.events.last == Event(change: .remove, address: IPv4Address(10, 0, 0, 9), mac: mac(2), name: "b"))
        #expect(listing(node).count == 1)
        // 10.0.0.10 ends at 300 s + 10 s slack: housekeeping after that removes it (the node
        // runs its timers meanwhile, so block 2 stays ours).
        var now: Millis = 1000
        while now < 309_000 {
            node.tick(now: now, sink: &sink)
            now += 1000
        }
        #expect(listing(node).count == 1)
        let v = node.ownLeasesVersion
        while now < 330_000 {
            node.tick(now: now, sink: &sink)
            now += 1000
        }
        #expect(sink.events.last == Event(change: .remove, address: IPv4Address(10, 0, 0, 10), mac: mac(3), name: "c"))
        #expect(listing(node).isEmpty && node.ownLeasesVersion != v)
        // An offer that is never taken is no lease: no event when it lapses.
        sink.events.removeAll()
        feed(node, clientPacket(.discover, chaddr: mac(9)), now: now, &sink)
        while now < 360_000 {
            node.tick(now: now, sink: &sink)
            now += 1000
        }
        #expect(sink.events.isEmpty && listing(node).isEmpty)
    }

    @Test func renewLeaseFromAForwarderIsAnEventAtTheOwnerKeepingTheName() {
        let node = ownerNode()
        var sink = EventSink()
        feed(node, request(bytes("roamer")), now: 0, &sink)
        let renew = MeshWire.leaseMessage(nodeID: largerID, pool: testPool, command: .renewLease,
                                          payload: LeasePayload(address: a8, littleEndian: true, xid: 7, chaddr: mac(1)))
        renew.withUnsafeBytes { node.handleUnicast($0, from: peerB, now: 2000, sink: &sink) }
        #expect(sink.events.last == Event(change: .update, address: a8, mac: mac(1), name: "roamer"))
        // A free address taken through a forwarder: add, no name known.
        let fresh = MeshWire.leaseMessage(nodeID: largerID, pool: testPool, command: .renewLease,
                                          payload: LeasePayload(address: IPv4Address(10, 0, 0, 9), littleEndian: true, xid: 8, chaddr: mac(5)))
        fresh.withUnsafeBytes { node.handleUnicast($0, from: peerB, now: 2000, sink: &sink) }
        #expect(sink.events.last == Event(change: .add, address: IPv4Address(10, 0, 0, 9), mac: mac(5), name: ""))
    }

    @Test func theForwarderNeitherListsNorReportsAnotherNodesLease() {
        let node = ownerNode()
        node.forceClaimed(5, by: largerID, at: peerB, until: 1_000_000)
        var sink = EventSink()
        let a21 = IPv4Address(10, 0, 0, 21)
        feed(node, request(bytes("visitor"), chaddr: mac(1), address: a21), now: 0, &sink)
        let ack = MeshWire.leaseMessage(nodeID: largerID, pool: testPool, command: .leaseAck,
                                        payload: LeasePayload(address: a21, littleEndian: true, xid: 0x1234_5678, chaddr: mac(1)))
        ack.withUnsafeBytes { node.handleUnicast($0, from: peerB, now: 100, sink: &sink) }
        #expect(node.lease(a21)?.state == .leased)  // its local record
        #expect(sink.events.isEmpty && listing(node).isEmpty)
    }

    @Test func losingAnOwnBlockWithLeasesChangesTheVersion() {
        let node = ownerNode()
        var sink = EventSink()
        feed(node, request(bytes("a")), now: 0, &sink)
        let v = node.ownLeasesVersion
        node.makeFree(2)
        #expect(node.ownLeasesVersion != v && listing(node).isEmpty)
    }
}

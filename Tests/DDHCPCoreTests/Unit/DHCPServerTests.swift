import Testing
@testable import DDHCPCore

/// DHCP flows (docs/protocol.md#dhcp) and the lease messages between nodes
/// (docs/protocol.md#forwarding, #renewlease-owner, #renewlease-forwarder), with the decisions
/// of docs/decisions.md.
@Suite struct DHCPServerTests {
    let serverID = IPv4Address(10, 0, 0, 1)
    let params: [UInt8] = [1, 3, 6, 28, 51, 54, 2]

    /// A node owning block 2 (10.0.0.8–11) since t=0, learning over.
    func ownerNode(_ adjust: (inout Configuration) -> Void = { _ in }) -> Node {
        let node = makeNode(adjust)
        var sink = RecordingSink()
        node.tick(now: 0, sink: &sink)  // ends any learning phase bookkeeping, -L anyway
        node.inquiryList.removeAll()
        for b in 0..<node.blockCount where node.block(b).state == .claiming { node.makeFree(b) }
        node.forceOwn(2, now: 0)
        return node
    }

    func messageType(_ reply: [UInt8]) -> UInt8? {
        replyOptions(reply).first { $0.0 == 53 }?.1.first
    }

    func yiaddr(_ reply: [UInt8]) -> IPv4Address {
        IPv4Address(reply[16], reply[17], reply[18], reply[19])
    }

    // MARK: DISCOVER

    @Test func discoverGetsOfferWithExactLayout() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: 0xABCD, chaddr: mac(1), params: params), now: 1000, &sink)
        #expect(sink.dhcp.count == 1)
        let offer = sink.dhcp[0]
        #expect(offer.to == .broadcast)
        #expect(offer.yiaddr == IPv4Address(10, 0, 0, 8))
        #expect(offer.packet.count == 300)
        #expect(Array(offer.packet[0..<12]) == [2, 1, 6, 0, 0, 0, 0xAB, 0xCD, 0, 0, 0, 0])
        #expect(yiaddr(offer.packet) == IPv4Address(10, 0, 0, 8))
        let options = replyOptions(offer.packet)
        #expect(options.map { $0.0 } == [1, 28, 2, 54, 51, 53])
        #expect(options.last!.1 == [2])
        #expect(node.lease(IPv4Address(10, 0, 0, 8)) == LeaseInfo(state: .offered, xid: 0xABCD, chaddr: mac(1), end: 13_000))
        #expect(node.statistics[.dhcpRecvDiscover] == 1 && node.statistics[.dhcpSendOffer] == 1)
        #expect(node.statistics[.dhcpSendPkg] == 1 && node.statistics[.dhcpSendByte] == 300)
        #expect(sink.hooks.isEmpty)
    }

    @Test func discoverFillsTheOldestBlockFirstLowestAddressFirst() {
        let node = ownerNode()
        node.forceOwn(5, now: -5000)  // older than block 2
        var sink = RecordingSink()
        var offered: [IPv4Address] = []
        for c in 1...6 {
            sink.clear()
            node.dhcp(clientPacket(.discover, chaddr: mac(UInt8(c))), now: 1000, &sink)
            offered.append(sink.dhcp[0].yiaddr)
        }
        #expect(offered == [20, 21, 22, 23, 8, 9].map { IPv4Address(10, 0, 0, $0) })
    }

    @Test func discoverNeverOffersTheServerIdentifier() {
        let node = ownerNode()
        node.makeFree(2)
        node.forceOwn(0, now: 0)  // 10.0.0.0–3; server id 10.0.0.1 (D-27)
        var sink = RecordingSink()
        var offered: [IPv4Address] = []
        for c in 1...3 {
            sink.clear()
            node.dhcp(clientPacket(.discover, chaddr: mac(UInt8(c))), now: 1000, &sink)
            offered.append(sink.dhcp[0].yiaddr)
        }
        #expect(offered == [0, 2, 3].map { IPv4Address(10, 0, 0, $0) })
        sink.clear()
        node.dhcp(clientPacket(.discover, chaddr: mac(9)), now: 1000, &sink)
        // All offered: the oldest offer is taken over (D-100), never the server identifier.
        #expect(sink.dhcp.map { $0.yiaddr } == [IPv4Address(10, 0, 0, 0)])
    }

    @Test func discoverReusesTheClientsLease() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: 1, chaddr: mac(1)), now: 1000, &sink)
        node.dhcp(clientPacket(.discover, xid: 2, chaddr: mac(1)), now: 2000, &sink)
        node.dhcp(clientPacket(.discover, xid: 3, chaddr: mac(2)), now: 3000, &sink)
        #expect(sink.dhcp.map { $0.yiaddr } == [8, 8, 9].map { IPv4Address(10, 0, 0, $0) })
        #expect(node.lease(IPv4Address(10, 0, 0, 8))?.xid == 2)
        // A LEASED client keeps its lease (and its lease time) when it discovers again.
        node.dhcp(clientPacket(.request, xid: 2, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 8), serverID: serverID), now: 4000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 8))?.state == .leased)
        sink.clear()
        node.dhcp(clientPacket(.discover, xid: 4, chaddr: mac(1)), now: 5000, &sink)
        #expect(sink.dhcp.map { $0.yiaddr } == [IPv4Address(10, 0, 0, 8)])
        #expect(node.lease(IPv4Address(10, 0, 0, 8)) == LeaseInfo(state: .leased, xid: 4, chaddr: mac(1), end: 314_000))
    }

    @Test func discoverHonoursAFreeRequestedAddress() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 10)), now: 0, &sink)
        #expect(sink.dhcp.last?.yiaddr == IPv4Address(10, 0, 0, 10))
        // Held by someone else, outside our blocks, or the server id: ordinary choice.
        for r in [IPv4Address(10, 0, 0, 10), IPv4Address(10, 0, 0, 40), IPv4Address(192, 168, 0, 1)] {
            sink.clear()
            node.dhcp(clientPacket(.discover, chaddr: mac(2), requested: r), now: 0, &sink)
            #expect(sink.dhcp.last?.yiaddr == IPv4Address(10, 0, 0, 8))
        }
    }

    @Test func noOfferWithoutFreeLeasesOrDuringLearning() {
        let node = makeNode { $0.learningPhase = true }
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover), now: 0, &sink)
        #expect(sink.dhcp.isEmpty)
        #expect(sink.logs == ["No free lease for DISCOVER from 0A:00:00:00:00:01"])
    }

    @Test func discoverThroughRelayGoesToGiaddrAndOfferClearsNeedlessMark() {
        let node = ownerNode()
        node.table.blocks[2].needlessMarked = true
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, giaddr: IPv4Address(172, 16, 0, 1)), now: 0, &sink)
        #expect(sink.dhcp.first?.to == .relay(IPv4Address(172, 16, 0, 1)))
        #expect(!node.block(2).needless)
    }

    // MARK: REQUEST in the four client states (docs/protocol.md#request)

    @Test func selectingRequestIsAcknowledged() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: 7, chaddr: mac(1), params: params), now: 1000, &sink)
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 7, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 8), serverID: serverID, params: params),
                  now: 2000, &sink)
        #expect(sink.dhcp.count == 1)
        let ack = sink.dhcp[0]
        #expect(ack.to == .broadcast && ack.yiaddr == IPv4Address(10, 0, 0, 8))
        #expect(messageType(ack.packet) == 5)
        #expect(replyOptions(ack.packet).map { $0.0 } == [1, 28, 2, 54, 51, 53])
        #expect(node.lease(IPv4Address(10, 0, 0, 8)) == LeaseInfo(state: .leased, xid: 7, chaddr: mac(1), end: 312_000))
        #expect(sink.hooks == [.hook(.lease, IPv4Address(10, 0, 0, 8), mac(1))])
        #expect(node.statistics[.dhcpRecvRequest] == 1 && node.statistics[.dhcpSendAck] == 1)
    }

    @Test func selectingRequestForAnotherServerIsIgnored() {
        // D-25.
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: 7, chaddr: mac(1)), now: 1000, &sink)
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 7, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 8), serverID: IPv4Address(10, 0, 0, 99)),
                  now: 2000, &sink)
        #expect(sink.effects.isEmpty)
        #expect(node.lease(IPv4Address(10, 0, 0, 8))?.state == .offered)
    }

    @Test func initRebootRequest() {
        let node = ownerNode()
        var sink = RecordingSink()
        // A free address of our block is acknowledged (D-26).
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        #expect(sink.dhcp.count == 1 && messageType(sink.dhcp[0].packet) == 5)
        #expect(node.lease(IPv4Address(10, 0, 0, 9))?.chaddr == mac(1))
        // Someone else's address: NAK, broadcast, with server id (D-20).
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 2, chaddr: mac(2), requested: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        #expect(sink.dhcp.count == 1)
        let nak = sink.dhcp[0]
        #expect(nak.to == .broadcast && nak.packet.count == 300)
        #expect(replyOptions(nak.packet).map { $0.0 } == [54, 53])
        #expect(messageType(nak.packet) == 6)
        #expect(yiaddr(nak.packet) == .zero)
        #expect(node.lease(IPv4Address(10, 0, 0, 9))?.chaddr == mac(1))
        #expect(node.statistics[.dhcpSendNak] == 1)
        #expect(sink.hooks.isEmpty)
    }

    @Test func renewingRequestIsUnicastToCiaddr() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        node.run(until: 100_000, &sink)
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 2, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 9)), now: 100_000, &sink)
        #expect(sink.dhcp.count == 1)
        #expect(sink.dhcp[0].to == .unicast(IPv4Address(10, 0, 0, 9)))
        #expect(Array(sink.dhcp[0].packet[12..<16]) == [10, 0, 0, 9])
        #expect(node.lease(IPv4Address(10, 0, 0, 9))?.end == 410_000)
        #expect(sink.hooks == [.hook(.lease, IPv4Address(10, 0, 0, 9), mac(1))])
    }

    @Test func rebindingRequestIsBroadcast() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 3, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 9), flags: 0x8000), now: 1000, &sink)
        #expect(sink.dhcp.map { $0.to } == [.broadcast])
        #expect(messageType(sink.dhcp[0].packet) == 5)
        // Another client rebinding to that address is refused (NAK always broadcast, D-11).
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 4, chaddr: mac(2), ciaddr: IPv4Address(10, 0, 0, 9)), now: 1000, &sink)
        #expect(sink.dhcp.map { $0.to } == [.broadcast])
        #expect(messageType(sink.dhcp[0].packet) == 6)
    }

    @Test func requestWithoutAddressMatchesTheOffer() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover, xid: 5, chaddr: mac(1)), now: 0, &sink)
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 6, chaddr: mac(1)), now: 0, &sink)  // wrong xid
        #expect(messageType(sink.dhcp[0].packet) == 6)
        sink.clear()
        node.dhcp(clientPacket(.request, xid: 5, chaddr: mac(1)), now: 0, &sink)
        #expect(messageType(sink.dhcp[0].packet) == 5 && sink.dhcp[0].yiaddr == IPv4Address(10, 0, 0, 8))
    }

    @Test func requestOutsideThePoolOrForTheServerIdIsNaked() {
        let node = ownerNode()
        var sink = RecordingSink()
        for a in [IPv4Address(192, 168, 1, 5), IPv4Address(9, 255, 255, 255), IPv4Address(10, 0, 1, 0), serverID] {
            sink.clear()
            node.dhcp(clientPacket(.request, requested: a), now: 0, &sink)
            #expect(sink.dhcp.count == 1 && messageType(sink.dhcp[0].packet) == 6)
        }
    }

    @Test func requestForUnownedBlockNakedOnlyOnceWeOwnABlock() {
        // D-07.
        let idle = makeNode { $0.spareLeases = 0 }
        var sink = RecordingSink()
        idle.dhcp(clientPacket(.request, requested: IPv4Address(10, 0, 0, 40)), now: 0, &sink)
        #expect(sink.effects.isEmpty)
        let owner = ownerNode()
        owner.table.blocks[10].state = .tentative
        for a in [IPv4Address(10, 0, 0, 40), IPv4Address(10, 0, 0, 41)] {  // FREE and TENTATIVE blocks
            sink.clear()
            owner.dhcp(clientPacket(.request, requested: a), now: 0, &sink)
            #expect(sink.dhcp.count == 1 && messageType(sink.dhcp[0].packet) == 6)
        }
        // Still learning: silence even though a block is owned.
        let learner = makeNode { $0.learningPhase = true }
        learner.forceOwn(2, now: 0)
        sink.clear()
        learner.dhcp(clientPacket(.request, requested: IPv4Address(10, 0, 0, 40)), now: 0, &sink)
        #expect(sink.effects.isEmpty)
    }

    // MARK: RELEASE, INFORM, DECLINE

    @Test func releaseFreesTheLeaseAndRunsTheHookWithTheAddress() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        sink.clear()
        node.dhcp(clientPacket(.release, chaddr: mac(2), ciaddr: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        #expect(sink.effects.isEmpty)
        #expect(sink.logs == ["RELEASE of 10.0.0.9 by a client that does not hold it"])
        #expect(node.lease(IPv4Address(10, 0, 0, 9))?.state == .leased)
        sink.clear()
        node.dhcp(clientPacket(.release, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 9)), now: 0, &sink)
        #expect(sink.effects == [.hook(.release, IPv4Address(10, 0, 0, 9), mac(1))])  // D-18
        #expect(node.lease(IPv4Address(10, 0, 0, 9)) == LeaseInfo(state: .free, xid: 0, chaddr: .zero, end: 0))
        #expect(node.statistics[.dhcpRecvRelease] == 2)
    }

    @Test func informIsAnsweredWithoutLeaseTime() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.inform, xid: 3, chaddr: mac(4), ciaddr: IPv4Address(10, 0, 7, 7), params: [51, 3, 1, 54]), now: 0, &sink)
        #expect(sink.dhcp.count == 1)
        let ack = sink.dhcp[0]
        #expect(ack.to == .unicast(IPv4Address(10, 0, 7, 7)))
        #expect(messageType(ack.packet) == 5 && yiaddr(ack.packet) == .zero)
        #expect(replyOptions(ack.packet).map { $0.0 } == [1, 54, 53])
        #expect(sink.hooks == [.hook(.inform, IPv4Address(10, 0, 7, 7), mac(4))])
        #expect(node.statistics[.dhcpSendAck] == 1 && node.statistics[.dhcpRecvInform] == 1)
    }

    @Test func declinedAddressIsNotOfferedForMaxOfLeaseTimeAnd60s() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 8)), now: 0, &sink)
        // A DECLINE from another client changes nothing.
        node.dhcp(clientPacket(.decline, chaddr: mac(2), requested: IPv4Address(10, 0, 0, 8)), now: 1000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 8))?.state == .leased)
        node.dhcp(clientPacket(.decline, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 8)), now: 1000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 8)) == LeaseInfo(state: .declined, xid: 0, chaddr: .zero, end: 301_000))
        sink.clear()
        node.dhcp(clientPacket(.discover, chaddr: mac(1)), now: 2000, &sink)
        #expect(sink.dhcp.first?.yiaddr == IPv4Address(10, 0, 0, 9))
        // Short lease time: still 60 s.
        var store = node.optionStore
        store.set(51, [0, 0, 0, 10])
        node.optionStore = store
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(3), requested: IPv4Address(10, 0, 0, 10)), now: 0, &sink)
        node.dhcp(clientPacket(.decline, chaddr: mac(3), requested: IPv4Address(10, 0, 0, 10)), now: 5000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 10))?.end == 65_000)
        // Declined addresses come back once the time is over.
        node.run(until: 301_000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 8))?.state == .declined)
        node.run(until: 308_000, &sink)
        #expect(node.lease(IPv4Address(10, 0, 0, 8))?.state == .free)
    }

    @Test func otherMessageTypesAreIgnored() {
        let node = ownerNode()
        var sink = RecordingSink()
        for t: DHCPMessageType in [.offer, .ack, .nak] {
            node.dhcp(clientPacket(t), now: 0, &sink)
        }
        var odd = clientPacket(.discover)
        odd[242] = 42
        node.dhcp(odd, now: 0, &sink)
        #expect(sink.effects.isEmpty)
        #expect(sink.logs.last == "DHCP message of unknown type 42")
    }

    @Test func dhcpDisabledNodeDoesNotAnswer() {
        let node = ownerNode { $0.dhcpDisabled = true }
        var sink = RecordingSink()
        node.dhcp(clientPacket(.discover), now: 0, &sink)
        #expect(sink.effects.isEmpty)
    }

    // MARK: Forwarding (docs/protocol.md#forwarding) and the forwarder side
    // (docs/protocol.md#renewlease-forwarder)

    /// Our node (owning block 2) sees block 5 (10.0.0.20–23) claimed by `largerID` at peerB.
    func roamingSetup(_ adjust: (inout Configuration) -> Void = { _ in }) -> Node {
        let node = ownerNode(adjust)
        node.forceClaimed(5, by: largerID, at: peerB, until: 1_000_000)
        return node
    }

    @Test func requestForAClaimedBlockIsForwardedToItsOwner() {
        let node = roamingSetup()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 0xABCD, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 21), params: params), now: 1000, &sink)
        #expect(sink.dhcp.isEmpty)
        #expect(sink.unicasts.count == 1)
        let (bytes, to) = sink.unicasts[0]
        #expect(to == peerB)
        // Little-endian address order by default (D-02), like x86 C nodes.
        #expect(bytes == hex("1000000000000000 0a000000 18 04 10 00 1500000a 0000abcd 00000000 0a0000000001 00000000000000000000"))
        #expect(node.lease(IPv4Address(10, 0, 0, 21)) == LeaseInfo(state: .offered, xid: 0xABCD, chaddr: mac(1), end: 311_000))
        #expect(node.pendingForwardedRequests == 1)
        #expect(node.statistics[.directSendRenewlease] == 1 && node.statistics[.directSendByte] == 44)
        // A retransmission sends another RENEWLEASE but keeps one cache entry.
        node.dhcp(clientPacket(.request, xid: 0xABCD, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 21), params: params), now: 2000, &sink)
        #expect(sink.unicasts.count == 2 && node.pendingForwardedRequests == 1)
    }

    @Test func forwardingUsesTheConfiguredByteOrder() {
        let node = roamingSetup { $0.renewLeaseLittleEndian = false }
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 1, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 21)), now: 0, &sink)
        #expect(Array(sink.unicasts[0].0[16..<20]) == [10, 0, 0, 21])
    }

    func ackFromOwner(_ node: Node, xid: UInt32, chaddr: HardwareAddress, address: IPv4Address, command: MeshCommand = .leaseAck) -> [UInt8] {
        MeshWire.leaseMessage(nodeID: largerID, pool: testPool, command: command,
                              payload: LeasePayload(address: address, littleEndian: true, xid: xid, chaddr: chaddr))
    }

    @Test func leaseAckAnswersTheClientFromTheCache() {
        let node = roamingSetup()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 0xABCD, chaddr: mac(1), ciaddr: IPv4Address(10, 0, 0, 21), params: params), now: 1000, &sink)
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 0xABCD, chaddr: mac(1), address: IPv4Address(10, 0, 0, 21)), from: peerB, now: 1500, &sink)
        #expect(sink.dhcp.count == 1)
        let ack = sink.dhcp[0]
        #expect(ack.to == .unicast(IPv4Address(10, 0, 0, 21)))
        #expect(messageType(ack.packet) == 5 && yiaddr(ack.packet) == IPv4Address(10, 0, 0, 21))
        #expect(Array(ack.packet[4..<8]) == [0, 0, 0xAB, 0xCD])
        #expect(replyOptions(ack.packet).map { $0.0 } == [1, 28, 2, 54, 51, 53])
        #expect(node.lease(IPv4Address(10, 0, 0, 21)) == LeaseInfo(state: .leased, xid: 0xABCD, chaddr: mac(1), end: 311_500))
        #expect(sink.hooks == [.hook(.lease, IPv4Address(10, 0, 0, 21), mac(1))])
        #expect(node.pendingForwardedRequests == 0)
        #expect(node.statistics[.directRecvLeaseack] == 1)
        // A duplicate answer finds no request any more.
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 0xABCD, chaddr: mac(1), address: IPv4Address(10, 0, 0, 21)), from: peerB, now: 1600, &sink)
        #expect(sink.effects.isEmpty)
    }

    @Test func leaseNakIsPassedOnAndFreesTheReservation() {
        let node = roamingSetup()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 9, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 22)), now: 0, &sink)
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 9, chaddr: mac(1), address: IPv4Address(10, 0, 0, 22), command: .leaseNak), now: 100, &sink)
        #expect(sink.dhcp.count == 1 && messageType(sink.dhcp[0].packet) == 6 && sink.dhcp[0].to == .broadcast)
        #expect(node.lease(IPv4Address(10, 0, 0, 22))?.state != .offered)
        #expect(node.statistics[.directRecvLeasenak] == 1 && node.statistics[.dhcpSendNak] == 1)
    }

    @Test func lateLeaseAckWithoutLeaseTableDoesNotCrash() {
        // D-16.
        let node = roamingSetup()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 9, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 22)), now: 0, &sink)
        node.table.releaseTable(5)
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 9, chaddr: mac(1), address: IPv4Address(10, 0, 0, 22)), now: 100, &sink)
        #expect(sink.dhcp.count == 1 && messageType(sink.dhcp[0].packet) == 5)
        #expect(node.lease(IPv4Address(10, 0, 0, 22)) == nil)
    }

    @Test func leaseAckForABlockThatBecameOursIsDropped() {
        let node = roamingSetup()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 9, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 22)), now: 0, &sink)
        node.table.blocks[5].state = .ours
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 9, chaddr: mac(1), address: IPv4Address(10, 0, 0, 22)), now: 100, &sink)
        #expect(sink.effects.isEmpty)
    }

    @Test func forwardedRequestsExpireAfter120s() {
        let node = roamingSetup()
        var sink = RecordingSink()
        node.dhcp(clientPacket(.request, xid: 9, chaddr: mac(1), requested: IPv4Address(10, 0, 0, 22)), now: 0, &sink)
        node.tick(now: 119_999, sink: &sink)
        #expect(node.pendingForwardedRequests == 1)
        node.tick(now: 127_000, sink: &sink)
        #expect(node.pendingForwardedRequests == 0)
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 9, chaddr: mac(1), address: IPv4Address(10, 0, 0, 22)), now: 128_000, &sink)
        #expect(sink.dhcp.isEmpty)
    }

    @Test func requestCacheIsBounded() {
        let node = roamingSetup()
        var sink = RecordingSink()
        for i in 0..<(RequestCache.capacity + 10) {
            node.dhcp(clientPacket(.request, xid: UInt32(i), chaddr: mac(UInt8(i)), requested: IPv4Address(10, 0, 0, 22)), now: Millis(i), &sink)
        }
        #expect(node.pendingForwardedRequests == RequestCache.capacity)
        // The oldest entries were replaced; the newest ones are answerable.
        sink.clear()
        node.unicast(ackFromOwner(node, xid: 0, chaddr: mac(0), address: IPv4Address(10, 0, 0, 22)), now: 100, &sink)
        #expect(sink.dhcp.isEmpty)
        let last = UInt32(RequestCache.capacity + 9)
        node.unicast(ackFromOwner(node, xid: last, chaddr: mac(UInt8(last)), address: IPv4Address(10, 0, 0, 22)), now: 100, &sink)
        #expect(sink.dhcp.count == 1)
    }

    // MARK: Owner side of RENEWLEASE (D-10, D-02)

    func renew(_ address: IPv4Address, littleEndian: Bool = true, xid: UInt32 = 0xABCD, chaddr: HardwareAddress = mac(1)) -> [UInt8] {
        MeshWire.leaseMessage(nodeID: largerID, pool: testPool, command: .renewLease,
                              payload: LeasePayload(address: address, littleEndian: littleEndian, xid: xid, chaddr: chaddr))
    }

    @Test func ownerAcknowledgesAFreeLeaseAndRecordsIt() {
        let node = ownerNode()
        var sink = RecordingSink()
        let request = renew(IPv4Address(10, 0, 0, 9))
        node.unicast(request, from: peerB, now: 1000, &sink)
        #expect(sink.unicasts.count == 1)
        let (reply, to) = sink.unicasts[0]
        #expect(to == peerB)
        #expect(Array(reply[0..<16]) == hex("1000000000000000 0a000000 18 04 11 00"))
        #expect(Array(reply[16...]) == Array(request[16...]))  // byte-exact echo
        #expect(node.lease(IPv4Address(10, 0, 0, 9)) == LeaseInfo(state: .leased, xid: 0xABCD, chaddr: mac(1), end: 311_000))
        #expect(node.statistics[.directRecvRenewlease] == 1 && node.statistics[.directSendLeaseack] == 1)
        // The same client again (from a big-endian forwarder this time): ACK, echoed as sent.
        sink.clear()
        let again = renew(IPv4Address(10, 0, 0, 9), littleEndian: false, xid: 2)
        node.unicast(again, from: peerA, now: 2000, &sink)
        #expect(sink.unicasts[0].0[14] == 0x11 && Array(sink.unicasts[0].0[16...]) == Array(again[16...]))
        #expect(sink.unicasts[0].1 == peerA)
        // A different client: LEASENAK, lease untouched.
        sink.clear()
        node.unicast(renew(IPv4Address(10, 0, 0, 9), chaddr: mac(2)), from: peerB, now: 3000, &sink)
        #expect(sink.unicasts[0].0[14] == 0x12)
        #expect(node.lease(IPv4Address(10, 0, 0, 9))?.chaddr == mac(1))
        #expect(node.statistics[.directSendLeasenak] == 1)
    }

    @Test func ownerRefusesBlocksItDoesNotOwnAndIgnoresForeignAddresses() {
        let node = ownerNode()
        var sink = RecordingSink()
        node.unicast(renew(IPv4Address(10, 0, 0, 30)), from: peerB, now: 0, &sink)
        #expect(sink.unicasts.count == 1 && sink.unicasts[0].0[14] == 0x12)
        sink.clear()
        node.unicast(renew(IPv4Address(192, 168, 0, 5)), from: peerB, now: 0, &sink)
        #expect(sink.effects.isEmpty)
        #expect(sink.logs == ["RENEWLEASE for an address outside the pool"])
    }

    @Test func renewLeaseAddressPrefersThePoolThenTheConfiguredOrder() {
        let le = makeNode { $0.prefix = IPv4Address(10, 0, 0, 0); $0.prefixLength = 8; $0.blockSizeExponent = 7 }
        let be = makeNode { $0.prefix = IPv4Address(10, 0, 0, 0); $0.prefixLength = 8; $0.blockSizeExponent = 7; $0.renewLeaseLittleEndian = false }
        // Bytes 0a 01 02 0a: 10.1.2.10 big-endian, 10.2.1.10 little-endian — both in 10/8.
        let both = LeasePayload(rawAddress: 0x0A01_020A, xid: 0, chaddr: mac(1))
        #expect(le.renewLeaseAddress(both) == IPv4Address(10, 2, 1, 10))
        #expect(be.renewLeaseAddress(both) == IPv4Address(10, 1, 2, 10))
        // Only one order inside the pool: that one, whatever the configuration.
        let node = makeNode { $0.renewLeaseLittleEndian = false }
        #expect(node.renewLeaseAddress(LeasePayload(rawAddress: 0x1500_000A, xid: 0, chaddr: mac(1))) == IPv4Address(10, 0, 0, 21))
        #expect(node.renewLeaseAddress(LeasePayload(rawAddress: 0x0A00_0015, xid: 0, chaddr: mac(1))) == IPv4Address(10, 0, 0, 21))
        #expect(node.renewLeaseAddress(LeasePayload(rawAddress: 0xC0A8_0001, xid: 0, chaddr: mac(1))) == nil)
    }
}

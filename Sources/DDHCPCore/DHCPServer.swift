// The DHCP server (docs/protocol.md#dhcp, #options) and the lease messages between nodes
// (docs/protocol.md#forwarding, #renewlease-owner, #renewlease-forwarder).
//
// Decisions beyond C (docs/decisions.md):
//  D-07 REQUEST for an address in a FREE/TENTATIVE/CLAIMING/BLOCKED block: NAK once we own a
//       block and the learning phase is over; otherwise silence.
//  D-10 owner side of RENEWLEASE: FREE lease or same chaddr → LEASED for that client, LEASEACK;
//       different client → LEASENAK; block not ours → LEASENAK; outside the pool → silence.
//  D-02 RENEWLEASE address: both byte orders accepted (the one inside the pool; if both are,
//       the configured sending order); replies echo the payload bytes unchanged.
//  D-16 a late LEASEACK whose local lease table is gone: ACK the client, keep no record.
//  D-18 the release hook gets the released address (ciaddr).
//  D-23/D-26 DISCOVER reuses the client's lease, then honours option 50, then the oldest block
//       (docs/protocol.md#choosing-an-address); D-100 then takes over the oldest unconfirmed
//       offer (FloodPolicy.swift).
//  D-25 a SELECTING REQUEST (option 54 present) for another server is ignored.
//  D-27 our server identifier address is never offered or acknowledged.
//  D-35 DECLINE: the address is unusable for max(LT, 60 s), its chaddr cleared.
//  D-45 LEASENAK also frees the local reservation made while forwarding; the forwarded
//       REQUESTs wait in RequestCache.swift (a retransmission refreshes its entry).

extension Node {
    static let offerReservationMs: Millis = 12_000
    static let leaseSlackMs: Millis = 10_000
    static let minimumDeclineMs: Millis = 60_000

    /// now + LT + 10 s: how long the server keeps a lease (docs/protocol.md#lease-lifetimes).
    func leaseEnd(_ now: Millis) -> Millis { now + Millis(optionStore.leaseTime) * 1000 + Node.leaseSlackMs }

    // MARK: Client packets

    func receiveDHCP<S: ActionSink>(_ bytes: UnsafeRawBufferPointer, now: Millis, sink: inout S) {
        let packet: DHCPPacket
        do throws(DHCPParseError) {
            packet = try DHCPWire.parse(bytes)
        } catch {
            log(.warning, &sink) {
                switch error {
                case .tooShort: $0.append("DHCP packet too short")
                case .badMagicCookie: $0.append("DHCP packet with wrong magic cookie")
                case .optionOverrun: $0.append("DHCP packet with malformed options")
                case .missingMessageType: $0.append("DHCP packet without message type")
                }
            }
            return
        }
        switch DHCPMessageType(rawValue: packet.messageType) {
        case .discover:
            statistics.add(.dhcpRecvDiscover)
            discover(packet, now: now, sink: &sink)
        case .request:
            statistics.add(.dhcpRecvRequest)
            request(packet, now: now, sink: &sink)
        case .release:
            statistics.add(.dhcpRecvRelease)
            release(packet, now: now, sink: &sink)
        case .inform:
            statistics.add(.dhcpRecvInform)
            inform(packet, sink: &sink)
        case .decline:
            decline(packet, now: now, sink: &sink)
        default:
            log(.warning, &sink) { $0.append("DHCP message of unknown type "); $0.append(Int(packet.messageType)) }
        }
    }

    /// True if `address` may be handed to a client (never our server identifier, D-27).
    func isAssignable(_ address: IPv4Address) -> Bool {
        address != optionStore.serverIdentifier && !configuration.reservations.contains(address)  // D-83
    }

    // MARK: DISCOVER (docs/protocol.md#discover, #choosing-an-address)

    func discover<S: ActionSink>(_ packet: DHCPPacket, now: Millis, sink: inout S) {
        let chaddr = packet.chaddr
        if offerStaticLease(packet, sink: &sink) { return }  // D-84
        guard let (block, i) = chooseLease(for: chaddr, requested: packet.requestedAddress)
            ?? recycleOffer(for: chaddr, now: now, sink: &sink)  // D-100
        else {
            log(.warning, &sink) { $0.append("No free lease for DISCOVER from "); $0.append(mac: chaddr) }
            demand.record(chaddr, now: now)  // counted by the next claim (demand-aware need)
            return
        }
        guard persistGrant(block, i, acknowledging: false, now: now, sink: &sink) else { return }  // D-75
        demand.served(chaddr)
        let s = table.slabIndex(block, i)
        if table.leases[s].state == .leased {
            // The client's own active lease: keep it LEASED, just note the new transaction.
            table.leases[s].end = max(table.leases[s].end, now + Node.offerReservationMs)
        } else {
            table.leases[s].state = .offered
            table.leases[s].end = now + Node.offerReservationMs
        }
        table.leases[s].chaddr = chaddr
        table.leases[s].xid = packet.xid
        let address = table.address(block: block, lease: i)
        let ok = sendReply(.offer, client: packet.clientFields, yourAddress: address, parameters: packet.parameterList, sink: &sink)
        statistics.add(.dhcpSendOffer)
        if ok { table.blocks[block].needlessMarked = false }
    }

    /// The client's existing lease in our blocks (D-23), else its option 50 if FREE in our
    /// block, else the lowest FREE address of our oldest block with one
    /// (docs/protocol.md#choosing-an-address).
    func chooseLease(for chaddr: HardwareAddress, requested: IPv4Address?) -> (block: Int, lease: Int)? {
        for block in 0..<table.count where table.blocks[block].state == .ours && table.hasTable(block) {
            let base = table.slabIndex(block, 0)
            for i in 0..<table.blockSize where table.leases[base + i].isHeld && table.leases[base + i].chaddr == chaddr {
                return (block, i)
            }
        }
        if let r = requested, isAssignable(r), let (block, i) = table.location(of: r),
           table.blocks[block].state == .ours, table.hasTable(block), table.leases[table.slabIndex(block, i)].state == .free {
            return (block, i)
        }
        var best = -1
        var bestLease = -1
        for block in 0..<table.count where table.blocks[block].state == .ours && table.hasTable(block) {
            if best >= 0 && table.blocks[block].firstClaimed >= table.blocks[best].firstClaimed { continue }
            let base = table.slabIndex(block, 0)
            for i in 0..<table.blockSize
            where table.leases[base + i].state == .free && isAssignable(table.address(block: block, lease: i)) {
                best = block
                bestLease = i
                break
            }
        }
        return best >= 0 ? (best, bestLease) : nil
    }

    // MARK: REQUEST (docs/protocol.md#request)

    func request<S: ActionSink>(_ packet: DHCPPacket, now: Millis, sink: inout S) {
        let client = packet.clientFields
        if packet.hasServerIdentifier {
            guard let ours = optionStore.serverIdentifier, packet.serverIdentifier == ours else {
                log(.debug, &sink) { $0.append("REQUEST for another server ignored") }  // D-25
                return
            }
        }
        var requested = packet.requestedAddress
        if requested == nil && packet.ciaddr != .zero { requested = packet.ciaddr }
        guard let address = requested else {
            // No address: only the lease we offered in this very transaction can be acknowledged.
            for block in 0..<table.count where table.blocks[block].state == .ours && table.hasTable(block) {
                let base = table.slabIndex(block, 0)
                for i in 0..<table.blockSize {
                    let l = table.leases[base + i]
                    if l.state == .offered && l.xid == client.xid && l.chaddr == client.chaddr {
                        acknowledge(block: block, lease: i, client: client, parameters: packet.parameterList, now: now,
                                    hostName: packet.hostName, sink: &sink)
                        return
                    }
                }
            }
            sendNak(client, sink: &sink)
            return
        }
        if acknowledgeStaticLease(packet, address: address, sink: &sink) { return }  // D-84
        guard isAssignable(address), let (block, i) = table.location(of: address) else {
            sendNak(client, sink: &sink)
            return
        }
        switch table.blocks[block].state {
        case .ours:
            let l = table.leases[table.slabIndex(block, i)]
            // D-100: a SELECTING REQUEST (our server identifier) also wins over an offer to
            // another client that none confirmed: its own offer was taken over meanwhile.
            if l.state == .free || (l.isHeld && l.chaddr == client.chaddr) || isUnknownHolderLease(block, i)
                || (l.state == .offered && packet.hasServerIdentifier)
            {
                guard persistGrant(block, i, now: now, sink: &sink) else { return }  // D-75
                acknowledge(block: block, lease: i, client: client, parameters: packet.parameterList, now: now,
                            hostName: packet.hostName, sink: &sink)
            } else {
                sendNak(client, sink: &sink)
            }
        case .claimed:
            forward(address, block: block, lease: i, client: client, parameters: packet.parameterList, now: now, sink: &sink)
        case .free, .tentative, .claiming, .blocked:
            if tableKnown(now) && ownsAnyBlock { sendNak(client, sink: &sink) }  // D-07
        }
    }

    var ownsAnyBlock: Bool { table.blocks.nextOurs(from: 0) < table.count }

    /// Marks the lease LEASED, sends the ACK and runs the `lease` hook. Without a lease table
    /// (a forwarded block whose table is gone, D-16) the ACK is sent without a local record.
    func acknowledge<S: ActionSink>(
        block: Int, lease i: Int, client: DHCPClientFields, parameters: UnsafeRawBufferPointer, now: Millis,
        hostName: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), sink: inout S
    ) {
        var renewal: Bool? = nil
        if table.hasTable(block) {
            let s = table.slabIndex(block, i)
            renewal = table.leases[s].state == .leased && table.leases[s].chaddr == client.chaddr
            table.leases[s].state = .leased
            table.leases[s].chaddr = client.chaddr
            table.leases[s].xid = client.xid
            table.leases[s].end = leaseEnd(now)
            table.leases[s].unknownHolder = false
            table.leases[s].restoredHold = false
        }
        let address = table.address(block: block, lease: i)
        let ok = sendReply(.ack, client: client, yourAddress: address, parameters: parameters, sink: &sink)
        statistics.add(.dhcpSendAck)
        if ok { sink.runHook(.lease, address: address, clientHardware: client.chaddr) }
        if let renewal, table.blocks[block].state == .ours {
            leaseGranted(block: block, lease: i, renewal: renewal, hostName: hostName, sink: &sink)
        }
    }

    /// A lease of our block is LEASED (again): its host name is stored (a renewal without
    /// option 12 keeps the one it had) and the change is reported (docs/protocol.md#lease-file).
    func leaseGranted<S: ActionSink>(block: Int, lease i: Int, renewal: Bool, hostName: UnsafeRawBufferPointer, sink: inout S) {
        let s = table.slabIndex(block, i)
        if hostName.count > 0 {
            table.hostnames.set(s, hostName)
        } else if !renewal {
            table.hostnames.clear(s)
        }
        ownLeasesVersion &+= 1
        sink.leaseChanged(renewal ? .update : .add, address: table.address(block: block, lease: i),
                          clientHardware: table.leases[s].chaddr, hostname: table.hostnames[s])
    }

    /// A LEASED lease of our block ends (RELEASE, DECLINE, expiry); call before clearing it.
    func leaseEnded<S: ActionSink>(block: Int, lease i: Int, sink: inout S) {
        let s = table.slabIndex(block, i)
        guard table.blocks[block].state == .ours, table.leases[s].state == .leased else { return }
        ownLeasesVersion &+= 1
        sink.leaseChanged(.remove, address: table.address(block: block, lease: i),
                          clientHardware: table.leases[s].chaddr, hostname: table.hostnames[s])
    }

    /// docs/protocol.md#forwarding: reserve the address locally and ask the owner with RENEWLEASE.
    func forward<S: ActionSink>(
        _ address: IPv4Address, block: Int, lease i: Int, client: DHCPClientFields,
        parameters: UnsafeRawBufferPointer, now: Millis, sink: inout S
    ) {
        if table.attachTable(block) {
            let s = table.slabIndex(block, i)
            table.leases[s].state = .offered
            table.leases[s].xid = client.xid
            table.leases[s].chaddr = client.chaddr
            table.leases[s].end = leaseEnd(now)
        } else {
            log(.warning, &sink) { $0.append("No lease table left to track a forwarded request") }
        }
        requests.insert(client: client, address: address, parameters: parameters, now: now)
        let payload = LeasePayload(address: address, littleEndian: configuration.renewLeaseLittleEndian,
                                   xid: client.xid, chaddr: client.chaddr)
        let length = MeshWire.writeLeaseMessage(meshOut, nodeID: configuration.nodeID, pool: pool, command: .renewLease, payload: payload)
        let owner = table.blocks[block].ownerAddress
        let ok = sink.sendUnicast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]), to: owner)
        statistics.add(.directSendRenewlease)
        statistics.sent(.directSendPkg, .directSendByte, length: length, ok: ok)
        log(.debug, &sink) {
            $0.append("Forwarding REQUEST for ")
            $0.append(address)
            $0.append(" to node 0x")
            $0.append(hex: table.blocks[block].owner.value, digits: 16)
        }
    }

    // MARK: RELEASE, INFORM, DECLINE (docs/protocol.md#release, #inform)

    func release<S: ActionSink>(_ packet: DHCPPacket, now: Millis, sink: inout S) {
        let address = packet.ciaddr
        guard let (block, i) = table.location(of: address), table.blocks[block].state == .ours, table.hasTable(block) else { return }
        let s = table.slabIndex(block, i)
        guard table.leases[s].chaddr == packet.chaddr, table.leases[s].isHeld else {
            log(.error, &sink) { $0.append("RELEASE of "); $0.append(address); $0.append(" by a client that does not hold it") }
            return
        }
        leaseEnded(block: block, lease: i, sink: &sink)
        table.leases[s] = Lease()
        sink.runHook(.release, address: address, clientHardware: packet.chaddr)  // D-18: the real address
    }

    func inform<S: ActionSink>(_ packet: DHCPPacket, sink: inout S) {
        let client = packet.clientFields
        let ok = sendReply(.ack, client: client, yourAddress: .zero, parameters: packet.parameterList, includeLeaseTime: false, sink: &sink)
        statistics.add(.dhcpSendAck)
        if ok { sink.runHook(.inform, address: client.ciaddr, clientHardware: client.chaddr) }
    }

    func decline<S: ActionSink>(_ packet: DHCPPacket, now: Millis, sink: inout S) {
        guard let address = packet.requestedAddress, let (block, i) = table.location(of: address),
              table.blocks[block].state == .ours, table.hasTable(block) else { return }
        let s = table.slabIndex(block, i)
        guard table.leases[s].isHeld, table.leases[s].chaddr == packet.chaddr else { return }
        log(.warning, &sink) { $0.append("Address "); $0.append(address); $0.append(" declined by "); $0.append(mac: packet.chaddr) }
        leaseEnded(block: block, lease: i, sink: &sink)
        table.leases[s] = Lease(state: .declined, xid: 0, chaddr: .zero,
                                end: now + max(Millis(optionStore.leaseTime) * 1000, Node.minimumDeclineMs))
    }

    // MARK: Sending to clients

    @discardableResult
    func sendReply<S: ActionSink>(
        _ type: DHCPMessageType, client: DHCPClientFields, yourAddress: IPv4Address,
        parameters: UnsafeRawBufferPointer, includeLeaseTime: Bool = true, sink: inout S
    ) -> Bool {
        let length = DHCPWire.buildReply(into: dhcpOut, type: type, client: client, yourAddress: yourAddress,
                                         parameterList: parameters, options: optionStore, includeLeaseTime: includeLeaseTime)
        let ok = sink.sendDHCP(UnsafeRawBufferPointer(rebasing: dhcpOut[0..<length]),
                               to: DHCPWire.destination(for: client, isNak: false),
                               clientHardware: client.chaddr, yourAddress: yourAddress)
        statistics.sent(.dhcpSendPkg, .dhcpSendByte, length: length, ok: ok)
        return ok
    }

    func sendNak<S: ActionSink>(_ client: DHCPClientFields, sink: inout S) {
        let length = DHCPWire.buildNak(into: dhcpOut, client: client, options: optionStore)
        let ok = sink.sendDHCP(UnsafeRawBufferPointer(rebasing: dhcpOut[0..<length]),
                               to: DHCPWire.destination(for: client, isNak: true),
                               clientHardware: client.chaddr, yourAddress: .zero)
        statistics.add(.dhcpSendNak)
        statistics.sent(.dhcpSendPkg, .dhcpSendByte, length: length, ok: ok)
    }

    // MARK: Lease messages between nodes (docs/protocol.md#renewlease-owner, #renewlease-forwarder)

    func receiveLeaseMessage<S: ActionSink>(_ datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: Millis, sink: inout S) {
        let message: MeshMessage
        do throws(MeshDecodeError) {
            message = try MeshWire.decode(datagram, pool: pool)
        } catch {
            logDropped(error, &sink)
            return
        }
        switch message.command {
        case .renewLease:
            statistics.add(.directRecvRenewlease)
            renewLease(message.leasePayload, from: peer, now: now, sink: &sink)
        case .leaseAck:
            statistics.add(.directRecvLeaseack)
            leaseAnswered(message.leasePayload, acknowledged: true, now: now, sink: &sink)
        case .leaseNak:
            statistics.add(.directRecvLeasenak)
            leaseAnswered(message.leasePayload, acknowledged: false, now: now, sink: &sink)
        case .updateClaim, .inquire:
            break  // valid block messages on the unicast socket are ignored (protocol.md#receiving)
        }
    }

    /// The address of a RENEWLEASE payload (D-02): the byte order that puts it inside the pool;
    /// if both do, the configured order. nil if neither does.
    func renewLeaseAddress(_ p: LeasePayload) -> IPv4Address? {
        let preferred = p.address(littleEndian: configuration.renewLeaseLittleEndian)
        if table.blockIndex(of: preferred) != nil { return preferred }
        let other = p.address(littleEndian: !configuration.renewLeaseLittleEndian)
        return table.blockIndex(of: other) != nil ? other : nil
    }

    /// Owner side (D-10).
    func renewLease<S: ActionSink>(_ p: LeasePayload, from peer: PeerAddress, now: Millis, sink: inout S) {
        guard let address = renewLeaseAddress(p), let (block, i) = table.location(of: address) else {
            log(.warning, &sink) { $0.append("RENEWLEASE for an address outside the pool") }
            return
        }
        if table.blocks[block].state == .blocked { return }  // being handed over (D-86): no answer
        // D-194: a restarted node that does not know the table yet (the block may wait for the
        // table answer, D-191, or be taken back, D-73) does not answer for a block it does not own.
        if table.blocks[block].state != .ours && !tableKnown(now) { return }
        var acknowledged = false
        if table.blocks[block].state == .ours && table.hasTable(block) && isAssignable(address) {
            let s = table.slabIndex(block, i)
            let l = table.leases[s]
            if l.state == .free || (l.isHeld && l.chaddr == p.chaddr) || isUnknownHolderLease(block, i) {
                guard persistGrant(block, i, now: now, sink: &sink) else { return }  // D-75
                // What the image holds stays known (D-193; persistGrant may just have written it).
                table.leases[s] = Lease(state: .leased, xid: p.xid, chaddr: p.chaddr, end: leaseEnd(now),
                                        imageHold: table.leases[s].imageHold)
                acknowledged = true
                // A RENEWLEASE carries no host name: a renewal keeps the stored one.
                leaseGranted(block: block, lease: i, renewal: l.state == .leased && l.chaddr == p.chaddr,
                             hostName: UnsafeRawBufferPointer(start: nil, count: 0), sink: &sink)
            }
        }
        let command: MeshCommand = acknowledged ? .leaseAck : .leaseNak
        let length = MeshWire.writeLeaseMessage(meshOut, nodeID: configuration.nodeID, pool: pool, command: command, payload: p)
        let ok = sink.sendUnicast(UnsafeRawBufferPointer(rebasing: meshOut[0..<length]), to: peer)
        statistics.add(acknowledged ? .directSendLeaseack : .directSendLeasenak)
        statistics.sent(.directSendPkg, .directSendByte, length: length, ok: ok)
        log(.debug, &sink) {
            $0.append(acknowledged ? "LEASEACK" : "LEASENAK")
            $0.append(" for ")
            $0.append(address)
        }
        if acknowledged && ok { considerRoamHandover(block, from: peer, now: now, sink: &sink) }  // D-86
    }

    /// Forwarder side: the owner answered a RENEWLEASE we sent for a client
    /// (docs/protocol.md#renewlease-forwarder).
    func leaseAnswered<S: ActionSink>(_ p: LeasePayload, acknowledged: Bool, now: Millis, sink: inout S) {
        let pending = requests.take(xid: p.xid, chaddr: p.chaddr) { entry, parameters in
            guard let (block, i) = table.location(of: entry.address) else { return }
            if acknowledged {
                // The block changed hands: C drops; a block handed to us with this very lease
                // (D-86) still answers the client.
                guard table.blocks[block].state != .ours || handedLease(block, i, entry.client.chaddr) else { return }
                acknowledge(block: block, lease: i, client: entry.client, parameters: parameters, now: now, sink: &sink)
            } else {
                if table.hasTable(block) {
                    let s = table.slabIndex(block, i)
                    if table.blocks[block].state != .ours && table.leases[s].state == .offered && table.leases[s].chaddr == entry.client.chaddr {
                        table.leases[s] = Lease()
                    }
                }
                sendNak(entry.client, sink: &sink)
            }
        }
        if !pending { log(.debug, &sink) { $0.append("Lease answer without a pending request") } }
    }
}

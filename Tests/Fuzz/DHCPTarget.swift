// DHCP decoder: parse any bytes; whatever parses is read through every accessor, and replies
// built for it must parse again with the same type, xid and chaddr.

nonisolated(unsafe) let dhcpReplyBuffer: UnsafeMutableRawBufferPointer = {
    let b = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
    b.initializeMemory(as: UInt8.self, repeating: 0)
    return b
}()

nonisolated(unsafe) var dhcpOptions: OptionStore = {
    var o = OptionStore()
    o.addDefaults(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24)
    // A long option so replies come near the buffer limit.
    o.set(43, [UInt8](repeating: 7, count: 255))
    return o
}()

func fuzzDHCP(_ input: UnsafeRawBufferPointer) {
    guard let p = try? DHCPWire.parse(input) else { return }
    var sum = UInt64(p.op) &+ UInt64(p.htype) &+ UInt64(p.hlen) &+ UInt64(p.hops) &+ UInt64(p.xid)
    sum &+= UInt64(p.secs) &+ UInt64(p.flags) &+ UInt64(p.ciaddr.value) &+ UInt64(p.yiaddr.value)
    sum &+= UInt64(p.siaddr.value) &+ UInt64(p.giaddr.value) &+ p.chaddr.high &+ p.chaddr.low
    if let r = p.requestedAddress { sum &+= UInt64(r.value) }
    if let s = p.serverIdentifier { sum &+= UInt64(s.value) }
    _ = p.hasServerIdentifier
    let list = p.parameterList
    check(list.count <= 255, "parameter list length")
    for b in list { sum &+= UInt64(b) }
    let client = p.clientFields
    check(client.xid == p.xid && client.chaddr == p.chaddr, "client fields")
    _ = DHCPWire.destination(for: client, isNak: sum & 1 == 0)
    for type in [DHCPMessageType.offer, .ack] {
        let n = DHCPWire.buildReply(into: dhcpReplyBuffer, type: type, client: client, yourAddress: IPv4Address(10, 0, 0, 5),
                                    parameterList: list, options: dhcpOptions, includeLeaseTime: type == .ack || sum & 2 == 0)
        check(n >= DHCPWire.bootpMinimumLength && n <= dhcpReplyBuffer.count, "reply length")
        guard let reply = try? DHCPWire.parse(UnsafeRawBufferPointer(rebasing: dhcpReplyBuffer[0..<n])) else { fail("reply does not parse") }
        check(reply.messageType == type.rawValue && reply.xid == p.xid && reply.chaddr == p.chaddr, "reply fields")
    }
    let n = DHCPWire.buildNak(into: dhcpReplyBuffer, client: client, options: dhcpOptions)
    check(n >= DHCPWire.bootpMinimumLength && n <= dhcpReplyBuffer.count, "nak length")
    guard let nak = try? DHCPWire.parse(UnsafeRawBufferPointer(rebasing: dhcpReplyBuffer[0..<n])) else { fail("nak does not parse") }
    check(nak.messageType == DHCPMessageType.nak.rawValue, "nak type")
}

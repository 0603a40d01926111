// Mesh decoder: decode any bytes (against the pool the datagram names, or a fixed one); a
// decoded message is read entry by entry and must re-encode to the same bytes.

func fuzzMesh(_ input: UnsafeRawBufferPointer) {
    var pool = MeshPool(prefix: IPv4Address(10, 0, 0, 0), prefixLength: 24, blockSize: 4)
    if input.count >= MeshWire.headerSize && input[0] & 1 == 0 {
        pool = MeshPool(prefix: IPv4Address(Bytes.u32(input, 8)), prefixLength: input[12], blockSize: input[13])
    }
    guard let m = try? MeshWire.decode(input, pool: pool) else { return }
    check(m.nodeID.value == Bytes.u64(input, 0), "node id")
    switch m.command {
    case .updateClaim:
        var claims: [(block: UInt32, timeout: UInt16)] = []
        for i in 0..<m.entryCount { claims.append(m.claimEntry(i)) }
        let again = MeshWire.updateClaim(nodeID: m.nodeID, pool: pool, claims: claims)
        // The entries' last byte is reserved (C sends 0, decoding ignores it).
        for i in 0..<again.count where i < MeshWire.headerSize || (i - MeshWire.headerSize) % MeshWire.claimEntrySize != 6 {
            check(again[i] == input[i], "UPDATECLAIM re-encoding")
        }
    case .inquire:
        var blocks: [UInt32] = []
        for i in 0..<m.entryCount { blocks.append(m.inquireEntry(i)) }
        let again = MeshWire.inquire(nodeID: m.nodeID, pool: pool, blocks: blocks)
        check(again.elementsEqual(input), "INQUIRE re-encoding")
    case .renewLease, .leaseAck, .leaseNak:
        check(m.entryCount == 0, "lease message entries")
        let again = MeshWire.leaseMessage(nodeID: m.nodeID, pool: pool, command: m.command, payload: m.leasePayload)
        check(again.count == input.count, "lease message length")
        for i in 0..<again.count where i != 15 { check(again[i] == input[i], "lease message re-encoding") }
        _ = m.leasePayload.address(littleEndian: true)
    }
}

// Control request parser: one request to a node with blocks, leases and options; then the
// ddhcpdctl request builders on the same bytes as text, their output fed to the node again.

func fuzzControl(_ input: UnsafeRawBufferPointer) {
    var r = FuzzReader(input)
    let selector = r.byte()
    guard let node = try? Node(configuration: fuzzConfiguration(selector & 0x3F, nodeID: 7), randomSeed: 1, now: 0) else { fail("node init") }
    var sink = FuzzSink()
    node.tick(now: 0, sink: &sink)
    // Own the first block, with one lease, so the table, lease and option answers have content.
    if node.table.attachTable(0) {
        node.own(0, now: 0, sink: &sink)
        node.table.leases[node.table.slabIndex(0, 1)] = Lease(state: .leased, xid: 1, chaddr: HardwareAddress(high: 1, low: 0), end: 600_000)
    }
    var reply = TextBuffer(capacity: 4096)
    let request = r.bytes(r.remaining)
    reply.clear()
    node.handleControl(request, now: 1000, reply: &reply, sink: &sink)
    check(reply.count < 1 << 20, "answer size")
    var built: [UInt8]
    switch selector >> 6 {
    case 0: built = (try? ControlRequest.setOption(request)) ?? [3]
    case 1: built = ControlRequest.leaseTime(request)
    case 2: built = ControlRequest.removeOption(request)
    default: built = ControlRequest.logLevel(request)
    }
    built.withUnsafeBytes { b in
        reply.clear()
        node.handleControl(b, now: 2000, reply: &reply, sink: &sink)
    }
    // The node still answers fixed requests afterwards (two of them, chosen by the selector).
    let fixed = [ControlCommand.showBlocks, .showOptions, .statistics, .blocksJSON, .leases, .leasesJSON, .statisticsResetJSON]
    for command in [fixed[Int(selector) % fixed.count], fixed[Int(selector >> 3) % fixed.count]] {
        ControlRequest.simple(command).withUnsafeBytes { b in
            reply.clear()
            node.handleControl(b, now: 3000, reply: &reply, sink: &sink)
            check(reply.count > 0, "fixed request answered")
        }
    }
}

import Testing
@testable import DDHCPCore

/// Long control answers are streamed through one small buffer (docs/decisions.md D-110): with a
/// spill set, every table writer hands its rows out in pieces, the concatenation is byte for byte
/// the answer built without a spill, and the buffer never grows past its initial capacity.
@Suite struct ControlStreamingTests {
    /// Collects what the spill writes (the context points at one of these).
    final class Collected {
        var bytes: [UInt8] = []
        var pieces = 0
    }

    static let write: TextBuffer.SpillWrite = { context, bytes, count in
        let c = Unmanaged<Collected>.fromOpaque(context!).takeUnretainedValue()
        c.bytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
        c.pieces += 1
    }

    /// (answer without a spill, answer through a spill, pieces, growth of the buffer's capacity)
    func answers(_ command: [UInt8], _ node: Node) -> ([UInt8], [UInt8], Int, Int) {
        var sink = RecordingSink()
        var whole = TextBuffer(capacity: 4096)
        command.withUnsafeBytes { node.handleControl($0, now: 1000, reply: &whole, sink: &sink) }
        let collected = Collected()
        var streamed = TextBuffer(capacity: 4096)
        let initial = streamed.bytes.capacity
        streamed.spill = (ControlStreamingTests.write, Unmanaged.passUnretained(collected).toOpaque())
        command.withUnsafeBytes { node.handleControl($0, now: 1000, reply: &streamed, sink: &sink) }
        streamed.spillAll()
        return (whole.bytes, collected.bytes, collected.pieces, streamed.bytes.capacity - initial)
    }

    @Test(arguments: [UInt8(0x01), 0x06, 0x41, 0x46, 0x48, 0x49])
    func bigTablesStreamInPiecesWithoutGrowing(command: UInt8) {
        // gluon's pool: 1024 blocks of 4 addresses; some leases so the lease listings have rows.
        let node = makeNode {
            $0.prefix = IPv4Address(10, 116, 224, 0)
            $0.prefixLength = 20
            $0.blockSizeExponent = 2
            $0.learningPhase = true
        }
        for b in 0..<200 {
            node.forceOwn(b, now: 0)
            for i in 0..<4 {
                node.table.leases[node.table.slabIndex(b, i)] = Lease(state: .leased, xid: UInt32(i), chaddr: mac(UInt8(i)), end: 1_000_000)
            }
        }
        let (whole, streamed, pieces, growth) = answers([command], node)
        #expect(whole.count > 3 * TextBuffer.spillThreshold)
        #expect(streamed == whole)
        #expect(pieces > 2)
        #expect(growth == 0)
    }

    @Test func shortAnswersAndNoSpillAreUnchanged() {
        let node = makeNode { $0.learningPhase = true }
        let (whole, streamed, pieces, _) = answers([2], node)  // option listing: one piece
        #expect(streamed == whole)
        #expect(pieces == 1)
    }
}

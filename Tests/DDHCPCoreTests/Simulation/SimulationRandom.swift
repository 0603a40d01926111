// The one source of randomness of a simulation run: splitmix64. Every loss decision, delay,
// node id, node seed, client MAC order and scenario choice comes from it, so a seed reproduces
// a run bit for bit.
@testable import DDHCPCore

struct SimulationRandom {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0), without modulo bias.
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return x % bound }
        }
    }

    /// Uniform in the closed range.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound) + 1))
    }

    mutating func millis(in range: ClosedRange<Millis>) -> Millis {
        range.lowerBound + Millis(below(UInt64(range.upperBound - range.lowerBound) + 1))
    }

    /// True with probability `permille`/1000.
    mutating func chance(permille: Int) -> Bool {
        permille > 0 && Int(below(1000)) < permille
    }

    /// A 64-bit value that is never zero (node ids of our nodes).
    mutating func nonZero() -> UInt64 {
        while true {
            let x = next()
            if x != 0 { return x }
        }
    }

    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = Int(below(UInt64(i + 1)))
            array.swapAt(i, j)
        }
    }
}

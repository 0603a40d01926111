// Due times of the shell's own timers (the lease-file writer): the event loop runs a due
// handler once per pass and then waits for the next due time. A handler that leaves its due
// time at or before now (an interval broken to 0, a clock step) must not make the wait 0 on
// every pass, which would spin the loop at full CPU and starve DHCP: such a due time counts
// from now instead.

public enum Scheduling {
    /// Past-due handlers run again at most this often.
    public static let pastDueDelayMs: Millis = 1_000

    /// The time to wait for: `due` if it is later than `now`, else `now + pastDueDelayMs`
    /// (called after the pass that ran the handler).
    @inlinable
    public static func nextDue(_ due: Millis, now: Millis) -> Millis {
        due > now ? due : now + pastDueDelayMs
    }
}

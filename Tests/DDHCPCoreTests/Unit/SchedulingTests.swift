// The shell's past-due rule (Sources/DDHCPCore/Scheduling.swift): a due time at or before now
// counts from now, so a handler whose interval broke to 0 runs about once per
// Scheduling.pastDueDelayMs instead of on every pass of the event loop.
import Testing
@testable import DDHCPCore

@Suite struct SchedulingTests {
    @Test func futureDueTimeIsKept() {
        #expect(Scheduling.nextDue(5_000, now: 4_999) == 5_000)
    }

    @Test func pastOrPresentDueTimeCountsFromNow() {
        #expect(Scheduling.nextDue(4_000, now: 4_000) == 4_000 + Scheduling.pastDueDelayMs)
        #expect(Scheduling.nextDue(0, now: 4_000) == 4_000 + Scheduling.pastDueDelayMs)
        #expect(Scheduling.nextDue(.min, now: 4_000) == 4_000 + Scheduling.pastDueDelayMs)
    }

    /// The daemon's loop in miniature: run the handler when due, then wait until the next due
    /// time. A writer whose interval is 0 (its due time is always its last run) runs 10 times
    /// in 10 s of virtual time, not on every pass.
    @Test func brokenIntervalDoesNotSpin() {
        var now: Millis = 1_000
        var lastRun: Millis = 0
        var runs = 0
        var passes = 0
        let interval: Millis = 0
        while now < 11_000 && passes < 100_000 {
            passes += 1
            if lastRun + interval <= now {
                runs += 1
                lastRun = now
            }
            let wait = Scheduling.nextDue(lastRun + interval, now: now) - now
            #expect(wait > 0)
            now += max(wait, 0)
        }
        #expect(runs <= 11, "ran \(runs) times in 10 s")
        #expect(passes <= 11)
    }
}

import Glibc

/// Nanoseconds on CLOCK_MONOTONIC, for deadlines and ages that a wall-clock step must
/// not move. The coarse clock (a few ms of resolution, no syscall cost worth naming)
/// serves the once-a-request checks that only need to know whether 250 ms have passed.
public enum MonotonicClock {
    public static func nanos() -> UInt64 { read(CLOCK_MONOTONIC) }

    public static func coarseNanos() -> UInt64 { read(CLOCK_MONOTONIC_COARSE) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var now = timespec()
        // Cannot fail for these clocks with a valid pointer (clock_gettime(2)).
        _ = clock_gettime(clock, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// The `Retry-After` of a 503 given when STS calls are backed up (the queue is full, a
/// request waited its whole deadline, or STS kept throttling): about the time the calls
/// ahead take to drain at the current limit, at least one second, spread uniformly over
/// [wait, 2 × wait) so that a site's machines refused together do not come back together,
/// and at most `cap` seconds. Pure: the random value is a parameter.
public enum BusyRetryAfter {
    /// - Parameters:
    ///   - backlog: calls queued or in flight ahead of the refused request.
    ///   - allowed: STS calls allowed in flight now (the adaptive limit).
    ///   - callSeconds: how long one STS call takes, recently.
    ///   - unitRandom: a value in [0, 1).
    public static func seconds(
        backlog: Int,
        allowed: Int,
        callSeconds: Double,
        unitRandom: Double,
        cap: Int = 60
    ) -> Int {
        let drain = Double(max(backlog, 0) + 1) / Double(max(allowed, 1)) * max(callSeconds, 0)
        let wait = min(max(drain, 1), Double(cap))
        let fraction = min(max(unitRandom, 0), 1)
        return min(cap, max(1, Int((wait * (1 + fraction)).rounded(.up))))
    }
}

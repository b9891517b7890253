public import Foundation

/// When the roles-table sync runs, and when its copy is too old to serve. Pure: time
/// and randomness are parameters.
public enum RoleSyncSchedule {
    /// `interval` jittered by ±20% (`unitRandom` in [0, 1)), so replicas started together
    /// do not scan the table in step.
    public static func delay(interval: TimeInterval, unitRandom: Double) -> TimeInterval {
        let u = min(max(unitRandom, 0), 1)
        return interval * (0.8 + 0.4 * u)
    }

    /// Why the copy is too old to serve (`--roles-max-staleness`), or nil: no limit set, or
    /// the last successful sync (this run's, else the store's snapshot) is recent enough.
    public static func staleness(lastSuccess: Date?, now: Date, maxStaleness: TimeInterval?) -> String? {
        guard let maxStaleness else { return nil }
        guard let lastSuccess else { return "no successful sync of the roles table yet" }
        let age = now.timeIntervalSince(lastSuccess)
        guard age > maxStaleness else { return nil }
        return "the last successful sync of the roles table was \(Int(age)) s ago, "
            + "over --roles-max-staleness \(Int(maxStaleness)) s"
    }
}

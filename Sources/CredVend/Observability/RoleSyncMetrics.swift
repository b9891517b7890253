public import CredVendCore
public import Foundation
import Synchronization

/// The `--roles-table` sync's figures on /metrics (docs/replicas.md#metrics). Rendered
/// only once a sync is configured (`enable`), so a replica without a table shows none.
public final class RoleSyncMetrics: Sendable {
    public static let outcomes = [
        "applied", "unchanged", "refused", "throttled", "access_denied", "table_missing", "network_error", "error",
    ]
    public let syncs = LabeledCounters(labels: RoleSyncMetrics.outcomes)
    private let enabled = Atomic<Bool>(false)
    private let mappings = Atomic<Int>(0)
    private let skipped = Atomic<Int>(0)
    /// Milliseconds since 1970 of the last successful sync; 0: none yet.
    private let lastSuccessMillis = Atomic<Int64>(0)
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    public func enable() { enabled.store(true, ordering: .relaxed) }

    /// After a sync that read the whole table (applied or unchanged), or at start from the store.
    public func recorded(mappings count: Int, skipped items: Int?, lastSuccess: Date?) {
        mappings.store(count, ordering: .relaxed)
        if let items { skipped.store(items, ordering: .relaxed) }
        if let lastSuccess {
            lastSuccessMillis.store(Int64((lastSuccess.timeIntervalSince1970 * 1000).rounded()), ordering: .relaxed)
        }
    }

    /// Seconds since the last successful sync, +Inf before the first (never synced is
    /// infinitely stale, so an alert on the age fires).
    public var age: Double {
        let ms = lastSuccessMillis.load(ordering: .relaxed)
        guard ms > 0 else { return .infinity }
        return max(0, clock.now().timeIntervalSince1970 - Double(ms) / 1000)
    }

    func render(into out: inout String) {
        guard enabled.load(ordering: .relaxed) else { return }
        let age = self.age
        out += "# HELP credvend_role_sync_age_seconds Seconds since the last complete sync of the roles table.\n"
        out += "# TYPE credvend_role_sync_age_seconds gauge\n"
        out += "credvend_role_sync_age_seconds \(age.isFinite ? String(format: "%.3f", age) : "+Inf")\n"
        out += "# HELP credvend_role_syncs_total Syncs of the roles table by outcome.\n"
        out += "# TYPE credvend_role_syncs_total counter\n"
        for l in syncs.labels { out += "credvend_role_syncs_total{outcome=\"\(l)\"} \(syncs.value(l))\n" }
        out += "# HELP credvend_role_mappings Role mappings in the local store.\n# TYPE credvend_role_mappings gauge\n"
        out += "credvend_role_mappings \(mappings.load(ordering: .relaxed))\n"
        out += "# HELP credvend_role_items_skipped Items of the last complete scan that were invalid and skipped.\n"
        out += "# TYPE credvend_role_items_skipped gauge\n"
        out += "credvend_role_items_skipped \(skipped.load(ordering: .relaxed))\n"
    }
}

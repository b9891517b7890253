public import CredVendCore
public import CredVendStore
import CredVendSync
import CredVendSystem
import Foundation
public import Logging
import Synchronization

/// What one sync of the roles table did.
public enum RoleSyncOutcome: Sendable, Equatable {
    /// The snapshot differed and was stored; `changed` client_ids were added, updated or removed.
    case applied(changed: Int)
    /// The table read the same as the stored snapshot: nothing written.
    case unchanged
    /// The mass-delete guard refused it: nothing written.
    case refused(String)
    /// DynamoDB (or the source credentials, or the store) failed: nothing written.
    case failed(outcome: String, reason: String)

    var label: String {
        switch self {
        case .applied: "applied"
        case .unchanged: "unchanged"
        case .refused: "refused"
        case .failed(let outcome, _): outcome
        }
    }
}

/// Keeps the local role store a copy of the DynamoDB roles table (docs/replicas.md): at
/// start and every jittered interval a complete consistent Scan, applied in one LMDB
/// write transaction only when every page arrived and the digest changed, guarded
/// against mass deletion. A failed sync changes nothing, so vending goes on from the
/// local copy while DynamoDB is unreachable. Changed or removed clients lose their
/// cached credentials.
public final class RoleTableSync: Sendable {
    public let settings: RoleTableConfiguration
    private let store: RoleStore
    private let dynamo: DynamoDBClient
    private let credentials: @Sendable () -> AWSCredentials?
    private let cache: CredentialCache
    private let metrics: RoleSyncMetrics
    private let logger: Logger
    private let clock: any WallClock
    private let unitRandom: @Sendable () -> Double
    private let state = Locked(State())
    /// The last successful sync (this run's, else the stored snapshot's), ms since 1970 (0:
    /// none): the vending path reads it with one atomic load.
    private let lastSuccessMillis = Atomic<Int64>(0)
    /// One sync at a time (the periodic one and any asked for at once).
    private let running = Locked(())
    /// Each client's item `version` in the last complete scan, set only after that scan's
    /// records are committed: a reader that takes the version first and the record second
    /// never pairs a record with a version newer than it (the admin API's ETag).
    private let versions = Locked([String: Int]())

    struct State {
        /// A complete snapshot of the table is in the store (this run's or an earlier one's).
        var loaded = false
        var digest: String?
    }

    /// `credentials`: the source credentials (the chain STS calls use), nil when none.
    public init(
        settings: RoleTableConfiguration,
        store: RoleStore,
        dynamo: DynamoDBClient,
        credentials: @escaping @Sendable () -> AWSCredentials?,
        cache: CredentialCache,
        metrics: RoleSyncMetrics,
        logger: Logger,
        clock: any WallClock = SystemClock(),
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.settings = settings
        self.store = store
        self.dynamo = dynamo
        self.credentials = credentials
        self.cache = cache
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.unitRandom = unitRandom
        metrics.enable()
        loadMark()
    }

    /// Takes the store's snapshot mark: a store that holds a complete snapshot of this
    /// table is ready before DynamoDB answers, and an unchanged table is not rewritten.
    private func loadMark() {
        do {
            guard let mark = try store.tableMark(), mark.table == settings.table else { return }
            state.withLock {
                $0.loaded = true
                $0.digest = mark.digest
            }
            noteSuccess(mark.appliedAt)
            metrics.recorded(mappings: (try? store.count) ?? 0, skipped: nil, lastSuccess: mark.appliedAt)
            logger.info(
                "role store holds a snapshot of the roles table",
                metadata: [
                    "table": "\(mark.table)", "applied_at": "\(ISO8601.string(mark.appliedAt))",
                    "digest": "\(mark.digest.prefix(12))",
                ]
            )
        } catch {
            logger.warning("role store's table snapshot mark cannot be read", metadata: ["error": "\(error)"])
        }
    }

    /// The table itself, for writes (the admin API of this replica): the same DynamoDB
    /// client and source credentials as the sync.
    public var tableStore: RoleTableStore {
        RoleTableStore(
            table: settings.table,
            defaultBucket: settings.defaultBucket,
            dynamo: dynamo,
            credentials: credentials
        )
    }

    /// The periodic loop: a sync now, then one every jittered interval.
    public var service: PeriodicService {
        PeriodicService(name: "credvend-roles-table-sync") { [self] in backgroundStep() }
    }

    /// One step of the loop, on a thread of its own: a sync, then the delay until the next.
    /// Once a snapshot is loaded, at background priority: parsing and writing 100,000 items
    /// takes seconds of CPU, which must not delay the request threads (docs/replicas.md#scale).
    /// Until then nothing is served, and readiness waits for it: normal priority.
    func backgroundStep() -> TimeInterval {
        if state.withLock({ $0.loaded }) { ThreadPriority.setCurrent(nice: ThreadPriority.background) }
        _ = sync()
        return RoleSyncSchedule.delay(interval: settings.syncInterval, unitRandom: unitRandom())
    }

    /// Why /readyz says no: no complete snapshot yet, or (with `--roles-max-staleness`)
    /// the last successful sync is too old. nil when ready.
    public func notReadyReason() -> String? {
        let s = state.withLock { $0 }
        guard s.loaded else {
            return "roles table: no complete snapshot of \(settings.table) loaded yet (this run or an earlier one)"
        }
        return vendingRefusal()
    }

    /// Why vending must answer 503 (`--roles-max-staleness` passed), or nil. Called per
    /// request: no lock, and no clock read without a staleness limit.
    public func vendingRefusal() -> String? {
        guard let limit = settings.maxStaleness else { return nil }
        let ms = lastSuccessMillis.load(ordering: .relaxed)
        let last = ms == 0 ? nil : Date(timeIntervalSince1970: Double(ms) / 1000)
        return RoleSyncSchedule.staleness(lastSuccess: last, now: clock.now(), maxStaleness: limit)
            .map { "roles table: \($0)" }
    }

    /// The `version` of `clientId`'s item as of the last complete scan of this run; nil
    /// before one, or when the table had no valid item for it.
    public func version(of clientId: String) -> Int? { versions.withLock { $0[clientId] } }

    /// Versions of the valid items of `items`; for a skipped item the version its kept
    /// record was read at, if any.
    private func noteVersions(_ items: [[String: DynamoDBAttributeValue]], skipped: [RoleTableItemProblem]) {
        let bad = Set(skipped.compactMap(\.clientId))
        versions.withLock { old in
            var next: [String: Int] = [:]
            next.reserveCapacity(items.count)
            for item in items {
                guard case .string(let id)? = item["client_id"] else { continue }
                if bad.contains(id) {
                    if let kept = old[id] { next[id] = kept }
                } else {
                    next[id] = RoleTableWrite.version(of: item)
                }
            }
            old = next
        }
    }

    private func noteSuccess(_ at: Date) {
        lastSuccessMillis.store(Int64((at.timeIntervalSince1970 * 1000).rounded()), ordering: .relaxed)
    }

    /// One complete sync. Blocking (HTTP and LMDB): call it off the request threads.
    @discardableResult
    public func sync() -> RoleSyncOutcome {
        running.withLock { _ -> RoleSyncOutcome in
            let started = clock.now()
            let outcome = syncNow(started: started)
            metrics.syncs.increment(outcome.label)
            let millis = Int(clock.now().timeIntervalSince(started) * 1000)
            switch outcome {
            case .applied(let changed):
                logger.info(
                    "roles table applied",
                    metadata: ["table": "\(settings.table)", "changed": "\(changed)", "ms": "\(millis)"]
                )
            case .unchanged:
                logger.debug("roles table unchanged", metadata: ["table": "\(settings.table)", "ms": "\(millis)"])
            case .refused(let why):
                logger.error("roles table sync refused", metadata: ["table": "\(settings.table)", "reason": "\(why)"])
            case .failed(let label, let why):
                logger.warning(
                    "roles table sync failed; the local copy stays as it was",
                    metadata: ["table": "\(settings.table)", "outcome": "\(label)", "error": "\(why)"]
                )
            }
            return outcome
        }
    }

    private func syncNow(started: Date) -> RoleSyncOutcome {
        guard let source = credentials() else {
            return .failed(outcome: "error", reason: "no source credentials in the AWS chain to sign the Scan with")
        }
        let items: [[String: DynamoDBAttributeValue]]
        do {
            items = try dynamo.scanAll(table: settings.table, source: source).items
        } catch {
            return .failed(outcome: error.outcome, reason: error.description)
        }
        let digest = RoleTableSnapshot.digest(items: items, defaultBucket: settings.defaultBucket)
        if state.withLock({ $0.loaded && $0.digest == digest }) {
            if versions.withLock({ $0.isEmpty }) && !items.isEmpty {
                // A store from an earlier run: its records are this scan's, bar skipped items.
                let previous = (try? store.list()).map { Dictionary($0.map { ($0.clientId, $0) }) { a, _ in a } } ?? [:]
                let snapshot = RoleTableSnapshot.build(
                    items: items,
                    defaultBucket: settings.defaultBucket,
                    previous: previous
                )
                noteVersions(items, skipped: snapshot.skipped)
            }
            succeeded(at: started, digest: digest, mappings: nil, skipped: nil)
            return .unchanged
        }
        let previous: [String: RoleMapping]
        do {
            previous = Dictionary(try store.list().map { ($0.clientId, $0) }, uniquingKeysWith: { a, _ in a })
        } catch {
            return .failed(outcome: "error", reason: "the role store cannot be read: \(error)")
        }
        let snapshot = RoleTableSnapshot.build(items: items, defaultBucket: settings.defaultBucket, previous: previous)
        for problem in snapshot.skipped {
            logger.warning(
                "roles table item skipped",
                metadata: [
                    "client_id": "\(problem.clientId ?? "")", "attribute": "\(problem.attribute)",
                    "error": "\(problem.message)",
                    "kept_previous": "\(problem.clientId.map { previous[$0] != nil } ?? false)",
                ]
            )
        }
        if let why = RoleTableSnapshot.massDeleteProblem(
            previous: Set(previous.keys),
            records: snapshot.records,
            allowMassDelete: settings.allowMassDelete
        ) {
            return .refused(why)
        }
        let changes: [RoleChange]
        do {
            changes = try store.replaceAll(
                snapshot.records,
                mark: RoleTableMark(table: settings.table, digest: digest, appliedAt: started)
            ).changes
        } catch {
            return .failed(outcome: "error", reason: "the role store could not be written: \(error)")
        }
        // After the commit: a request that reads the new record cannot find the old credentials.
        for change in changes where change.before != nil { cache.invalidate(clientId: change.clientId) }
        noteVersions(items, skipped: snapshot.skipped)
        succeeded(at: started, digest: digest, mappings: snapshot.records.count, skipped: snapshot.skipped.count)
        return .applied(changed: changes.count)
    }

    private func succeeded(at: Date, digest: String, mappings: Int?, skipped: Int?) {
        state.withLock {
            $0.loaded = true
            $0.digest = digest
        }
        noteSuccess(at)
        metrics.recorded(
            mappings: mappings ?? ((try? store.count) ?? 0),
            skipped: skipped,
            lastSuccess: at
        )
    }
}

extension RoleTableSync {
    /// The sync `credvend serve --roles-table` runs: Scans signed with `source` (the chain
    /// STS calls use), sent through `client`.
    public static func make(
        _ settings: RoleTableConfiguration,
        serveRegion: String,
        store: RoleStore,
        client: any HTTPClient,
        source: SourceCredentialsProvider,
        cache: CredentialCache,
        metrics: RoleSyncMetrics,
        logger: Logger
    ) throws(ConfigurationError) -> RoleTableSync {
        let dynamo = try settings.dynamoDBClient(serveRegion: serveRegion, client: client, logger: logger)
        return RoleTableSync(
            settings: settings,
            store: store,
            dynamo: dynamo,
            credentials: { source.refreshIfNeeded() },
            cache: cache,
            metrics: metrics,
            logger: logger
        )
    }
}

public import CredVendCore
import CredVendCrypto
import CredVendSync
import CredVendSystem
import Foundation
import Synchronization

/// What `RoleStore.importAll` changed.
public struct RoleImportSummary: Sendable, Equatable, CustomStringConvertible {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0

    public init(added: Int = 0, updated: Int = 0, unchanged: Int = 0, removed: Int = 0) {
        self.added = added
        self.updated = updated
        self.unchanged = unchanged
        self.removed = removed
    }

    public var description: String {
        "\(added) added, \(updated) updated, \(unchanged) unchanged, \(removed) removed"
    }
}

/// One record an import or admin call added, replaced or removed.
public struct RoleChange: Sendable, Equatable {
    public let clientId: String
    public let before: RoleMapping?
    public let after: RoleMapping?

    public init(clientId: String, before: RoleMapping?, after: RoleMapping?) {
        self.clientId = clientId
        self.before = before
        self.after = after
    }
}

/// A change of the environment a `RoleStore` uses, for the log.
public struct RoleStoreSwitch: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The directory no longer holds the open store: it is no longer used (and is
        /// closed once the calls still in it end). `new` is what the directory holds now.
        case closed
        /// The store now in the directory was opened and is used from now on.
        case opened
        /// The store now in the directory could not be opened (yet); `reason` says why.
        case openFailed
    }

    public let kind: Kind
    public let directory: String
    public let old: LMDBStoreIdentity?
    public let new: LMDBStoreIdentity?
    public let reason: String?

    public var description: String {
        let what: String
        switch kind {
        case .closed: what = "role store closed"
        case .opened: what = "role store opened"
        case .openFailed: what = "role store not opened"
        }
        return "\(what) at \(directory): old \(old.map { "\($0)" } ?? "none"), new \(new.map { "\($0)" } ?? "none")"
            + (reason.map { "; \($0)" } ?? "")
    }
}

/// The role store (docs/reference.md#role-records): an LMDB environment with one named
/// database `roles`, key client_id, value the record's canonical JSON.
///
/// Every call runs in its own (renewed) LMDB transaction, so a change made by
/// another process (`credvend roles` while the server runs) is seen by the
/// next call. Safe to share between threads and tasks. Open a directory at
/// most once per process.
///
/// The directory may be moved away, deleted or replaced while the store is open (a
/// restore from backup). The open environment would go on reading the files it opened,
/// so the store looks at the directory (`stat` of it, of `data.mdb` and of `lock.mdb`)
/// whenever `checkDirectory()` is called and, on the call path, at most once per
/// `checkInterval`, and compares the files with those the environment uses:
/// - other files there, none, or none readable: from then on no call uses the open
///   environment (they fail with an `LMDBError` until a store is open again), and it is
///   closed as soon as the calls still in it end;
/// - a store there that is not the open one: it is opened once two looks in a row,
///   at least `settle` apart, saw it unchanged (a copy still being written is left
///   alone) and its data file holds every page in use; calls then use it.
/// Each switch goes to `onSwitch`, with the identities of the old and the new files.
public final class RoleStore: Sendable {
    public static let databaseName = "roles"
    /// Beside `roles`: what the records are a copy of (`RoleTableMark`).
    public static let metaDatabaseName = "sync"
    public static let defaultMapSize = 1 << 30
    public static let defaultCheckInterval: Duration = .seconds(1)

    public let directory: String
    public let isReadOnly: Bool
    private let mapSize: Int
    private let checkNanos: UInt64
    private let settleNanos: UInt64
    private let onSwitch: (@Sendable (RoleStoreSwitch) -> Void)?

    /// What calls use now. `generation` changes with it.
    private let published: Locked<Published>
    private let generation = Atomic<UInt64>(0)
    /// Each thread's copy of `published`, used while `generation` has not moved on:
    /// the call path takes no lock shared between threads.
    private let views = ThreadLocal<View>()
    private let watch = Locked<Watch>(Watch())
    /// When the directory was last looked at (CLOCK_MONOTONIC_COARSE, ns).
    private let lastLook: Atomic<UInt64>

    /// Opens the store at `directory`.
    /// - `readOnly`: no writes possible; the store must exist.
    /// - `create`: create the directory (0700) and the store when missing (ignored when `readOnly`);
    ///   when false a missing store is `LMDBError.Code.storeMissing` and nothing is created.
    ///   A store that later replaces this one is never created, only opened.
    /// - `checkInterval`: on the call path, look at the directory at most this often.
    /// - `onSwitch`: told of each switch (called on the thread that noticed it).
    public init(
        directory: String,
        mapSize: Int = RoleStore.defaultMapSize,
        readOnly: Bool = false,
        create: Bool = true,
        checkInterval: Duration = RoleStore.defaultCheckInterval,
        onSwitch: (@Sendable (RoleStoreSwitch) -> Void)? = nil
    ) throws(LMDBError) {
        self.directory = directory
        isReadOnly = readOnly
        self.mapSize = mapSize
        let (seconds, attoseconds) = checkInterval.components
        checkNanos = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        settleNanos = min(checkNanos, 200_000_000)
        self.onSwitch = onSwitch
        let env = try LMDBEnvironment(
            path: directory,
            options: .init(mapSize: mapSize, readOnly: readOnly, create: create && !readOnly)
        )
        let store = OpenStore(env: env, roles: try env.openDatabase(named: Self.databaseName, create: !readOnly))
        published = Locked(Published(generation: 0, state: .open(store)))
        lastLook = Atomic(MonotonicClock.coarseNanos())
    }

    public static func open(
        directory: String,
        mapSize: Int = RoleStore.defaultMapSize,
        readOnly: Bool = false,
        create: Bool = true
    ) throws(LMDBError) -> RoleStore {
        try RoleStore(directory: directory, mapSize: mapSize, readOnly: readOnly, create: create)
    }

    deinit {
        views.value = nil
        if case .open(let store) = published.withLock({ $0.state }) { store.env.close() }
    }

    /// The mapping for `clientId`, or nil (also nil for a string that cannot be a client_id).
    /// Throws `LMDBError`, or `RoleValidationError` when the stored record is damaged.
    ///
    /// Decoded records are kept per client_id with the SHA-256 of their bytes and the id
    /// of the snapshot they were read in. While no write has been committed since that
    /// snapshot (by any process: `lastTransactionId` still equals it), the record is
    /// returned as is; otherwise it is read in a new snapshot and decoded again only if
    /// its bytes changed. So a change by any process is seen by the next call.
    public func get(_ clientId: String) throws -> RoleMapping? {
        guard RoleRules.clientId(clientId) == nil else { return nil }
        var attempts = 0
        while true {
            let store = try current()
            do {
                return try store.get(clientId)
            } catch let error as LMDBError where error.code == .closed && attempts < 3 {
                attempts += 1  // closed under this call: the next store (or its absence) is published
            }
        }
    }

    /// Where the store stands: which store is in use and the last write committed to it (by
    /// any process). A mapping `get` returned after a stamp was taken is what `get` would
    /// return again while `stamp()` still equals it. nil while no store is usable.
    public struct Stamp: Sendable, Equatable {
        let generation: UInt64
        let transaction: Int
    }

    public func stamp() -> Stamp? {
        lookIfDue()
        let view = view()
        guard case .open(let store) = view.state, let transaction = store.env.lastTransactionId else { return nil }
        return Stamp(generation: view.generation, transaction: transaction)
    }

    /// Validates and stores `mapping`, replacing any record with its client_id.
    /// Returns the record it replaced.
    @discardableResult
    public func put(_ mapping: RoleMapping) throws -> RoleMapping? {
        try mapping.validate()
        let key = Array(mapping.clientId.utf8)
        let previous = try using { store in
            let roles = try store.writableRoles(readOnly: isReadOnly, directory: directory)
            return try store.env.write { txn in
                let old = try txn.get(key, in: roles)
                try txn.put(key, Array(RoleMappingJSON.encode(mapping).utf8), in: roles)
                return old
            }
        }
        return try previous.map { try Self.decodeStored($0, key: mapping.clientId) }
    }

    /// Removes the mapping for `clientId`; false when there was none.
    @discardableResult
    public func delete(_ clientId: String) throws -> Bool {
        guard RoleRules.clientId(clientId) == nil else { return false }
        return try using { store in
            let roles = try store.writableRoles(readOnly: isReadOnly, directory: directory)
            return try store.env.write { txn in try txn.delete(Array(clientId.utf8), in: roles) }
        }
    }

    /// Removes the mapping for `clientId` and returns it, read in the same transaction
    /// (nil when there was none). For callers that record what they removed (audit).
    public func remove(_ clientId: String) throws -> RoleMapping? {
        guard RoleRules.clientId(clientId) == nil else { return nil }
        let key = Array(clientId.utf8)
        let previous = try using { store in
            let roles = try store.writableRoles(readOnly: isReadOnly, directory: directory)
            return try store.env.write { txn -> [UInt8]? in
                guard let old = try txn.get(key, in: roles) else { return nil }
                _ = try txn.delete(key, in: roles)
                return old
            }
        }
        return try previous.map { try Self.decodeStored($0, key: clientId) }
    }

    /// Every mapping, ordered by client_id (bytewise).
    public func list() throws -> [RoleMapping] {
        let raw = try using { store -> [([UInt8], [UInt8])] in
            guard let roles = try store.roles() else { return [] }
            var raw: [([UInt8], [UInt8])] = []
            try store.env.read { txn in try txn.forEach(in: roles) { key, value in raw.append((key, value)) } }
            return raw
        }
        return try raw.map { try Self.decodeStored($0.1, key: String(decoding: $0.0, as: UTF8.self)) }
    }

    public var count: Int {
        get throws {
            try using { store in
                guard let roles = try store.roles() else { return 0 }
                return try store.env.read { txn in try txn.count(in: roles) }
            }
        }
    }

    /// Stores all `records` in one transaction: either every one is written or,
    /// on any error (a rule broken, a duplicate client_id, a full store), none.
    /// With `replace`, records whose client_id is not in `records` are removed.
    @discardableResult
    public func importAll(_ records: [RoleMapping], replace: Bool) throws -> RoleImportSummary {
        try importAllReportingChanges(records, replace: replace).summary
    }

    /// `importAll`, also returning each record it added, updated or removed with the
    /// stored record it replaced (read in the same transaction), ordered by client_id.
    /// A damaged stored record shows as `before: nil`.
    public func importAllReportingChanges(
        _ records: [RoleMapping],
        replace: Bool
    ) throws
        -> (summary: RoleImportSummary, changes: [RoleChange])
    {
        try writeAll(records, replace: replace, mark: nil)
    }

    /// Makes `records` the whole store and records `mark` (the table snapshot they are),
    /// in one write transaction: a reader sees the old set or the new one, never a mix,
    /// and a failure leaves both as they were. Returns what changed, as `importAll…` does.
    @discardableResult
    public func replaceAll(
        _ records: [RoleMapping],
        mark: RoleTableMark
    ) throws
        -> (summary: RoleImportSummary, changes: [RoleChange])
    {
        try writeAll(records, replace: true, mark: mark)
    }

    /// The table snapshot the store holds (written by `replaceAll`), or nil.
    public func tableMark() throws -> RoleTableMark? {
        try using { store -> RoleTableMark? in
            guard let meta = try store.meta() else { return nil }
            let raw = try store.env.read { txn in try txn.get(Self.tableMarkKey, in: meta) }
            return raw.flatMap { RoleTableMark(encoded: $0) }
        }
    }

    static let tableMarkKey = Array("roles_table".utf8)

    private func writeAll(
        _ records: [RoleMapping],
        replace: Bool,
        mark: RoleTableMark?
    ) throws
        -> (summary: RoleImportSummary, changes: [RoleChange])
    {
        var seen: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            try record.validate(recordIndex: index)
            if let first = seen.updateValue(index, forKey: record.clientId) {
                throw RoleValidationError(
                    recordIndex: index,
                    clientId: record.clientId,
                    field: "client_id",
                    message: "duplicate client_id (also record \(first))"
                )
            }
        }
        let encoded = records.map { (Array($0.clientId.utf8), Array(RoleMappingJSON.encode($0).utf8)) }
        let (summary, raw) = try using { store in
            let roles = try store.writableRoles(readOnly: isReadOnly, directory: directory)
            // Opened before the write transaction: LMDB opens a database in one of its own.
            let meta = try mark.map { _ in try store.writableMeta(readOnly: isReadOnly, directory: directory) }
            var raw: [(key: [UInt8], before: [UInt8]?, after: [UInt8]?)] = []
            let summary = try store.env.write { txn in
                if let mark, let meta { try txn.put(Self.tableMarkKey, mark.encoded, in: meta) }
                var summary = RoleImportSummary()
                for (key, value) in encoded {
                    switch try txn.get(key, in: roles) {
                    case nil:
                        summary.added += 1
                        raw.append((key, nil, value))
                    case value?: summary.unchanged += 1
                    case let old?:
                        summary.updated += 1
                        raw.append((key, old, value))
                    }
                }
                if replace {
                    let kept = Set(encoded.map(\.0))
                    try txn.forEach(in: roles) { key, value in
                        if !kept.contains(key) { raw.append((key, value, nil)) }
                    }
                    summary.removed = raw.count - summary.added - summary.updated
                }
                // Only what changed is written: a table sync that changes a few of 100,000
                // records dirties a few pages, not the whole tree (docs/replicas.md#scale).
                for change in raw {
                    if let after = change.after {
                        try txn.put(change.key, after, in: roles)
                    } else {
                        _ = try txn.delete(change.key, in: roles)
                    }
                }
                return summary
            }
            return (summary, raw)
        }
        let changes = raw.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { change in
            let clientId = String(decoding: change.key, as: UTF8.self)
            return RoleChange(
                clientId: clientId,
                before: change.before.flatMap { try? Self.decodeStored($0, key: clientId) },
                after: change.after.flatMap { try? Self.decodeStored($0, key: clientId) }
            )
        }
        return (summary, changes)
    }

    /// All records as the JSON array `importAll` (and `credvend roles import`) reads back.
    public func exportAll() throws -> String {
        RoleMappingJSON.encodeList(try list())
    }

    // MARK: - the directory under the open store

    /// Why calls fail now (the store in the directory is missing, unreadable, replaced
    /// and not yet open, or could not be opened), or nil while a store is open.
    public var unavailableReason: String? {
        lookIfDue()
        if case .unavailable(_, let reason) = view().state { return reason }
        return nil
    }

    /// The files of the environment in use, or nil while none is.
    public var openIdentity: LMDBStoreIdentity? {
        lookIfDue()
        if case .open(let store) = view().state { return store.env.identity }
        return nil
    }

    /// Looks at the directory now (a few `stat` calls; opening a new store when one has
    /// settled there). For a periodic task, so that the call path rarely has to.
    public func checkDirectory() {
        watch.withLock { watch in look(&watch, now: MonotonicClock.coarseNanos()) }
    }

    private func lookIfDue() {
        let now = MonotonicClock.coarseNanos()
        let last = lastLook.load(ordering: .relaxed)
        guard now > last, now - last >= checkNanos else { return }
        // One thread looks; the others go on with what is published.
        _ = watch.withLockIfAvailable { watch in look(&watch, now: now) }
    }

    private func look(_ watch: inout Watch, now: UInt64) {
        lastLook.store(now, ordering: .relaxed)
        watch.retired.removeAll { $0.env.isClosed }
        let seen = LMDBDirectoryObservation.look(at: directory)
        let seenIdentity = try? seen.get().identity
        if case .open(let open) = published.withLock({ $0.state }) {
            if seenIdentity == open.env.identity {
                watch.candidate = nil
                return
            }
            // The directory no longer holds the open store: stop using it now, close it
            // once the calls still in it end.
            publish(unavailable(seen))
            open.env.close()
            watch.retired.append(open)
            watch.previous = open.env.identity
            watch.failure = nil
            report(.closed, old: open.env.identity, new: seenIdentity, reason: unavailable(seen).reason)
        }
        guard case .success(let observation) = seen else {
            watch.candidate = nil
            watch.failure = nil
            publish(unavailable(seen))
            return
        }
        guard let candidate = watch.candidate, now >= candidate.at + settleNanos,
            observation.isSettled(since: candidate.observation)
        else {
            if watch.candidate?.observation != observation {
                watch.candidate = Candidate(observation: observation, at: now)
            }
            if watch.failure == nil { publish(unavailable(seen)) }
            return
        }
        // Its files must not be open here still (LMDB files are opened once per process).
        if watch.retired.contains(where: { $0.env.identity.sharesAFile(with: observation.identity) }) { return }
        do throws(LMDBError) {
            let env = try LMDBEnvironment(
                path: directory,
                options: .init(mapSize: mapSize, readOnly: isReadOnly, create: false)
            )
            do throws(LMDBError) {
                guard env.identity == observation.identity else {
                    throw LMDBError(
                        code: .busy,
                        status: EAGAIN,
                        operation: "open role store at \(directory)",
                        detail: "its files changed while it was being opened"
                    )
                }
                try env.checkDataFileLength()
                let store = OpenStore(env: env, roles: try env.openDatabase(named: Self.databaseName, create: false))
                publish(.open(store))
            } catch {
                env.close()
                throw error
            }
            watch.candidate = nil
            watch.failure = nil
            report(.opened, old: watch.previous, new: env.identity, reason: nil)
            watch.previous = env.identity
        } catch {
            watch.candidate = nil  // settle again before the next attempt
            let reason = "the store at \(directory) cannot be opened: \(error)"
            publish(.unavailable(error, reason))
            if watch.failure != reason { report(.openFailed, old: watch.previous, new: seenIdentity, reason: reason) }
            watch.failure = reason
        }
    }

    /// The state for a directory that does not hold an open store.
    private func unavailable(_ seen: Result<LMDBDirectoryObservation, LMDBError>) -> State {
        switch seen {
        case .success(let observation):
            return .unavailable(
                LMDBError(
                    code: .closed,
                    status: EAGAIN,
                    operation: "read role store at \(directory)",
                    detail: "the directory holds a new store (\(observation.identity)), not open yet"
                ),
                "replaced at \(directory); the new store is opened once it is complete"
            )
        case .failure(let error) where error.code == .storeMissing || error.code == .notADirectory:
            return .unavailable(
                LMDBError(
                    code: .storeMissing,
                    status: ENOENT,
                    operation: "read role store at \(directory)",
                    detail: "the directory was removed or moved away while open (\(error.detail))"
                ),
                "missing at \(directory) (removed or moved away); waiting for a store there"
            )
        case .failure(let error):
            return .unavailable(error, "cannot be read at \(directory): \(error.reason)")
        }
    }

    /// Makes `state` the one calls use (a no-op when it says what is published already).
    private func publish(_ state: State) {
        published.withLock { published in
            if case .unavailable(_, let now) = published.state, case .unavailable(_, let new) = state, now == new {
                return
            }
            published.state = state
            published.generation &+= 1
            generation.store(published.generation, ordering: .releasing)
        }
    }

    private func report(
        _ kind: RoleStoreSwitch.Kind,
        old: LMDBStoreIdentity?,
        new: LMDBStoreIdentity?,
        reason: String?
    ) {
        onSwitch?(RoleStoreSwitch(kind: kind, directory: directory, old: old, new: new, reason: reason))
    }

    /// The store calls use now, or the error they fail with.
    private func current() throws(LMDBError) -> OpenStore {
        lookIfDue()
        switch view().state {
        case .open(let store): return store
        case .unavailable(let error, _): throw error
        }
    }

    private func view() -> View {
        let now = generation.load(ordering: .acquiring)
        if let mine = views.value, mine.generation == now { return mine }
        let view = published.withLock { View(generation: $0.generation, state: $0.state) }
        views.value = view
        return view
    }

    /// Runs `body` on the store in use; again on the next one when the store was closed
    /// under it (its directory was replaced meanwhile).
    private func using<R>(_ body: (OpenStore) throws -> R) throws -> R {
        var attempts = 0
        while true {
            let store = try current()
            do {
                return try body(store)
            } catch let error as LMDBError where error.code == .closed && attempts < 3 {
                attempts += 1
            }
        }
    }

    fileprivate static func decodeStored(_ bytes: [UInt8], key: String) throws -> RoleMapping {
        do {
            let record = try RoleMappingJSON.decode(bytes: bytes)
            guard record.clientId == key else {
                throw RoleValidationError(
                    clientId: key,
                    field: "client_id",
                    message: "stored record carries client_id \(RoleMappingJSON.quoted(record.clientId))"
                )
            }
            return record
        } catch var error as RoleValidationError {
            error.clientId = key
            error.message = "stored record is damaged: " + error.message
            throw error
        }
    }

    private struct Published: Sendable {
        var generation: UInt64
        var state: State
    }

    fileprivate enum State: Sendable {
        case open(OpenStore)
        /// The error calls throw, and the words for readiness.
        case unavailable(LMDBError, String)

        var reason: String? {
            if case .unavailable(_, let reason) = self { return reason }
            return nil
        }
    }

    private final class View: Sendable {
        let generation: UInt64
        let state: State

        init(generation: UInt64, state: State) {
            self.generation = generation
            self.state = state
        }
    }

    private struct Candidate: Sendable {
        let observation: LMDBDirectoryObservation
        let at: UInt64
    }

    private struct Watch: Sendable {
        /// A store seen in the directory and not open yet, and when it was first seen so.
        var candidate: Candidate?
        /// Stores no longer used whose environment may still be open.
        var retired: [OpenStore] = []
        /// The files of the store used last, for the log.
        var previous: LMDBStoreIdentity?
        /// The last reason a store could not be opened (reported once).
        var failure: String?
    }
}

/// One open environment and what belongs to it: the `roles` handle and the decoded
/// records (snapshot ids are per environment, so the records go with it).
private final class OpenStore: Sendable {
    let env: LMDBEnvironment
    /// The `roles` handle, opened with the environment. When it was missing then, it is
    /// looked for again (under the lock) until it appears.
    private let openedRoles: LMDBDatabase?
    private let lateRoles = Locked<LMDBDatabase?>(nil)
    private let metaHandle = Locked<LMDBDatabase?>(nil)
    private let decoded = DecodedRecords()

    init(env: LMDBEnvironment, roles: LMDBDatabase?) {
        self.env = env
        openedRoles = roles
    }

    func get(_ clientId: String) throws -> RoleMapping? {
        guard let roles = try roles() else { return nil }
        let known = decoded.get(clientId)
        if let known, let last = env.lastTransactionId, known.snapshot == last { return known.mapping }
        let (found, snapshot) = try env.lookup(Array(clientId.utf8), in: roles, unlessDigestIs: known?.digest.bytes)
        switch found {
        case .missing:
            if known != nil { decoded.remove(clientId) }
            return nil
        case .unchanged:
            guard let known else { return nil }
            decoded.set(
                clientId,
                DecodedRecords.Record(digest: known.digest, mapping: known.mapping, snapshot: snapshot)
            )
            return known.mapping
        case .value(let bytes):
            let mapping = try RoleStore.decodeStored(bytes, key: clientId)
            decoded.set(
                clientId,
                DecodedRecords.Record(
                    digest: SHA256Digest(digest: SHA256.hash(bytes)),
                    mapping: mapping,
                    snapshot: snapshot
                )
            )
            return mapping
        }
    }

    func roles(create: Bool = false) throws(LMDBError) -> LMDBDatabase? {
        if let openedRoles { return openedRoles }
        return try lateRoles.withLock { (late: inout LMDBDatabase?) throws(LMDBError) -> LMDBDatabase? in
            if late == nil { late = try env.openDatabase(named: RoleStore.databaseName, create: create) }
            return late
        }
    }

    /// The `sync` database (the table snapshot mark), nil until a table sync created it.
    func meta(create: Bool = false) throws(LMDBError) -> LMDBDatabase? {
        try metaHandle.withLock { (handle: inout LMDBDatabase?) throws(LMDBError) -> LMDBDatabase? in
            if handle == nil { handle = try env.openDatabase(named: RoleStore.metaDatabaseName, create: create) }
            return handle
        }
    }

    func writableMeta(readOnly: Bool, directory: String) throws(LMDBError) -> LMDBDatabase {
        guard !readOnly, let meta = try meta(create: true) else {
            throw LMDBError(
                code: .readOnly,
                status: EACCES,
                operation: "write to role store at \(directory)",
                detail: "store opened read-only"
            )
        }
        return meta
    }

    func writableRoles(readOnly: Bool, directory: String) throws(LMDBError) -> LMDBDatabase {
        guard !readOnly, let roles = try roles(create: true) else {
            throw LMDBError(
                code: .readOnly,
                status: EACCES,
                operation: "write to role store at \(directory)",
                detail: "store opened read-only"
            )
        }
        return roles
    }
}

/// Decoded role records with the digest of the stored bytes they were decoded from, for `get`.
/// Sharded so that lookups of different clients do not share a lock; bounded
/// (a full shard forgets an arbitrary record, which costs one decode later).
final class DecodedRecords: Sendable {
    /// A class: one reference count per lookup rather than one per string inside.
    final class Record: Sendable {
        /// SHA-256 of the stored bytes the mapping was decoded from (not the bytes, and
        /// inline: no allocation of its own).
        let digest: SHA256Digest
        let mapping: RoleMapping
        /// The id of the read snapshot in which these bytes were the stored value.
        let snapshot: Int

        init(digest: SHA256Digest, mapping: RoleMapping, snapshot: Int) {
            self.digest = digest
            self.mapping = mapping
            self.snapshot = snapshot
        }
    }

    private final class Shard: Sendable {
        let records = Locked<[String: Record]>([:])
    }

    private let shards: [Shard]
    private let perShard: Int

    init(capacity: Int = 65_536, shardCount: Int = 64) {
        shards = (0..<shardCount).map { _ in Shard() }
        perShard = max(1, capacity / shardCount)
    }

    private func shard(_ clientId: String) -> Shard {
        var h: UInt32 = 2_166_136_261
        for b in clientId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return shards[Int(h % UInt32(shards.count))]
    }

    func get(_ clientId: String) -> Record? { shard(clientId).records.withLock { $0[clientId] } }

    func set(_ clientId: String, _ record: Record) {
        shard(clientId).records.withLock { records in
            if records.count >= perShard, records[clientId] == nil { records.remove(at: records.startIndex) }
            records[clientId] = record
        }
    }

    func remove(_ clientId: String) { _ = shard(clientId).records.withLock { $0.removeValue(forKey: clientId) } }
}

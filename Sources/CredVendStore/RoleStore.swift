import Foundation
import Synchronization
public import CredVendCore
import CredVendCrypto

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

/// The role store (docs/reference.md#role-records): an LMDB environment with one named
/// database `roles`, key client_id, value the record's canonical JSON.
///
/// Every call runs in its own (renewed) LMDB transaction, so a change made by
/// another process (`credvend roles` while the server runs) is seen by the
/// next call. Safe to share between threads and tasks. Open a directory at
/// most once per process.
public final class RoleStore: Sendable {
    public static let databaseName = "roles"
    public static let defaultMapSize = 1 << 30

    public let directory: String
    public let isReadOnly: Bool
    private let env: LMDBEnvironment
    /// The `roles` handle, opened once. Only a read-only store can find it
    /// missing at open; it then looks again (under the lock) until it appears.
    private let openedRoles: LMDBDatabase?
    private let lateRoles = Mutex<LMDBDatabase?>(nil)
    private let decoded = DecodedRecords()

    /// Opens the store at `directory`.
    /// - `readOnly`: no writes possible; the store must exist.
    /// - `create`: create the directory (0700) and the store when missing (ignored when `readOnly`);
    ///   when false a missing store is `LMDBError.Code.storeMissing` and nothing is created.
    public init(directory: String, mapSize: Int = RoleStore.defaultMapSize, readOnly: Bool = false,
                create: Bool = true) throws(LMDBError) {
        self.directory = directory
        isReadOnly = readOnly
        env = try LMDBEnvironment(
            path: directory, options: .init(mapSize: mapSize, readOnly: readOnly, create: create && !readOnly))
        openedRoles = try env.openDatabase(named: Self.databaseName, create: !readOnly)
    }

    public static func open(directory: String, mapSize: Int = RoleStore.defaultMapSize, readOnly: Bool = false,
                            create: Bool = true) throws(LMDBError) -> RoleStore {
        try RoleStore(directory: directory, mapSize: mapSize, readOnly: readOnly, create: create)
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
        guard RoleRules.clientId(clientId) == nil, let roles = try roles() else { return nil }
        let known = decoded.get(clientId)
        if let known, let last = env.lastTransactionId, known.snapshot == last { return known.mapping }
        let (found, snapshot) = try env.lookup(Array(clientId.utf8), in: roles, unlessDigestIs: known?.digest.bytes)
        switch found {
        case .missing:
            if known != nil { decoded.remove(clientId) }
            return nil
        case .unchanged:
            guard let known else { return nil }
            decoded.set(clientId, DecodedRecords.Record(digest: known.digest, mapping: known.mapping, snapshot: snapshot))
            return known.mapping
        case .value(let bytes):
            let mapping = try Self.decodeStored(bytes, key: clientId)
            decoded.set(clientId, DecodedRecords.Record(digest: SHA256Digest(digest: SHA256.hash(bytes)),
                                                        mapping: mapping, snapshot: snapshot))
            return mapping
        }
    }

    /// Validates and stores `mapping`, replacing any record with its client_id.
    /// Returns the record it replaced.
    @discardableResult
    public func put(_ mapping: RoleMapping) throws -> RoleMapping? {
        try mapping.validate()
        let roles = try writableRoles()
        let key = Array(mapping.clientId.utf8)
        let previous = try env.write { txn in
            let old = try txn.get(key, in: roles)
            try txn.put(key, Array(RoleMappingJSON.encode(mapping).utf8), in: roles)
            return old
        }
        return try previous.map { try Self.decodeStored($0, key: mapping.clientId) }
    }

    /// Removes the mapping for `clientId`; false when there was none.
    @discardableResult
    public func delete(_ clientId: String) throws -> Bool {
        guard RoleRules.clientId(clientId) == nil else { return false }
        let roles = try writableRoles()
        return try env.write { txn in try txn.delete(Array(clientId.utf8), in: roles) }
    }

    /// Removes the mapping for `clientId` and returns it, read in the same transaction
    /// (nil when there was none). For callers that record what they removed (audit).
    public func remove(_ clientId: String) throws -> RoleMapping? {
        guard RoleRules.clientId(clientId) == nil else { return nil }
        let roles = try writableRoles()
        let key = Array(clientId.utf8)
        let previous = try env.write { txn -> [UInt8]? in
            guard let old = try txn.get(key, in: roles) else { return nil }
            _ = try txn.delete(key, in: roles)
            return old
        }
        return try previous.map { try Self.decodeStored($0, key: clientId) }
    }

    /// Every mapping, ordered by client_id (bytewise).
    public func list() throws -> [RoleMapping] {
        guard let roles = try roles() else { return [] }
        var raw: [([UInt8], [UInt8])] = []
        try env.read { txn in try txn.forEach(in: roles) { key, value in raw.append((key, value)) } }
        return try raw.map { try Self.decodeStored($0.1, key: String(decoding: $0.0, as: UTF8.self)) }
    }

    public var count: Int {
        get throws {
            guard let roles = try roles() else { return 0 }
            return try env.read { txn in try txn.count(in: roles) }
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
    public func importAllReportingChanges(_ records: [RoleMapping], replace: Bool) throws
        -> (summary: RoleImportSummary, changes: [RoleChange]) {
        var seen: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            try record.validate(recordIndex: index)
            if let first = seen.updateValue(index, forKey: record.clientId) {
                throw RoleValidationError(recordIndex: index, clientId: record.clientId, field: "client_id",
                                          message: "duplicate client_id (also record \(first))")
            }
        }
        let roles = try writableRoles()
        let encoded = records.map { (Array($0.clientId.utf8), Array(RoleMappingJSON.encode($0).utf8)) }
        var raw: [(key: [UInt8], before: [UInt8]?, after: [UInt8]?)] = []
        let summary = try env.write { txn in
            var summary = RoleImportSummary()
            for (key, value) in encoded {
                switch try txn.get(key, in: roles) {
                case nil: summary.added += 1; raw.append((key, nil, value))
                case value?: summary.unchanged += 1
                case let old?: summary.updated += 1; raw.append((key, old, value))
                }
            }
            if replace {
                let kept = Set(encoded.map(\.0))
                try txn.forEach(in: roles) { key, value in
                    if !kept.contains(key) { raw.append((key, value, nil)) }
                }
                summary.removed = raw.count - summary.added - summary.updated
                try txn.removeAll(in: roles)
                for (key, value) in encoded { try txn.put(key, value, in: roles) }
            } else {
                for change in raw { try txn.put(change.key, change.after!, in: roles) }
            }
            return summary
        }
        let changes = raw.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { change in
            let clientId = String(decoding: change.key, as: UTF8.self)
            return RoleChange(clientId: clientId,
                              before: change.before.flatMap { try? Self.decodeStored($0, key: clientId) },
                              after: change.after.flatMap { try? Self.decodeStored($0, key: clientId) })
        }
        return (summary, changes)
    }

    /// All records as the JSON array `importAll` (and `credvend roles import`) reads back.
    public func exportAll() throws -> String {
        RoleMappingJSON.encodeList(try list())
    }

    // MARK: -

    private func roles() throws(LMDBError) -> LMDBDatabase? {
        if let openedRoles { return openedRoles }
        return try lateRoles.withLock { (late: inout LMDBDatabase?) throws(LMDBError) -> LMDBDatabase? in
            if late == nil { late = try env.openDatabase(named: Self.databaseName, create: false) }
            return late
        }
    }

    private func writableRoles() throws(LMDBError) -> LMDBDatabase {
        guard !isReadOnly, let openedRoles else {
            throw LMDBError(code: .readOnly, status: EACCES, operation: "write to role store at \(directory)",
                            detail: "store opened read-only")
        }
        return openedRoles
    }

    private static func decodeStored(_ bytes: [UInt8], key: String) throws -> RoleMapping {
        do {
            let record = try RoleMappingJSON.decode(Data(bytes))
            guard record.clientId == key else {
                throw RoleValidationError(clientId: key, field: "client_id",
                                          message: "stored record carries client_id \(RoleMappingJSON.quoted(record.clientId))")
            }
            return record
        } catch var error as RoleValidationError {
            error.clientId = key
            error.message = "stored record is damaged: " + error.message
            throw error
        }
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
        let records = Mutex<[String: Record]>([:])
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

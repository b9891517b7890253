public import CredVendCore
import CredVendHTTP
public import CredVendStore
import CredVendSync
public import Logging

/// The role store as the DynamoDB roles table itself (`credvend roles --table`,
/// docs/replicas.md#writing-the-table), with the output and exit codes of the other
/// clients, and one more: a write that loses an optimistic-concurrency race throws
/// `RoleTableConflict` (exit 3).
///
/// A write is conditional on what this client read: `put` after `get` of the same
/// client_id (the read-modify-write of `roles put`) expects the item as `get` saw it;
/// without an earlier `get`, `put` and `delete` read the item themselves first.
public struct TableRoleStoreClient: RoleStoreClient {
    private let store: RoleTableStore
    /// The item each `get` saw, by client_id (`.some(nil)`: it saw none).
    private let seen = Locked([String: [String: DynamoDBAttributeValue]?]())

    public init(store: RoleTableStore) { self.store = store }

    public var location: String { "DynamoDB table \(store.table)" }

    public func get(_ clientId: String) async throws -> RoleMapping? {
        let item = try store.item(clientId)
        seen.withLock { $0[clientId] = .some(item) }
        return try item.map { item throws(RoleTableItemProblem) in try store.record(item) }
    }

    public func put(_ mapping: RoleMapping) async throws {
        if let read = seen.withLock({ $0[mapping.clientId] }) {
            try store.put(mapping, over: read)
        } else {
            try store.put(mapping)
        }
    }

    public func delete(_ clientId: String) async throws -> Bool {
        let version = seen.withLock { $0[clientId] }.map { $0.map(RoleTableWrite.version(of:)) }
        switch version {
        case .some(nil): return false  // `get` saw no item
        case .some(let v?): return try store.delete(clientId, version: v) != nil
        case nil: return try store.delete(clientId) != nil
        }
    }

    /// Every item as a record, ordered by client_id. An item a replica would skip fails
    /// the whole list, naming it: an export must not lose a mapping without a word.
    public func list() async throws -> [RoleMapping] {
        var records: [RoleMapping] = []
        for item in try store.items() { records.append(try store.record(item)) }
        return records.sorted { $0.clientId.utf8.lexicographicallyPrecedes($1.clientId.utf8) }
    }

    public func importAll(_ records: [RoleMapping], replace: Bool) async throws -> RoleImportSummary {
        for (index, record) in records.enumerated() { try record.validate(recordIndex: index) }
        let plan = try store.importAll(records, replace: replace)
        return RoleImportSummary(
            added: plan.added,
            updated: plan.updated,
            unchanged: plan.unchanged,
            removed: plan.removed
        )
    }
}

extension TableRoleStoreClient {
    /// The client `credvend roles --table` uses: requests signed with the source
    /// credentials of the chain `serve` uses (environment, container endpoint, shared
    /// file), sent with libcurl. `settings` is checked as `serve --roles-table` checks it.
    public static func make(
        _ settings: RoleTableConfiguration,
        defaultRegion: String,
        logger: Logger
    ) throws(ConfigurationError) -> TableRoleStoreClient {
        try settings.validate(serveRegion: defaultRegion, allowInsecureHTTP: false)
        let http = CurlHTTPClient(maxIdleHandles: 1)
        let source = SourceCredentialsProvider(client: http, logger: logger)
        let dynamo = try settings.dynamoDBClient(serveRegion: defaultRegion, client: http, logger: logger)
        return TableRoleStoreClient(
            store: RoleTableStore(
                table: settings.table,
                defaultBucket: settings.defaultBucket,
                dynamo: dynamo,
                credentials: { source.refreshIfNeeded() }
            )
        )
    }
}

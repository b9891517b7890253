public import CredVendCore
import Foundation

/// Reads and conditionally writes the roles table itself (not a replica's copy): what
/// `credvend roles --table` and the admin API of a `--roles-table` replica do
/// (docs/replicas.md#writing-the-table). Every write carries the optimistic-concurrency
/// condition of `RoleTableExpectation`; a lost race throws `RoleTableConflict` and
/// writes nothing. Blocking: run it off the HTTP threads.
public final class RoleTableStore: Sendable {
    public let table: String
    /// How items without `bucket` read as records (`--roles-default-bucket`).
    public let defaultBucket: String?
    private let dynamo: DynamoDBClient
    private let credentials: @Sendable () -> AWSCredentials?
    /// The `ClientRequestToken` of each transaction (default: a random UUID).
    private let requestToken: @Sendable () -> String

    public init(
        table: String,
        defaultBucket: String?,
        dynamo: DynamoDBClient,
        credentials: @escaping @Sendable () -> AWSCredentials?,
        requestToken: (@Sendable () -> String)? = nil
    ) {
        self.table = table
        self.defaultBucket = defaultBucket
        self.dynamo = dynamo
        self.credentials = credentials
        self.requestToken = requestToken ?? { UUID().uuidString }
    }

    private func source() throws(DynamoDBError) -> AWSCredentials {
        guard let source = credentials() else {
            throw DynamoDBError(
                code: DynamoDBError.Code.signingFailed,
                message: "no source credentials in the AWS chain to sign DynamoDB requests with",
                httpStatus: nil
            )
        }
        return source
    }

    /// `clientId`'s item, read consistently; nil when there is none.
    public func item(_ clientId: String) throws(DynamoDBError) -> [String: DynamoDBAttributeValue]? {
        try dynamo.getItem(table: table, key: RoleTableWrite.key(clientId), source: try source())
    }

    /// Every item, from one consistent Scan.
    public func items() throws(DynamoDBError) -> [[String: DynamoDBAttributeValue]] {
        try dynamo.scanAll(table: table, source: try source()).items
    }

    /// An item as the record a replica would serve; a bad item throws the problem,
    /// naming its client_id and attribute.
    public func record(_ item: [String: DynamoDBAttributeValue]) throws(RoleTableItemProblem) -> RoleMapping {
        try RoleTableItem.mapping(item, defaultBucket: defaultBucket).get()
    }

    /// Writes `mapping` if its item is as `expected` (nil: as it is now). Reads the item
    /// first (for the attributes credvend does not know, which are kept); when that read
    /// already shows another version, the race is lost without a write. Returns the item
    /// replaced (nil: created) and the version written.
    @discardableResult
    public func put(
        _ mapping: RoleMapping,
        expecting expected: RoleTableExpectation? = nil
    ) throws -> (replaced: [String: DynamoDBAttributeValue]?, version: Int) {
        let current = try item(mapping.clientId)
        if let expected, expected != RoleTableExpectation(item: current) {
            throw RoleTableConflict.lost(mapping.clientId, expected: expected, table: table)
        }
        return try put(mapping, over: current)
    }

    /// Writes `mapping` if its item is still `read` (nil: still absent): a
    /// read-modify-write by a caller that read the item itself.
    @discardableResult
    public func put(
        _ mapping: RoleMapping,
        over read: [String: DynamoDBAttributeValue]?
    ) throws -> (replaced: [String: DynamoDBAttributeValue]?, version: Int) {
        let expectation = RoleTableExpectation(item: read)
        try conditional(RoleTableWrite.put(mapping, over: read), clientId: mapping.clientId, expected: expectation)
        return (read, expectation.next)
    }

    /// Deletes `clientId`'s item if it is at `version` (nil: at the version it has now,
    /// read first). Returns the item deleted; nil when there was none.
    public func delete(_ clientId: String, version: Int? = nil) throws -> [String: DynamoDBAttributeValue]? {
        guard let current = try item(clientId) else {
            if let version { throw RoleTableConflict.lost(clientId, expected: .version(version), table: table) }
            return nil
        }
        let expectation = RoleTableExpectation.version(version ?? RoleTableWrite.version(of: current))
        if expectation != RoleTableExpectation(item: current) {
            throw RoleTableConflict.lost(clientId, expected: expectation, table: table)
        }
        try conditional(
            RoleTableWrite.delete(clientId, version: RoleTableWrite.version(of: current)),
            clientId: clientId,
            expected: expectation
        )
        return current
    }

    private func conditional(
        _ write: DynamoDBWrite,
        clientId: String,
        expected: RoleTableExpectation
    ) throws {
        do {
            try dynamo.write(write, table: table, source: try source())
        } catch let error where error.isConditionFailure {
            throw RoleTableConflict.lost(clientId, expected: expected, table: table)
        }
    }

    /// Imports `records` (validated, distinct client_ids) against one consistent Scan,
    /// in transactions of at most 100 writes (`RoleTableImportPlan`). One transaction is
    /// all or nothing; the import as a whole is not when it needs more than one: a
    /// transaction that fails leaves the ones before it written (and says so). Running
    /// the import again re-reads the table and writes only what still differs.
    public func importAll(_ records: [RoleMapping], replace: Bool) throws -> RoleTableImportPlan {
        let plan = try plan(records, replace: replace)
        try apply(plan)
        return plan
    }

    /// The writes importing `records` comes to, against one consistent Scan now.
    public func plan(_ records: [RoleMapping], replace: Bool) throws(DynamoDBError) -> RoleTableImportPlan {
        RoleTableImportPlan.make(records: records, items: try items(), replace: replace, defaultBucket: defaultBucket)
    }

    /// Sends `plan`'s writes, transaction after transaction, stopping at the first that fails.
    public func apply(_ plan: RoleTableImportPlan) throws {
        let chunks = DynamoDBItemRequests.chunks(plan.writes, table: table)
        var written = 0
        for (index, chunk) in chunks.enumerated() {
            do {
                try dynamo.transactWrite(
                    chunk,
                    table: table,
                    clientRequestToken: requestToken(),
                    source: try source()
                )
            } catch {
                let done =
                    index == 0
                    ? "nothing was written"
                    : "transactions 1-\(index) (\(written) of \(plan.writes.count) writes) were written and stay"
                let what = "transaction \(index + 1) of \(chunks.count) failed"
                let rerun = "; run the import again: it re-reads the table and writes only what still differs"
                if error.isConditionFailure {
                    throw RoleTableConflict(
                        "\(what): an item changed since the table was read (another writer); \(done)" + rerun
                    )
                }
                throw DynamoDBError(
                    code: error.code,
                    message: "\(what) (\(error.message)); \(done)" + (index == 0 ? "" : rerun),
                    httpStatus: error.httpStatus,
                    cancellationReasons: error.cancellationReasons
                )
            }
            written += chunk.count
        }
    }
}

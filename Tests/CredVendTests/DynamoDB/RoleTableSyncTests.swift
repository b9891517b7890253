import CredVendStore
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// A sync against an in-process table that checks every signature: pagination, the
/// digest skip, the mass-delete guard, failures that change nothing, cached credentials
/// dropped, readiness and staleness.
final class SyncFixture {
    let clock = FixedClock()
    let table: FakeDynamoDB
    let directory = TempDir()
    let store: RoleStore
    let cache: CredentialCache
    let metrics: RoleSyncMetrics
    let logs = LogCapture()
    let sync: RoleTableSync

    init(
        pageSize: Int = 2,
        defaultBucket: String? = nil,
        maxStaleness: TimeInterval? = nil,
        allowMassDelete: Bool = false,
        source: AWSCredentials? = FakeSTS.sourceCredentials,
        directory reuse: TempDir? = nil
    ) throws {
        table = FakeDynamoDB(pageSize: pageSize, clock: clock)
        metrics = RoleSyncMetrics(clock: clock)
        let dir = reuse ?? directory
        store = try RoleStore(directory: dir.sub("db"))
        cache = CredentialCache(refreshBuffer: 900, clock: clock)
        var settings = RoleTableConfiguration(table: "client_roles")
        settings.defaultBucket = defaultBucket
        settings.maxStaleness = maxStaleness
        settings.allowMassDelete = allowMassDelete
        let logger = logs.logger()
        let dynamo = try DynamoDBClient(
            endpoint: table.endpoint,
            region: "us-east-1",
            client: table,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)),
            clock: clock,
            unitRandom: { 0.5 },
            logger: logger
        )
        sync = RoleTableSync(
            settings: settings,
            store: store,
            dynamo: dynamo,
            credentials: { source },
            cache: cache,
            metrics: metrics,
            logger: logger,
            clock: clock,
            unitRandom: { 0.5 }
        )
    }

    func seed(_ ids: [String]) { for id in ids { table.put(FakeDynamoDB.seedItem(id)) } }

    /// Puts credentials for `clientId`'s current mapping in the cache.
    func cacheCredentials(_ clientId: String) throws {
        let mapping = try #require(try store.get(clientId))
        let creds = AWSCredentials(
            accessKeyId: "ASIA\(clientId)",
            secretAccessKey: "s",
            sessionToken: "t",
            expiration: clock.now() + 3600
        )
        cache.load(mapping: mapping, now: clock.now(), fetch: { .success(creds) }, completion: { _ in })
    }
}

@Suite struct RoleTableSyncTests {
    @Test func aCompleteSyncReadsEveryPageConsistently() throws {
        let f = try SyncFixture(pageSize: 2)
        f.seed(["c01", "c02", "c03", "c04", "c05"])
        #expect(f.sync.sync() == .applied(changed: 5))
        #expect(try f.store.list().map(\.clientId) == ["c01", "c02", "c03", "c04", "c05"])
        let calls = f.table.calls
        #expect(calls.count == 3, "5 items in pages of 2")
        #expect(calls.allSatisfy { $0.body?["ConsistentRead"] == .bool(true) && $0.target == "DynamoDB_20120810.Scan" })
        #expect(calls[0].body?["ExclusiveStartKey"] == nil)
        #expect(calls[1].body?["ExclusiveStartKey"] == ["client_id": ["S": "c02"]])
        #expect(calls[2].body?["ExclusiveStartKey"] == ["client_id": ["S": "c04"]])
        #expect(calls.allSatisfy { $0.errorCode == nil }, "every signature checked and good")
        #expect(try f.store.tableMark()?.table == "client_roles")
        #expect(f.metrics.syncs.value("applied") == 1)
    }

    @Test func anUnchangedTableIsNotWrittenAgain() throws {
        let f = try SyncFixture()
        f.seed(["c01", "c02"])
        #expect(f.sync.sync() == .applied(changed: 2))
        // A record the sync did not write: a second apply (replace-all) would remove it.
        try f.store.put(RoleMapping(clientId: "local1", roleArn: "arn:aws:iam::123456789012:role/x"))
        #expect(f.sync.sync() == .unchanged)
        #expect(try f.store.get("local1") != nil, "nothing was written")
        #expect(f.metrics.syncs.value("unchanged") == 1)
        f.table.put(FakeDynamoDB.seedItem("c03"))
        #expect(f.sync.sync() == .applied(changed: 2), "c03 added, local1 removed")
        #expect(try f.store.get("local1") == nil)
    }

    @Test func aFailedPageChangesNothing() throws {
        let f = try SyncFixture(pageSize: 2)
        f.seed(["c01", "c02", "c03"])
        f.sync.sync()
        let before = try f.store.list()
        f.table.delete("c03")
        f.table.put(FakeDynamoDB.seedItem("c04"))
        // The first page arrives, the second fails for good (three attempts).
        f.table.script(.normal, .network, .network, .network)
        guard case .failed(let label, let reason) = f.sync.sync() else {
            Issue.record("not a failure")
            return
        }
        #expect(label == "network_error")
        #expect(reason.contains("Could not connect"))
        #expect(try f.store.list() == before, "a partial scan is never applied")
        #expect(f.metrics.syncs.value("network_error") == 1)
    }

    @Test(arguments: [
        ("ThrottlingException", "throttled", 3), ("ProvisionedThroughputExceededException", "throttled", 3),
        ("AccessDeniedException", "access_denied", 1), ("ResourceNotFoundException", "table_missing", 1),
    ])
    func aRefusingTableChangesNothing(_ code: String, _ outcome: String, _ attempts: Int) throws {
        let f = try SyncFixture()
        f.seed(["c01", "c02"])
        f.sync.sync()
        f.table.setTableExists(true)  // emptied: were it applied, every mapping would go
        f.table.script(
            .error(status: 400, code: code),
            .error(status: 400, code: code),
            .error(status: 400, code: code)
        )
        guard case .failed(let label, let reason) = f.sync.sync() else {
            Issue.record("not a failure")
            return
        }
        #expect(label == outcome)
        #expect(reason.contains(code))
        #expect(f.table.calls.count == 1 + attempts, "throttling is retried, a refusal is not")
        #expect(try f.store.list().map(\.clientId) == ["c01", "c02"])
        #expect(f.metrics.syncs.value(outcome) == 1)
    }

    @Test func aWrongSourceKeyIsAccessDeniedAndChangesNothing() throws {
        var wrong = FakeSTS.sourceCredentials
        wrong.secretAccessKey = "not-the-secret-the-table-knows-000000000"
        let f = try SyncFixture(source: wrong)
        f.seed(["c01"])
        guard case .failed(let label, _) = f.sync.sync() else {
            Issue.record("not a failure")
            return
        }
        #expect(label == "access_denied")
        #expect(f.table.calls.map(\.errorCode) == ["SignatureDoesNotMatch"])
        #expect(try f.store.count == 0)
        #expect(f.sync.notReadyReason() != nil)
        try f.logs.assertNoSecrets([wrong.secretAccessKey])
    }

    @Test func anEmptiedTableIsRefusedByTheMassDeleteGuard() throws {
        let f = try SyncFixture()
        f.seed(["c01", "c02", "c03"])
        f.sync.sync()
        f.table.setTableExists(true)
        guard case .refused(let why) = f.sync.sync() else {
            Issue.record("not refused")
            return
        }
        #expect(why.contains("remove 3 of 3"))
        #expect(try f.store.count == 3)
        #expect(f.metrics.syncs.value("refused") == 1)
        f.table.put(FakeDynamoDB.seedItem("c01"))
        f.table.put(FakeDynamoDB.seedItem("c02"))
        #expect(f.sync.sync() == .applied(changed: 1), "removing one of three passes")
    }

    @Test func massDeleteCanBeAllowed() throws {
        let f = try SyncFixture(allowMassDelete: true)
        f.seed(["c01", "c02", "c03"])
        f.sync.sync()
        f.table.setTableExists(true)
        #expect(f.sync.sync() == .applied(changed: 3))
        #expect(try f.store.count == 0)
    }

    @Test func changedAndRemovedClientsLoseTheirCachedCredentials() throws {
        let f = try SyncFixture()
        f.seed(["c01", "c02", "c03"])
        f.sync.sync()
        for id in ["c01", "c02", "c03"] { try f.cacheCredentials(id) }
        #expect(f.cache.count == 3)
        f.table.put(FakeDynamoDB.seedItem("c01", role: "arn:aws:iam::123456789012:role/new"))
        f.table.delete("c02")
        #expect(f.sync.sync() == .applied(changed: 2))
        #expect(f.cache.count == 1)
        let kept = try #require(try f.store.get("c03"))
        #expect(f.cache.fresh(mapping: kept, now: f.clock.now()) != nil, "an unchanged client keeps its credentials")
    }

    @Test func anInvalidEditKeepsThePreviousVersionAndIsLoggedAndCounted() throws {
        let f = try SyncFixture()
        f.seed(["c01", "c02"])
        f.sync.sync()
        let good = try f.store.get("c02")
        f.table.put(FakeDynamoDB.seedItem("c02", extra: ["session_duration_s": .string("3600")]))
        #expect(f.sync.sync() == .applied(changed: 0))
        #expect(try f.store.get("c02") == good)
        let line = try #require(f.logs.lines.first { $0.contains("roles table item skipped") })
        #expect(line.contains("c02") && line.contains("session_duration_s"))
        var rendered = ""
        f.metrics.render(into: &rendered)
        #expect(rendered.contains("credvend_role_items_skipped 1\n"))
        #expect(rendered.contains("credvend_role_mappings 2\n"))
    }

    @Test func readinessNeedsACompleteSnapshotFromThisRunOrAnEarlierStore() throws {
        let dir = TempDir()
        do {
            let f = try SyncFixture(directory: dir)
            #expect(f.sync.notReadyReason()?.contains("no complete snapshot") == true)
            f.table.script(.network, .network, .network)
            f.sync.sync()
            #expect(f.sync.notReadyReason() != nil, "a failed sync loads nothing")
            f.seed(["c01"])
            f.sync.sync()
            #expect(f.sync.notReadyReason() == nil)
        }
        // A restart while DynamoDB is down: the earlier store's snapshot makes it ready.
        let again = try SyncFixture(directory: dir)
        again.table.script(.network, .network, .network)
        again.sync.sync()
        #expect(again.sync.notReadyReason() == nil)
        #expect(try again.store.get("c01") != nil)
    }

    @Test func aStoreWrittenWithoutTheTableIsNotASnapshot() throws {
        let f = try SyncFixture()
        try f.store.put(RoleMapping(clientId: "local1", roleArn: "arn:aws:iam::123456789012:role/x"))
        #expect(f.sync.notReadyReason() != nil)
    }

    @Test func pastMaxStalenessItIsNotReadyAndVendingIsRefused() throws {
        let f = try SyncFixture(maxStaleness: 60)
        f.seed(["c01"])
        f.sync.sync()
        #expect(f.sync.vendingRefusal() == nil)
        f.clock.advance(by: 30)
        f.table.script(.network, .network, .network)
        f.sync.sync()
        #expect(f.sync.notReadyReason() == nil, "30 s old is fresh enough")
        f.clock.advance(by: 31)
        #expect(f.sync.vendingRefusal()?.contains("61 s ago") == true)
        #expect(f.sync.notReadyReason() != nil)
        var rendered = ""
        f.metrics.render(into: &rendered)
        #expect(rendered.contains("credvend_role_sync_age_seconds 61.000\n"))
        f.sync.sync()
        #expect(f.sync.vendingRefusal() == nil, "an unchanged successful sync counts")
    }

    @Test func theAgeIsInfiniteBeforeTheFirstSync() throws {
        let f = try SyncFixture()
        var rendered = ""
        f.metrics.render(into: &rendered)
        #expect(rendered.contains("credvend_role_sync_age_seconds +Inf\n"))
        #expect(rendered.contains("credvend_role_syncs_total{outcome=\"applied\"} 0\n"))
    }
}

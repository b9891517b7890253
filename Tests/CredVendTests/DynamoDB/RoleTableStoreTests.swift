import CredVendStore
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// Conditional writes to the roles table against an in-process table that evaluates
/// their conditions: create-only, version checks (Terraform's items at version 0),
/// lost races, imports in transactions of 100, retries that never apply twice.
@Suite struct RoleTableStoreTests {
    static func record(_ id: String, role: String = "app") -> RoleMapping {
        RoleMapping(clientId: id, roleArn: "arn:aws:iam::123456789012:role/\(role)")
    }

    @Test func createUpdateDeleteCarryTheVersion() throws {
        let f = try SyncFixture()
        let store = f.sync.tableStore
        let created = try store.put(Self.record("c1"))
        #expect(created.replaced == nil && created.version == 1)
        #expect(f.table.item("c1")?["version"] == .number("1"))
        let updated = try store.put(Self.record("c1", role: "v2"), expecting: .version(1))
        #expect(updated.version == 2 && updated.replaced?["version"] == .number("1"))
        #expect(throws: RoleTableConflict.self) {
            try store.put(Self.record("c1", role: "stale"), expecting: .version(1))
        }
        #expect(throws: RoleTableConflict.self) { try store.put(Self.record("c1"), expecting: .absent) }
        #expect(f.table.item("c1")?["role_arn"] == .string("arn:aws:iam::123456789012:role/v2"))
        #expect(throws: RoleTableConflict.self) { try store.delete("c1", version: 1) }
        #expect(try store.delete("c1", version: 2) != nil)
        #expect(f.table.item("c1") == nil)
        #expect(try store.delete("c1") == nil, "nothing to delete")
        #expect(throws: RoleTableConflict.self) { try store.delete("c1", version: 2) }
    }

    @Test func aTerraformItemIsAtVersionZeroAndKeepsItsOtherAttributes() throws {
        let f = try SyncFixture()
        f.table.put(FakeDynamoDB.seedItem("tf", extra: ["owner": .string("terraform")]))
        let store = f.sync.tableStore
        #expect(throws: RoleTableConflict.self) { try store.put(Self.record("tf"), expecting: .version(1)) }
        #expect(try store.put(Self.record("tf"), expecting: .version(0)).version == 1)
        #expect(f.table.item("tf")?["owner"] == .string("terraform"))
    }

    /// The read-modify-write of `roles put`: a change between the read and the write loses.
    @Test func aLostRaceWritesNothing() async throws {
        let f = try SyncFixture()
        f.table.put(FakeDynamoDB.seedItem("c1"))
        let a = TableRoleStoreClient(store: f.sync.tableStore)
        let b = TableRoleStoreClient(store: f.sync.tableStore)
        _ = try await a.get("c1")
        _ = try await b.get("c1")
        try await a.put(Self.record("c1", role: "from-a"))
        await #expect(throws: RoleTableConflict.self) { try await b.put(Self.record("c1", role: "from-b")) }
        await #expect(throws: RoleTableConflict.self) { _ = try await b.delete("c1") }
        #expect(f.table.item("c1")?["role_arn"] == .string("arn:aws:iam::123456789012:role/from-a"))
        #expect(f.table.item("c1")?["version"] == .number("1"))
        // Create-only after a get that saw nothing.
        _ = try await b.get("new")
        try await a.put(Self.record("new"))
        await #expect(throws: RoleTableConflict.self) { try await b.put(Self.record("new", role: "b")) }
    }

    @Test func importWritesInTransactionsOf100AndIsIdempotent() async throws {
        let f = try SyncFixture(pageSize: 50)
        f.seed(["gone-1", "gone-2"])
        let client = TableRoleStoreClient(store: f.sync.tableStore)
        let records = (0..<250).map { Self.record(String(format: "c%03d", $0)) }
        let summary = try await client.importAll(records, replace: true)
        #expect(summary == RoleImportSummary(added: 250, updated: 0, unchanged: 0, removed: 2))
        let transactions = f.table.calls.filter { $0.target?.hasSuffix("TransactWriteItems") == true }
        #expect(transactions.map { $0.body?["TransactItems"]?.arrayValue?.count } == [100, 100, 52])
        #expect(f.table.clientIds.count == 250)
        let again = try await client.importAll(records, replace: true)
        #expect(again == RoleImportSummary(added: 0, updated: 0, unchanged: 250, removed: 0))
        #expect(try await client.list() == records)
    }

    /// A later transaction that loses: the earlier ones stay, the message says so, and
    /// running the import again writes only the rest.
    @Test func aFailedLaterTransactionLeavesTheEarlierOnesAndARerunFinishes() throws {
        let f = try SyncFixture(pageSize: 100)
        let store = f.sync.tableStore
        let records = (0..<150).map { Self.record(String(format: "c%03d", $0)) }
        let plan = try store.plan(records, replace: false)
        // Another writer creates an item of the second transaction after the scan.
        f.table.put(RoleTableWrite.item(for: Self.record("c120", role: "other"), version: 1, keeping: nil))
        let error = #expect(throws: RoleTableConflict.self) { try store.apply(plan) }
        #expect(error?.message.contains("transaction 2 of 2 failed") == true)
        #expect(error?.message.contains("transactions 1-1 (100 of 150 writes) were written and stay") == true)
        #expect(f.table.clientIds.count == 101, "the first 100 and the other writer's item")
        let rerun = try store.importAll(records, replace: false)
        #expect(rerun.added == 49 && rerun.updated == 1 && rerun.unchanged == 100)
        #expect(f.table.clientIds.count == 150)
    }

    @Test func aTransactionRetriedAfterALostAnswerIsAppliedOnce() throws {
        let f = try SyncFixture()
        let store = f.sync.tableStore
        f.table.script(.normal, .appliedThenNetwork)  // the scan, then the transaction
        let plan = try store.importAll([Self.record("c1")], replace: false)
        #expect(plan.added == 1)
        let transactions = f.table.calls.filter { $0.target?.hasSuffix("TransactWriteItems") == true }
        #expect(transactions.count == 2, "retried")
        #expect(transactions[0].body?["ClientRequestToken"] == transactions[1].body?["ClientRequestToken"])
        #expect(f.table.item("c1")?["version"] == .number("1"), "applied once")
    }

    @Test func aSingleWriteIsNotRetriedAfterALostAnswer() throws {
        let f = try SyncFixture()
        let store = f.sync.tableStore
        f.table.script(.normal, .appliedThenNetwork)  // the read, then the put
        #expect(throws: DynamoDBError.self) { try store.put(Self.record("c1")) }
        #expect(f.table.calls.filter { $0.target?.hasSuffix("PutItem") == true }.count == 1)
        f.table.script(.normal, .error(status: 400, code: "ThrottlingException"))
        #expect(try store.put(Self.record("c2")).version == 1, "throttling is retried")
    }

    @Test func listFailsOnAnItemAReplicaWouldSkip() async throws {
        let f = try SyncFixture()
        f.table.put(FakeDynamoDB.seedItem("bad", extra: ["session_duration_s": .string("3600")]))
        let client = TableRoleStoreClient(store: f.sync.tableStore)
        await #expect(throws: RoleTableItemProblem.self) { _ = try await client.list() }
    }
}

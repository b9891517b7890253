import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendStore

/// The admin API of a replica whose store is a copy of the roles table writes the table,
/// never its copy: conditional on the ETag a GET gave (`If-Match`) or create-only
/// (`If-None-Match: *`); a lost race is 409 `conflict`; the replica syncs at once.
@Suite struct RoleTableAdminTests {
    static func record(_ id: String, role: String = "app") -> String {
        #"{"client_id":"\#(id)","role_arn":"arn:aws:iam::123456789012:role/\#(role)"}"#
    }

    /// A replica's admin API over `SyncFixture`'s table, store and sync.
    static func replica(_ f: SyncFixture) throws -> AdminHandler {
        try AdminFixture(store: f.store, cache: f.cache, rolesTable: AdminRoleTable(sync: f.sync)).handler(.socket)
    }

    static func with(_ r: HTTPRequest, _ name: String, _ value: String) -> HTTPRequest {
        var r = r
        r.headers.add(name, value)
        return r
    }

    @Test func writesGoToTheTableWithVersionsAndTheReplicaSyncsAtOnce() async throws {
        let f = try SyncFixture()
        f.seed(["tf-01"])  // as Terraform writes it: no version
        f.sync.sync()
        let h = try Self.replica(f)

        let get = await respond(h, to: request("GET", "/admin/v1/roles/tf-01"))
        #expect(get.status == 200 && get.headers["etag"] == #""0""#)
        let put = await respond(
            h,
            to: Self.with(
                request("PUT", "/admin/v1/roles/tf-01", body: Self.record("tf-01", role: "v1")),
                "If-Match",
                #""0""#
            )
        )
        #expect(put.status == 200 && put.headers["etag"] == #""1""#)
        #expect(f.table.item("tf-01")?["version"] == .number("1"))
        #expect(try f.store.get("tf-01")?.roleArn == "arn:aws:iam::123456789012:role/v1", "synced at once")
        #expect(await respond(h, to: request("GET", "/admin/v1/roles/tf-01")).headers["etag"] == #""1""#)

        // The ETag read before that write is stale now: 409, and nothing written.
        let stale = await respond(
            h,
            to: Self.with(
                request("PUT", "/admin/v1/roles/tf-01", body: Self.record("tf-01", role: "lost")),
                "If-Match",
                #""0""#
            )
        )
        #expect(stale.status == 409 && stale.errorCode == "conflict")
        #expect(f.table.item("tf-01")?["role_arn"] == .string("arn:aws:iam::123456789012:role/v1"))

        let create = await respond(
            h,
            to: Self.with(request("PUT", "/admin/v1/roles/new-01", body: Self.record("new-01")), "If-None-Match", "*")
        )
        #expect(create.status == 201 && create.headers["etag"] == #""1""#)
        let again = await respond(
            h,
            to: Self.with(request("PUT", "/admin/v1/roles/new-01", body: Self.record("new-01")), "If-None-Match", "*")
        )
        #expect(again.status == 409 && again.errorCode == "conflict")

        let staleDelete = await respond(
            h,
            to: Self.with(request("DELETE", "/admin/v1/roles/new-01"), "If-Match", #""7""#)
        )
        #expect(staleDelete.status == 409)
        let delete = await respond(h, to: Self.with(request("DELETE", "/admin/v1/roles/new-01"), "If-Match", #""1""#))
        #expect(delete.status == 204)
        #expect(f.table.item("new-01") == nil)
        #expect(try f.store.get("new-01") == nil)
        #expect(await respond(h, to: request("DELETE", "/admin/v1/roles/new-01")).status == 404)
    }

    @Test func withoutAPreconditionTheWriteIsConditionalOnTheVersionReadJustBefore() async throws {
        let f = try SyncFixture()
        let h = try Self.replica(f)
        #expect(await respond(h, to: request("PUT", "/admin/v1/roles/c1", body: Self.record("c1"))).status == 201)
        #expect(
            await respond(h, to: request("PUT", "/admin/v1/roles/c1", body: Self.record("c1", role: "b"))).status == 200
        )
        #expect(f.table.item("c1")?["version"] == .number("2"))
        #expect(await respond(h, to: request("DELETE", "/admin/v1/roles/c1")).status == 204)
        #expect(f.table.clientIds.isEmpty)
    }

    @Test func aChangeDropsTheCachedCredentialsAndImportGoesToTheTable() async throws {
        let f = try SyncFixture()
        f.seed(["c1", "c2"])
        f.sync.sync()
        try f.cacheCredentials("c1")
        let h = try Self.replica(f)
        let body = "[\(Self.record("c1", role: "new")),\(Self.record("c3"))]"
        let r = await respond(h, to: request("POST", "/admin/v1/roles:import?replace=true", body: body))
        #expect(r.status == 200)
        #expect(
            r.object?["added"] as? Int == 1 && r.object?["updated"] as? Int == 1 && r.object?["removed"] as? Int == 1
        )
        #expect(f.table.clientIds == ["c1", "c3"])
        #expect(try f.store.list().map(\.clientId) == ["c1", "c3"], "synced at once")
        #expect(f.cache.count == 0, "c1's credentials dropped")
    }

    @Test func badPreconditionsAndDynamoDBFailures() async throws {
        let f = try SyncFixture()
        let h = try Self.replica(f)
        let put = request("PUT", "/admin/v1/roles/c1", body: Self.record("c1"))
        #expect(await respond(h, to: Self.with(put, "If-Match", "W/\"x\"")).status == 400)
        #expect(await respond(h, to: Self.with(put, "If-None-Match", #""3""#)).status == 400)
        f.table.script(.error(status: 400, code: "AccessDeniedException"))
        let denied = await respond(h, to: put)
        #expect(denied.status == 502 && denied.errorCode == "upstream_error")
        #expect(f.table.clientIds.isEmpty)
    }

    /// A restart on an earlier store: the first scan finds the table unchanged, writes
    /// nothing, and still learns the versions; until then GET has no ETag.
    @Test func aRestartedReplicaLearnsTheVersionsFromAnUnchangedTable() async throws {
        let item = FakeDynamoDB.seedItem("c1", extra: ["version": .number("3")])
        let first = try SyncFixture()
        first.table.put(item)
        #expect(first.sync.sync() == .applied(changed: 1))
        let again = try SyncFixture(directory: first.directory)
        again.table.put(item)
        let h = try Self.replica(again)
        #expect(await respond(h, to: request("GET", "/admin/v1/roles/c1")).headers["etag"] == nil)
        #expect(again.sync.sync() == .unchanged)
        #expect(await respond(h, to: request("GET", "/admin/v1/roles/c1")).headers["etag"] == #""3""#)
    }

    @Test func withoutATableWritesGoToTheStore() async throws {
        let f = try AdminFixture()
        let r = await respond(
            f.handler(.socket),
            to: request("PUT", "/admin/v1/roles/app-01", body: Self.record("app-01"))
        )
        #expect(r.status == 201 && r.headers["etag"] == nil)
    }
}

import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendStore

@Suite struct AdminAPITests {
    func perform(
        _ f: AdminFixture,
        _ route: AdminRoute,
        _ id: String = "",
        body: String = "",
        query: String = ""
    ) -> AdminOutcome {
        f.api.perform(
            route,
            parameters: ["client_id": id],
            request: HTTPRequest(method: "X", path: "/", queryString: query, body: Array(body.utf8))
        )
    }

    @Test func putGetListDelete() throws {
        let f = try AdminFixture()
        let m = Sample.mapping(1)
        let created = perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(m))
        #expect(created.response.status == 201)
        #expect(created.changes == [RoleChange(clientId: m.clientId, before: nil, after: m)])
        #expect(perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(m)).response.status == 200)
        let got = perform(f, .getRole, m.clientId)
        #expect(got.response.status == 200)
        #expect(got.response.text == RoleMappingJSON.encode(m) + "\n")
        #expect(perform(f, .listRoles).response.text == RoleMappingJSON.encodeList([m]))
        let deleted = perform(f, .deleteRole, m.clientId)
        #expect(deleted.response.status == 204)
        #expect(deleted.changes == [RoleChange(clientId: m.clientId, before: m, after: nil)])
        for route in [AdminRoute.getRole, .deleteRole] {
            let missing = perform(f, route, m.clientId)
            #expect(missing.response.status == 404)
            #expect(missing.response.object?["error"] as? String == "role_not_found")
            #expect(missing.changes.isEmpty)
        }
    }

    @Test(arguments: [
        (#"{"client_id":"app-01","role_arn":"arn:aws:iam::123:role/x"}"#, "role_arn"),
        (#"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/x","permission":"admin"}"#, "permission"),
        (#"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/x","colour":"blue"}"#, "colour"),
        (#"{"client_id":"app-02","role_arn":"arn:aws:iam::123456789012:role/x"}"#, "client_id"),
        (#"{"role_arn":"arn:aws:iam::123456789012:role/x"}"#, "client_id"),
    ])
    func aBadRecordIs400NamingTheField(body: String, field: String) throws {
        let f = try AdminFixture()
        let outcome = perform(f, .putRole, "app-01", body: body)
        #expect(outcome.response.status == 400)
        #expect(outcome.response.object?["error"] as? String == "invalid_request")
        #expect(outcome.response.object?["field"] as? String == field)
        #expect((outcome.response.object?["message"] as? String)?.contains("field \"\(field)\"") == true)
        #expect(outcome.changes.isEmpty)
        #expect(try f.store.count == 0)
    }

    @Test func theMessageIsTheOneCredvendRolesPrints() throws {
        let f = try AdminFixture()
        let body = #"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/x","session_duration_s":60}"#
        let expected: String
        do {
            _ = try RoleMappingJSON.decode(Data(body.utf8))
            Issue.record("accepted")
            return
        } catch {
            expected = error.description
        }
        #expect(perform(f, .putRole, "app-01", body: body).response.object?["message"] as? String == expected)
    }

    @Test func anImpossibleClientIdIs400() throws {
        let f = try AdminFixture()
        for route in [AdminRoute.getRole, .putRole, .deleteRole] {
            let outcome = perform(f, route, "bad id!")
            #expect(outcome.response.status == 400)
            #expect(outcome.response.object?["field"] as? String == "client_id")
        }
    }

    @Test func importIsAllOrNothing() throws {
        let f = try AdminFixture()
        try f.store.importAll([Sample.mapping(1)], replace: false)
        var bad = Sample.mapping(3)
        bad.bucket = "Not_A_Bucket"
        let body = "[" + [Sample.mapping(2), bad].map(RoleMappingJSON.encode).joined(separator: ",") + "]"
        let refused = perform(f, .importRoles, body: body, query: "replace=true")
        #expect(refused.response.status == 400)
        #expect(refused.response.object?["record"] as? Int == 1)
        #expect(refused.response.object?["field"] as? String == "bucket")
        #expect(try f.store.list() == [Sample.mapping(1)])

        let good = RoleMappingJSON.encodeList([Sample.mapping(2), Sample.mapping(3)])
        let done = perform(f, .importRoles, body: good, query: "replace=true")
        #expect(done.response.status == 200)
        #expect(done.response.object?["added"] as? Int == 2)
        #expect(done.response.object?["removed"] as? Int == 1)
        #expect(done.changes.count == 3)
        #expect(try f.store.list() == [Sample.mapping(2), Sample.mapping(3)])
        #expect(perform(f, .importRoles, body: good, query: "replace=maybe").response.status == 400)
    }

    @Test func changesDropCachedCredentials() throws {
        let f = try AdminFixture()
        let m = Sample.mapping(1)
        try f.store.put(m)
        f.cacheCredentials(for: m)
        #expect(f.cache.count == 1)
        _ = perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(m))  // unchanged: kept
        #expect(f.cache.count == 1)
        var changed = m
        changed.roleArn = "arn:aws:iam::123456789012:role/other"
        _ = perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(changed))
        #expect(f.cache.count == 0)

        f.cacheCredentials(for: changed)
        _ = perform(f, .deleteRole, m.clientId)
        #expect(f.cache.count == 0)

        try f.store.put(Sample.mapping(2))
        f.cacheCredentials(for: Sample.mapping(2))
        #expect(f.cache.count == 1)
        _ = perform(f, .importRoles, body: RoleMappingJSON.encodeList([Sample.mapping(3)]), query: "replace=true")
        #expect(f.cache.count == 0)
    }

    /// Records are compared by bytes: the NFD spelling of a prefix is another S3 key.
    @Test func aPrefixRewrittenFromNFCToNFDDropsCachedCredentials() throws {
        let f = try AdminFixture()
        var m = Sample.mapping(1)
        m.bucket = "logs-bucket"
        m.s3PathPrefix = "backups/caf\u{E9}/"
        try f.store.put(m)
        f.cacheCredentials(for: m)
        var nfd = m
        nfd.s3PathPrefix = "backups/cafe\u{301}/"
        let done = perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(nfd))
        #expect(done.response.status == 200)
        #expect(f.cache.count == 0)
        #expect(done.changes.first?.before != done.changes.first?.after)
        #expect(try f.store.get(m.clientId)?.s3PathPrefix?.utf8.elementsEqual(nfd.s3PathPrefix!.utf8) == true)
    }

    @Test func logsAreCappedAndCounted() throws {
        let f = try AdminFixture()
        for n in 0..<1500 { f.ring.append("line \(n)") }
        func lines(_ query: String) -> [String]? {
            perform(f, .logs, query: query).response.object?["lines"] as? [String]
        }
        #expect(lines("lines=3") == ["line 1497", "line 1498", "line 1499"])
        #expect(lines("")?.count == AdminAPI.defaultLogLines)
        #expect(lines("lines=100000")?.count == AdminAPI.maxLogLines)
        for bad in ["lines=0", "lines=-1", "lines=abc", "lines=1.5"] {
            #expect(perform(f, .logs, query: bad).response.status == 400, "\(bad)")
        }
    }

    @Test func infoShowsIssuerKeysAndCounts() throws {
        let f = try AdminFixture()
        try f.store.put(Sample.mapping(1))
        let info = try #require(perform(f, .info).response.object)
        #expect(info["issuer"] as? String == "https://issuer.example")
        #expect(info["uptime_s"] as? Int == 100)
        #expect((info["jwks"] as? [String: Any])?["key_ids"] as? [String] == ["k1", "k2"])
        #expect((info["role_store"] as? [String: Any])?["records"] as? Int == 1)
        #expect((info["source_credentials"] as? [String: Any])?["expiration"] is NSNull)
    }
}

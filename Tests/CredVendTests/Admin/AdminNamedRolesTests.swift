import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendStore

/// The admin API carries named roles through PUT, GET, list and import, and a
/// change to one named role drops the client's cached credentials of every role.
@Suite struct AdminNamedRolesTests {
    func perform(_ f: AdminFixture, _ route: AdminRoute, _ id: String = "", body: String = "") -> AdminOutcome {
        f.api.perform(
            route,
            parameters: ["client_id": id],
            request: HTTPRequest(method: "X", path: "/", queryString: "", body: Array(body.utf8))
        )
    }

    func mapping() -> RoleMapping {
        var m = Sample.mapping(1)
        m.roles = [
            NamedRole(name: "backup", roleArn: "arn:aws:iam::123456789012:role/backup", bucket: "bkt-a"),
            NamedRole(name: "logs", roleArn: "arn:aws:iam::123456789012:role/logs", sessionDurationSeconds: 900),
        ]
        return m
    }

    @Test func putGetListAndImportKeepNamedRoles() throws {
        let f = try AdminFixture()
        let m = mapping()
        #expect(perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(m)).response.status == 201)
        #expect(try f.store.get(m.clientId) == m)
        #expect(perform(f, .getRole, m.clientId).response.text == RoleMappingJSON.encode(m) + "\n")
        #expect(perform(f, .listRoles).response.text == RoleMappingJSON.encodeList([m]))
        #expect(perform(f, .deleteRole, m.clientId).response.status == 204)
        #expect(perform(f, .importRoles, body: RoleMappingJSON.encodeList([m])).response.status == 200)
        #expect(try f.store.list() == [m])
    }

    @Test func aBadNamedRoleIs400NamingItsField() throws {
        let f = try AdminFixture()
        var m = mapping()
        m.roles[1].name = "backup"
        let outcome = perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(m))
        #expect(outcome.response.status == 400)
        #expect(outcome.response.object?["field"] as? String == "roles[1].name")
        #expect(try f.store.count == 0)
    }

    @Test func changingANamedRoleDropsEveryCachedGrantOfTheClient() throws {
        let f = try AdminFixture()
        let m = mapping()
        try f.store.put(m)
        f.cacheCredentials(for: m)
        f.cache.load(
            mapping: m.roles[0].grant(of: m.clientId),
            key: RoleRequest(role: "backup").key,
            now: Date(),
            fetch: {
                .success(
                    AWSCredentials(
                        accessKeyId: "ASIAB",
                        secretAccessKey: "s",
                        sessionToken: "t",
                        expiration: Date().addingTimeInterval(3600)
                    )
                )
            },
            completion: { _ in }
        )
        #expect(f.cache.count == 2)
        var changed = m
        changed.roles[1].sessionDurationSeconds = 1800
        _ = perform(f, .putRole, m.clientId, body: RoleMappingJSON.encode(changed))
        #expect(f.cache.count == 0)
    }
}

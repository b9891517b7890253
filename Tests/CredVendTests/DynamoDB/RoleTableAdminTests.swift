import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendStore

/// A replica whose store is a copy of the roles table refuses role writes through its
/// admin API: they would change only this replica, and the next sync would undo them.
@Suite struct RoleTableAdminTests {
    static let record = #"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/app"}"#

    @Test func roleWritesAre409AndChangeNothing() async throws {
        let f = try AdminFixture(rolesTable: "client_roles")
        try f.store.put(RoleMapping(clientId: "app-02", roleArn: "arn:aws:iam::123456789012:role/kept"))
        let h = f.handler(.socket)
        for (method, target, body) in [
            ("PUT", "/admin/v1/roles/app-01", Self.record), ("DELETE", "/admin/v1/roles/app-02", ""),
            ("POST", "/admin/v1/roles:import?replace=true", "[\(Self.record)]"),
        ] {
            let r = await respond(h, to: request(method, target, body: body))
            #expect(r.status == 409, "\(method) \(target)")
            #expect(r.errorCode == "conflict")
            #expect(r.text.contains("DynamoDB table client_roles"))
        }
        #expect(try f.store.list().map(\.clientId) == ["app-02"])
        let read = await respond(h, to: request("GET", "/admin/v1/roles/app-02"))
        #expect(read.status == 200, "reads are served")
    }

    @Test func withoutATableWritesGoToTheStore() async throws {
        let f = try AdminFixture()
        let r = await respond(f.handler(.socket), to: request("PUT", "/admin/v1/roles/app-01", body: Self.record))
        #expect(r.status == 201)
    }
}

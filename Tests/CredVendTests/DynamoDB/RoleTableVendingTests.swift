import CredVendCrypto
import CredVendStore
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// What a client sees from a replica whose store is a copy of the roles table.
@Suite struct RoleTableVendingTests {
    @Test func aSeedItemWithoutBucketIsVendedWithoutASessionPolicy() async throws {
        let f = try ServeFixture()
        let mapping = try RoleTableItem.mapping(
            FakeDynamoDB.seedItem(ServeFixture.clientId, role: "arn:aws:iam::123456789012:role/oidc-s3-dev-server-01"),
            defaultBucket: nil
        ).get()
        try f.roles.replaceAll(
            [mapping],
            mark: RoleTableMark(table: "client_roles", digest: "d", appliedAt: f.clock.now())
        )
        let response = await f.vend(f.token())
        #expect(response.status == 200)
        let call = try #require(f.sts.calls.last)
        #expect(call.roleArn == "arn:aws:iam::123456789012:role/oidc-s3-dev-server-01")
        #expect(call.parameters["Policy"] == nil, "no Policy parameter: the role's own IAM policy governs")
    }

    @Test func withADefaultBucketTheSessionPolicyNarrowsToTheItemsPrefix() async throws {
        let f = try ServeFixture()
        let mapping = try RoleTableItem.mapping(
            FakeDynamoDB.seedItem(ServeFixture.clientId),
            defaultBucket: "oidc-s3-dev"
        )
        .get()
        try f.roles.replaceAll(
            [mapping],
            mark: RoleTableMark(table: "client_roles", digest: "d", appliedAt: f.clock.now())
        )
        #expect(await f.vend(f.token()).status == 200)
        let policy = try #require(f.sts.calls.last?.policy)
        #expect(policy.contains("arn:aws:s3:::oidc-s3-dev/backups/\(ServeFixture.clientId)/*"))
    }

    @Test func aStaleCopyIsA503WithoutAnSTSCall() async throws {
        let f = try ServeFixture(rolesRefusal: { "roles table: the last successful sync was 99 s ago" })
        let response = await f.vend(f.token())
        #expect(response.status == 503)
        #expect(response.errorCode == "unavailable")
        #expect(response.text.contains("99 s ago"))
        #expect(f.sts.callCount == 0)
    }

    @Test func aBadTokenIsStill401WhenTheCopyIsStale() async throws {
        let f = try ServeFixture(rolesRefusal: { "stale" })
        #expect(await f.vend("not.a.token").status == 401, "the token is checked before the store")
    }
}

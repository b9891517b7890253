import CredVendStore
import CredVendSync
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// `POST /v1/credentials` with `role`, `duration_seconds` and `s3_path_prefix`
/// (docs/reference.md#named-roles), through the application, with the FakeSTS.
@Suite struct NamedRoleVendingTests {
    static let defaultArn = "arn:aws:iam::123456789012:role/first"
    static let backupArn = "arn:aws:iam::123456789012:role/backup"
    static let logsArn = "arn:aws:iam::123456789012:role/logs"

    /// A client with its own role and two named ones.
    func fixture() throws -> ServeFixture {
        let f = try ServeFixture()
        _ = try f.roles.put(
            RoleMapping(
                clientId: ServeFixture.clientId,
                roleArn: Self.defaultArn,
                roles: [
                    NamedRole(
                        name: "backup",
                        roleArn: Self.backupArn,
                        bucket: "backup-bucket",
                        s3PathPrefix: "hosts/web1",
                        permission: .readWrite,
                        sessionDurationSeconds: 7200
                    ),
                    NamedRole(name: "logs", roleArn: Self.logsArn, bucket: "log-bucket", permission: .full),
                ]
            )
        )
        return f
    }

    /// The request with `fields` (JSON members) after the token.
    func post(_ f: ServeFixture, _ fields: String) -> HTTPRequest {
        var request = f.post(f.token())
        request.body = Array("{\"access_token\":\"\(f.token())\",\(fields)}".utf8)
        return request
    }

    func message(_ r: HTTPResponse) -> String {
        (((try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any])?["message"] as? String) ?? ""
    }

    @Test func aNamedRoleIsVendedWithItsOwnARNAndPolicy() async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, #""role":"backup""#))
        #expect(r.status == 200)
        let call = try #require(f.sts.calls.first)
        #expect(call.roleArn == Self.backupArn)
        #expect(call.parameters["DurationSeconds"] == "7200")
        #expect(call.policy?.contains(#""arn:aws:s3:::backup-bucket/hosts/web1*""#) == true)
        #expect(call.policy?.contains("s3:GetObject") == true)
        #expect(f.sts.issuedRoles[r.credentials?.accessKeyId ?? ""] == Self.backupArn)
        #expect(f.logs.lines.contains { $0.contains(" role=backup ") })
    }

    @Test func noRoleAndDefaultBothNameTheRecordsOwnRole() async throws {
        let f = try fixture()
        let plain = await f.vend(f.token())
        let named = await respond(f.app, to: post(f, #""role":"default""#))
        #expect(plain.status == 200 && named.status == 200)
        #expect(f.sts.calls.map(\.roleArn) == [Self.defaultArn], "one grant, one STS call")
        #expect(f.sts.calls.first?.policy == nil)
        #expect(named.credentials?.accessKeyId == plain.credentials?.accessKeyId)
    }

    @Test func anUnknownRoleIs403NamingItWithNoSTSCall() async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, #""role":"admin""#))
        #expect(r.status == 403 && r.errorCode == "access_denied")
        #expect(message(r).contains(#""admin""#))
        #expect(f.sts.callCount == 0)
    }

    @Test(arguments: [
        (#""role":"" "#, "role"), (#""role":7"#, "role"), (#""duration_seconds":"900""#, "duration_seconds"),
        (#""duration_seconds":900.5"#, "duration_seconds"), (#""s3_path_prefix":["a"]"#, "s3_path_prefix"),
    ])
    func aWrongTypeIs400(fields: String, name: String) async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, fields))
        #expect(r.status == 400 && r.errorCode == "invalid_request")
        #expect(message(r).contains(name))
        #expect(f.sts.callCount == 0)
    }

    @Test func durationBoundsAreTheRolesOwn() async throws {
        let f = try fixture()
        for (fields, status) in [
            (#""role":"backup","duration_seconds":899"#, 400), (#""role":"backup","duration_seconds":7201"#, 400),
            (#""duration_seconds":3601"#, 400), (#""role":"backup","duration_seconds":900"#, 200),
            (#""role":"backup","duration_seconds":7200"#, 200),
        ] {
            let r = await respond(f.app, to: post(f, fields))
            #expect(r.status == status, "\(fields)")
            if status == 400 { #expect(message(r).contains("duration_seconds"), "\(fields)") }
        }
        #expect(f.sts.calls.map { $0.parameters["DurationSeconds"] } == ["900", "7200"])
    }

    @Test(arguments: ["hosts/web1", "hosts/web1/", "hosts/web1/daily", "hosts/web1/daily/"])
    func aPrefixInsideNarrowsThePolicySentToSTS(prefix: String) async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, #""role":"backup","s3_path_prefix":"\#(prefix)""#))
        #expect(r.status == 200)
        let policy = try #require(f.sts.calls.first?.policy)
        #expect(policy.contains(#""arn:aws:s3:::backup-bucket/\#(prefix)*""#))
    }

    @Test func aRoleWithTheWholeBucketMayBeNarrowedAnywhereInIt() async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, #""role":"logs","s3_path_prefix":"app/2026/""#))
        #expect(r.status == 200)
        let policy = try #require(f.sts.calls.first?.policy)
        #expect(policy.contains(#""arn:aws:s3:::log-bucket/app/2026/*""#))
        #expect(policy.contains(#""s3:prefix":["app/2026/*"]"#))
    }

    @Test(arguments: [
        "hosts/web10", "hosts/web", "hosts", "hosts/web2/x", "other/", "hosts/web1/*", "hosts/web1/?",
        "hosts/web1/../web2", "hosts/web1/./a", "/hosts/web1", "hosts/web1/${aws:username}", "",
        "HOSTS/web1",
    ])
    func aPrefixOutsideWiderOrWildIs403(prefix: String) async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, #""role":"backup","s3_path_prefix":"\#(prefix)""#))
        #expect(r.status == 403 && r.errorCode == "access_denied", "\(prefix)")
        #expect(message(r).contains("s3_path_prefix"))
        #expect(f.sts.callCount == 0)
    }

    @Test func aRoleWithoutABucketCannotBeNarrowed() async throws {
        let f = try fixture()
        let r = await respond(f.app, to: post(f, #""s3_path_prefix":"a/""#))
        #expect(r.status == 403 && r.errorCode == "access_denied")
        #expect(f.sts.callCount == 0)
    }

    @Test func theCacheIsKeyedByRoleDurationAndNarrowing() async throws {
        let f = try fixture()
        let asks = [
            "", #""role":"backup""#, #""role":"backup","duration_seconds":900"#,
            #""role":"backup","s3_path_prefix":"hosts/web1/a""#, #""role":"logs""#,
        ]
        var keys: [String] = []
        for fields in asks {
            let request = fields.isEmpty ? f.post(f.token()) : post(f, fields)
            let r = await respond(f.app, to: request)
            #expect(r.status == 200, "\(fields)")
            keys.append(r.credentials?.accessKeyId ?? "")
        }
        #expect(Set(keys).count == asks.count, "each grant has its own credentials")
        #expect(f.sts.callCount == asks.count)
        // Asked again: each from the cache, the same as before.
        for (fields, key) in zip(asks, keys) {
            let request = fields.isEmpty ? f.post(f.token()) : post(f, fields)
            #expect(await respond(f.app, to: request).credentials?.accessKeyId == key, "\(fields)")
        }
        #expect(f.sts.callCount == asks.count)
    }

    @Test func twoRolesOfOneClientNeverSwapUnderConcurrentRequests() async throws {
        let f = try fixture()
        f.sts.setDelay(.milliseconds(50))
        let vending = f.vending
        let asks = [("", Self.defaultArn), (#""role":"backup""#, Self.backupArn), (#""role":"logs""#, Self.logsArn)]
        let bodies = asks.map { ($0.0.isEmpty ? f.post(f.token()) : post(f, $0.0)).body }
        // Threads at once on the vending service, several rounds, so misses, shared
        // flights and hits all meet.
        let results = Locked<[(String, HTTPResponse)]>([])
        for round in 0..<3 {
            DispatchQueue.concurrentPerform(iterations: 30) { i in
                let k = (i + round) % asks.count
                let outcome: VendOutcome
                switch vending.vend(body: bodies[k], authorization: nil) {
                case .now(let o): outcome = o
                case .later(let work): outcome = work()
                }
                results.withLock { $0.append((asks[k].1, outcome.response)) }
            }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 90)
        let issued = f.sts.issuedRoles
        for (arn, r) in all {
            #expect(r.status == 200)
            #expect(issued[r.credentials?.accessKeyId ?? ""] == arn, "credentials of another role were served")
        }
        #expect(f.sts.callCount == 3, "one STS call per role")
    }

    @Test func aRefusalIsRememberedPerRole() async throws {
        let f = try fixture()
        f.sts.script(.accessDenied)
        #expect(await respond(f.app, to: post(f, #""role":"backup""#)).status == 502)
        #expect(await respond(f.app, to: post(f, #""role":"logs""#)).status == 200, "another role is asked at once")
        let again = await respond(f.app, to: post(f, #""role":"backup""#))
        #expect(again.status == 502 && again.headers["Retry-After"] != nil)
        #expect(f.sts.calls.map(\.roleArn) == [Self.backupArn, Self.logsArn], "the refused role is not asked again")
        #expect(f.refusals.count == 1)
    }

    @Test func theRoleMayComeWithABearerHeaderToken() async throws {
        let f = try fixture()
        var request = f.post(f.token())
        request.body = Array(#"{"role":"logs","duration_seconds":900}"#.utf8)
        request.headers.set("Authorization", "Bearer \(f.token())")
        #expect(await respond(f.app, to: request).status == 200)
        #expect(f.sts.calls.first?.roleArn == Self.logsArn)
        #expect(f.sts.calls.first?.parameters["DurationSeconds"] == "900")
    }
}

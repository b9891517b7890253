import CredVend
import CredVendCore
import CredVendSync
import CredVendTesting
import Foundation
import Testing

/// The agent socket's decisions, through the handler, against a fake upstream that
/// counts what it was asked.
@Suite struct AgentHandlerTests {
    final class Upstream: Sendable {
        let asked = Locked<[VendingSelection]>([])
        let failing = Locked(false)
        let clock: FixedClock
        init(clock: FixedClock) { self.clock = clock }

        func fetch(_ s: VendingSelection) throws(ClientError) -> CachedCredentials {
            let n = asked.withLock { a -> Int in
                a.append(s)
                return a.count
            }
            if failing.withLock({ $0 }) { throw ClientError(.upstream, "the credential API failed: HTTP 503") }
            if s.role == "forbidden" {
                throw ClientError(.exchange, "the credential API refused the request: HTTP 403")
            }
            return CachedCredentials(
                credentials: AWSCredentials(
                    accessKeyId: "ASIA\(s.roleName.uppercased())\(n)",
                    secretAccessKey: "secret-\(s.roleName)-\(n)",
                    sessionToken: "token-\(n)",
                    expiration: clock.now().addingTimeInterval(3600)
                ),
                obtainedAt: clock.now()
            )
        }
    }

    let clock = FixedClock()
    let upstream: Upstream
    let logs = LogCapture()
    let handler: AgentHandler

    init() {
        let upstream = Upstream(clock: clock)
        self.upstream = upstream
        let clock = clock
        let cache = AgentCredentialCache(
            policy: ClientCachePolicy(),
            clock: { clock.now() },
            fetch: { selection throws(ClientError) in try upstream.fetch(selection) }
        )
        handler = AgentHandler(
            socketPath: "/run/test.sock",
            policy: AgentSocketPolicy(roles: ["default", "logs", "forbidden"], defaultRole: "logs"),
            cache: cache,
            logger: logs.logger()
        )
    }

    func get(
        _ target: String,
        peer: PeerCredentials? = PeerCredentials(pid: 42, uid: 1000, gid: 100)
    ) async
        -> HTTPResponse
    {
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        return await respond(
            handler,
            to: HTTPRequest(
                method: "GET",
                path: parts[0],
                queryString: parts.count > 1 ? parts[1] : "",
                remoteAddress: "unix",
                peerCredentials: peer
            )
        )
    }

    @Test func roleNotOnTheSocketIsRefusedWithoutAskingUpstream() async throws {
        let r = await get("/v1/credentials?role=backup")
        #expect(r.status == 403)
        let body = try #require((try? JSONParser.parse(r.body))?.objectValue)
        #expect(body["error"]?.stringValue == "access_denied")
        #expect(body["message"]?.stringValue?.contains("backup") == true)
        #expect(upstream.asked.withLock { $0 }.isEmpty)
        let container = await get("/v1/container-credentials?role=backup")
        #expect(container.status == 403)
        #expect(upstream.asked.withLock { $0 }.isEmpty)
    }

    @Test func noRoleMeansTheSocketsDefaultAndDefaultMeansNoRoleField() async throws {
        let r = await get("/v1/credentials")
        #expect(r.status == 200)
        let c = try #require(CredentialProcessOutput.parse(r.body))
        #expect(c.accessKeyId == "ASIALOGS1")
        #expect(upstream.asked.withLock { $0 } == [VendingSelection(role: "logs")])
        _ = await get("/v1/credentials?role=default")
        #expect(upstream.asked.withLock { $0 }.last == VendingSelection())
        #expect(upstream.asked.withLock { $0 }.last?.role == nil)
    }

    @Test func cachesPerSelectionSoRolesNeverSwap() async throws {
        let logs1 = try #require(CredentialProcessOutput.parse(await get("/v1/credentials?role=logs").body))
        let def1 = try #require(CredentialProcessOutput.parse(await get("/v1/credentials?role=default").body))
        let logs2 = try #require(CredentialProcessOutput.parse(await get("/v1/credentials?role=logs").body))
        let def2 = try #require(ContainerCredentials.parse(await get("/v1/container-credentials?role=default").body))
        let longer = try #require(
            CredentialProcessOutput.parse(await get("/v1/credentials?role=logs&duration=7200").body)
        )
        #expect(logs1.accessKeyId == "ASIALOGS1")
        #expect(def1.accessKeyId == "ASIADEFAULT2")
        #expect(logs2.accessKeyId == logs1.accessKeyId)
        #expect(def2.accessKeyId == def1.accessKeyId)
        #expect(longer.accessKeyId == "ASIALOGS3")
        #expect(upstream.asked.withLock { $0 }.count == 3)
        // Within the refresh buffer of expiry, the next request fetches anew.
        clock.advance(by: 2701)
        let logs3 = try #require(CredentialProcessOutput.parse(await get("/v1/credentials?role=logs").body))
        #expect(logs3.accessKeyId == "ASIALOGS4")
    }

    @Test func upstreamRefusalIs403AndBadParametersAre400() async {
        #expect(await get("/v1/credentials?role=forbidden").status == 403)
        #expect(await get("/v1/credentials?duration=600").status == 400)
        #expect(await get("/v1/credentials?bogus=1").status == 400)
        #expect(await get("/v1/container-credentials?duration=900").status == 400)
        #expect(await get("/v2/anything").status == 404)
        #expect(upstream.asked.withLock { $0 }.count == 1)
    }

    @Test func logsTheCallerAndNoSecret() async throws {
        _ = await get("/v1/credentials")
        _ = await get("/v1/credentials?role=backup")
        let lines = logs.lines
        #expect(
            lines.contains { $0.contains("credentials served") && $0.contains("uid=1000") && $0.contains("pid=42") }
        )
        #expect(lines.contains { $0.contains("request refused") && $0.contains("gid=100") && $0.contains("backup") })
        try logs.assertNoSecrets(["secret-logs-1", "token-1"])
    }

    @Test func theDefaultRoleSendsNoRoleFieldAndANamedOneSendsItsFields() throws {
        func body(_ s: VendingSelection) throws -> [String: JSONValue] {
            let r = VendingExchange.request(url: "http://x/v1/credentials", token: "t", selection: s)
            return try #require(try JSONParser.parse(r.body).objectValue)
        }
        #expect(try body(VendingSelection(role: "default")).keys.sorted() == ["access_token"])
        let named = try body(VendingSelection(role: "backup", durationSeconds: 1800, s3PathPrefix: "db/"))
        #expect(named["role"]?.stringValue == "backup")
        #expect(named["duration_seconds"]?.numberValue == 1800)
        #expect(named["s3_path_prefix"]?.stringValue == "db/")
    }

    @Test func aFailedRefreshHandsOutTheCachedOnesUntilAMinuteIsLeftThen502() async throws {
        let first = try #require(CredentialProcessOutput.parse(await get("/v1/credentials").body))
        upstream.failing.withLock { $0 = true }
        clock.advance(by: 3000)  // past the refresh point, 10 minutes left
        let stale = await get("/v1/credentials")
        #expect(stale.status == 200)
        #expect(CredentialProcessOutput.parse(stale.body)?.accessKeyId == first.accessKeyId)
        clock.advance(by: 560)  // 40 s left
        let failed = await get("/v1/credentials")
        #expect(failed.status == 502)
        #expect((try? JSONParser.parse(failed.body))?["error"]?.stringValue == "upstream_error")
        #expect(upstream.asked.withLock { $0 }.count == 3)
    }
}

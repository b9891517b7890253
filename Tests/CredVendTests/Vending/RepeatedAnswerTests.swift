import CredVendStore
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// A token's last answer is given again without the role and credential lookups only while
/// nothing it was decided from changed: every case below first makes the token's answer a
/// kept one (a miss, then a hit that keeps it), then changes one thing.
@Suite struct RepeatedAnswerTests {
    /// Three requests: the STS call, the hit that keeps the answer, the kept answer.
    private func keptAnswer(_ f: ServeFixture, _ token: String) async -> HTTPResponse {
        _ = await f.vend(token)
        _ = await f.vend(token)
        return await f.vend(token)
    }

    @Test func aRepeatedTokenGetsTheSameCredentialsWithoutACall() async throws {
        let f = try ServeFixture()
        let token = f.token()
        let first = await f.vend(token)
        let kept = await keptAnswer(f, token)
        #expect(kept.status == 200)
        #expect(kept.credentials == first.credentials)
        #expect(f.sts.callCount == 1)
        #expect(f.metrics.cacheHits.current == 3 && f.metrics.cacheMisses.current == 1)
    }

    /// Many threads reading and replacing one token's kept answer at once (under TSan in `make test`).
    @Test func concurrentRepeatsShareTheKeptAnswer() async throws {
        let f = try ServeFixture()
        let token = f.token()
        let first = await keptAnswer(f, token)
        let app = f.app
        let request = f.post(token)
        let responses = await withTaskGroup(of: HTTPResponse.self) { group in
            for _ in 0..<64 { group.addTask { await respond(app, to: request) } }
            return await group.reduce(into: [HTTPResponse]()) { $0.append($1) }
        }
        #expect(responses.allSatisfy { $0.status == 200 && $0.credentials == first.credentials })
        #expect(f.sts.callCount == 1)
    }

    @Test func aRoleChangeIsSeenDespiteAKeptAnswer() async throws {
        let f = try ServeFixture()
        let token = f.token()
        #expect(await keptAnswer(f, token).status == 200)
        try f.map(to: "arn:aws:iam::123456789012:role/second")
        #expect(await f.vend(token).status == 200)
        #expect(f.sts.calls.map(\.roleArn).last == "arn:aws:iam::123456789012:role/second")
        #expect(f.sts.callCount == 2)
    }

    /// Another process's write (another handle on the same store) moves the stamp too.
    @Test func aChangeByAnotherProcessIsSeen() async throws {
        let f = try ServeFixture()
        let token = f.token()
        #expect(await keptAnswer(f, token).status == 200)
        let other = try RoleStore(directory: f.directory.sub("db"))
        _ = try other.put(
            RoleMapping(clientId: ServeFixture.clientId, roleArn: "arn:aws:iam::123456789012:role/third")
        )
        #expect(await f.vend(token).status == 200)
        #expect(f.sts.calls.map(\.roleArn).last == "arn:aws:iam::123456789012:role/third")
    }

    @Test func aDeletedMappingIsRefusedDespiteAKeptAnswer() async throws {
        let f = try ServeFixture()
        let token = f.token()
        #expect(await keptAnswer(f, token).status == 200)
        #expect(try f.roles.delete(ServeFixture.clientId))
        let response = await f.vend(token)
        #expect(response.status == 403)
        #expect(response.errorCode == "access_denied")
    }

    /// The same token asking for another grant gets that grant, not the kept one.
    @Test func anotherAskIsNotAnsweredWithTheKeptAnswer() async throws {
        let f = try ServeFixture()
        let token = f.token()
        let kept = await keptAnswer(f, token)
        let shorter = await respond(
            f.app,
            to: HTTPRequest(
                method: "POST",
                path: "/v1/credentials",
                headers: ["Content-Type": "application/json"],
                body: Array("{\"access_token\":\"\(token)\",\"duration_seconds\":1800}".utf8),
                remoteAddress: "127.0.0.1:50000"
            )
        )
        #expect(shorter.status == 200)
        #expect(shorter.credentials?.accessKeyId != kept.credentials?.accessKeyId)
        #expect(f.sts.callCount == 2)
    }

    /// The kept answer for a token living `ttl` seconds, and the answer `seconds` later.
    private func answers(
        ttl: TimeInterval,
        after seconds: TimeInterval
    ) async throws -> (
        f: ServeFixture, kept: HTTPResponse, later: HTTPResponse
    ) {
        let f = try ServeFixture()
        let token = f.token(ttl: ttl)
        let kept = await keptAnswer(f, token)
        f.clock.advance(by: seconds)
        return (f, kept, await f.vend(token))
    }

    @Test func aKeptAnswerIsNotGivenPastItsRefreshTime() async throws {
        // Default session 3600 s, refresh buffer 900 s: due after 2700 s.
        let (f, kept, later) = try await answers(ttl: 86_400, after: 2701)
        #expect(kept.status == 200 && later.status == 200)
        #expect(later.credentials?.accessKeyId != kept.credentials?.accessKeyId)
        #expect(f.sts.callCount == 2)
    }

    /// Checked on every request, kept answer or not (600 s and the 60 s of skew).
    @Test func anExpiredTokenIsRefusedDespiteAKeptAnswer() async throws {
        let (_, kept, later) = try await answers(ttl: 600, after: 661)
        #expect(kept.status == 200)
        #expect(later.status == 401)
    }
}

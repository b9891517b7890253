import CredVendCrypto
import CredVendTesting
import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore

/// What credvend writes about a request: one access-log line that names the request
/// without its secrets, and (with `--audit-required`) no answer without an audit record.
@Suite struct ServeApplicationLogTests {
    func accessLines(_ f: ServeFixture) -> [String] {
        f.logs.lines.filter { $0.contains(": request ") }
    }

    @Test func theAccessLogLineNamesTheRequestButNoSecret() async throws {
        let f = try ServeFixture()
        let token = f.token()
        let response = await f.vend(token)
        #expect(response.status == 200)
        let lines = accessLines(f)
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        let fingerprint = Hex.encode(SHA256.hash(token).prefix(6))
        #expect(fingerprint.count == 12)
        for field in [
            "method=POST", "path=/v1/credentials", "status=200", "client_id=\(ServeFixture.clientId)",
            "token_sha256=\(fingerprint)", "remote=127.0.0.1:50000",
        ] {
            #expect(line.contains(field), "\(field) missing from the access log line")
        }
        #expect(line.contains("request_id=\(response.headers["X-Request-Id"] ?? "-")"))

        let issued = try #require(f.sts.issued.first)
        let secrets = [
            token, issued.secretAccessKey, try #require(issued.sessionToken), FakeSTS.sourceCredentials.secretAccessKey,
        ]
        #expect(f.logs.lines.count > 1, "STS and JWKS lines are captured too")
        #expect(throws: Never.self) { try f.logs.assertNoSecrets(secrets) }
        #expect(f.logs.lines(containingAnyOf: [String(token.split(separator: ".")[2])]).isEmpty)
    }

    @Test func refusalsAreLoggedWithTheirCodeAndWithoutTheToken() async throws {
        let f = try ServeFixture()
        let token = f.token(clientId: "unmapped-client-000000001")
        #expect(await f.vend(token).status == 403)
        let forged = f.token(kid: "forged-kid")
        #expect(await f.vend(forged).status == 401)
        let lines = accessLines(f)
        #expect(lines.count == 2)
        #expect(lines.first?.contains("status=403") == true && lines.first?.contains("error=access_denied") == true)
        #expect(lines.last?.contains("status=401") == true && lines.last?.contains("error=invalid_token") == true)
        #expect(throws: Never.self) { try f.logs.assertNoSecrets([token, forged]) }
    }

    /// A refusal is logged once when STS answers it, not once per request it is served to;
    /// every request still gets its access-log line.
    @Test func aRememberedRefusalIsLoggedOnceAndEachRequestAccessLogged() async throws {
        let f = try ServeFixture()
        f.sts.script(.accessDenied)
        for _ in 0..<5 { #expect(await f.vend(f.token()).status == 502) }
        let remembered = f.logs.lines.filter { $0.contains("STS refused the role mapping") }
        #expect(remembered.count == 1)
        #expect(remembered.first?.contains("code=AccessDenied") == true)
        let lines = accessLines(f)
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.contains("status=502") && $0.contains("error=upstream_error") })
    }

    /// A signed client_id or a path may hold a newline: the access-log line and the audit
    /// record still take one line each, with the value escaped.
    @Test func aNewlineInTheClientIdOrPathStaysInItsLine() async throws {
        let dir = TempDir()
        let f = try ServeFixture(auditPath: dir.sub("audit.log"), auditRequired: true)
        let clientId = "nobody\n2026-12-01T00:00:00.000Z INFO credvend.serve: request status=200"
        #expect(await f.vend(f.token(clientId: clientId)).status == 403)
        var probe = f.post(f.token())
        probe.path = "/healthz\u{0}.json\nforged"
        #expect(await respond(f.app, to: probe).status == 404)

        let lines = accessLines(f)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { !$0.contains("\n") && !$0.contains("\u{0}") })
        #expect(lines.first?.contains(#"client_id="nobody\n2026-12-01T00:00:00.000Z INFO"#) == true)
        #expect(lines.last?.contains(#"path="/healthz\x00.json\nforged""#) == true)
        let audit = try String(contentsOfFile: dir.sub("audit.log"), encoding: .utf8)
        #expect(audit.split(separator: "\n").count == 1 && audit.hasSuffix("}\n"))
        #expect(audit.contains(#""client_id":"nobody\n2026-12-01T00:00:00.000Z INFO"#))
    }

    @Test func theLeakCheckFindsALeak() throws {
        let logs = LogCapture()
        logs.logger().info("harmless", metadata: ["k": "v"])
        logs.logger().info("oops", metadata: ["session": "SECRET-123"])
        #expect(logs.lines(containingAnyOf: ["SECRET-123"]).count == 1)
        #expect(throws: LeakedSecret.self) { try logs.assertNoSecrets(["SECRET-123"]) }
    }

    @Test func auditRequiredAnswers503WhenTheRecordCannotBeWritten() async throws {
        let f = try ServeFixture(auditPath: "/dev/full", auditRequired: true)
        let response = await f.vend(f.token())
        #expect(response.status == 503)
        #expect(response.errorCode == "unavailable")
        #expect(response.headers["Retry-After"] != nil)
        #expect(response.credentials == nil)
        #expect(f.metrics.auditWriteFailures.current == 1)
    }

    @Test func withoutAuditRequiredAFailedRecordStillAnswers() async throws {
        let f = try ServeFixture(auditPath: "/dev/full", auditRequired: false)
        let response = await f.vend(f.token())
        #expect(response.status == 200)
        #expect(f.metrics.auditWriteFailures.current == 1)
    }

    @Test func theAuditRecordIsWrittenWithTheFixedClocksTime() async throws {
        let dir = TempDir()
        let f = try ServeFixture(auditPath: dir.sub("audit.log"), auditRequired: true)
        #expect(await f.vend(f.token()).status == 200)
        let text = try String(contentsOfFile: dir.sub("audit.log"), encoding: .utf8)
        #expect(text.contains("\"time\":\"\(ISO8601.string(f.clock.now()).dropLast()).000Z\""))
        #expect(text.contains(ServeFixture.clientId))
    }
}

import CredVendTesting
import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendCrypto
@testable import CredVendStore

@Suite struct AdminHandlerTests {
    static let admin = "admin-token-" + String(repeating: "a", count: 40)
    static let reader = "reader-token-" + String(repeating: "b", count: 40)
    static let tokens = AdminTokenStore(entries: [
        AdminTokenEntry(role: .admin, sha256: SHA256.hash(admin), line: 1),
        AdminTokenEntry(role: .reader, sha256: SHA256.hash(reader), line: 2),
    ])
    static let record = #"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/app"}"#

    @Test func bearerAuthenticationComesFirst() async throws {
        let f = try AdminFixture()
        let h = f.handler(.bearer(Self.tokens))
        let missing = await respond(h, to: request("GET", "/admin/v1/info"))
        #expect(missing.status == 401)
        #expect(missing.headers["WWW-Authenticate"] == "Bearer realm=\"credvend-admin\"")
        for header in ["Bearer nope", "Bearer ", "Bearer \(Self.admin.dropLast())b"] {
            let r = await respond(h, to: request("GET", "/admin/v1/nothing-here", authorization: header))
            #expect(r.status == 401, "\(header)")
            #expect(r.headers["WWW-Authenticate"]?.contains("error=\"invalid_token\"") == true)
        }
        let ok = await respond(h, to: request("GET", "/admin/v1/info", authorization: "Bearer \(Self.reader)"))
        #expect(ok.status == 200)
        #expect(ok.headers["X-Request-Id"] != nil)
    }

    @Test func aReaderCannotWriteAndNothingIsWritten() async throws {
        let f = try AdminFixture()
        let h = f.handler(.bearer(Self.tokens))
        let put = await respond(
            h,
            to: request("PUT", "/admin/v1/roles/app-01", body: Self.record, authorization: "Bearer \(Self.reader)")
        )
        #expect(put.status == 403)
        #expect(try f.store.count == 0)
        let ok = await respond(
            h,
            to: request("PUT", "/admin/v1/roles/app-01", body: Self.record, authorization: "Bearer \(Self.admin)")
        )
        #expect(ok.status == 201)
        let delete = await respond(
            h,
            to: request("DELETE", "/admin/v1/roles/app-01", authorization: "Bearer \(Self.reader)")
        )
        #expect(delete.status == 403)
        #expect(try f.store.count == 1)
    }

    @Test func theSocketActsAsAdmin() async throws {
        let f = try AdminFixture()
        let h = f.handler(.socket)
        #expect(await respond(h, to: request("PUT", "/admin/v1/roles/app-01", body: Self.record)).status == 201)
        #expect(await respond(h, to: request("GET", "/admin/v1/roles/app-01")).status == 200)
        #expect(await respond(h, to: request("GET", "/admin/v1/nope")).status == 404)
    }

    @Test func eachChangeIsAuditedWithCallerAndRecords() async throws {
        let f = try AdminFixture()
        let path = f.tmp.sub("audit.jsonl")
        let audit = try AuditLog(path: path, metrics: nil, logger: .init(label: "t"))
        let h = f.handler(.bearer(Self.tokens), audit: audit)
        _ = await respond(
            h,
            to: request("PUT", "/admin/v1/roles/app-01", body: Self.record, authorization: "Bearer \(Self.admin)")
        )
        _ = await respond(h, to: request("GET", "/admin/v1/roles", authorization: "Bearer \(Self.admin)"))
        _ = await respond(h, to: request("DELETE", "/admin/v1/roles/app-01", authorization: "Bearer \(Self.admin)"))
        // 404: no change
        _ = await respond(h, to: request("DELETE", "/admin/v1/roles/app-01", authorization: "Bearer \(Self.admin)"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == 2)
        #expect(lines[0]?["route"] as? String == "PUT /admin/v1/roles/{client_id}")
        #expect(lines[0]?["before"] is NSNull)
        #expect(
            (lines[1]?["caller"] as? [String: String])?["token_sha256_prefix"]
                == String(Hex.encode(SHA256.hash(Self.admin)).prefix(8))
        )
        #expect(lines[1]?["after"] is NSNull)
        #expect(!text.contains(Self.admin))
    }

    @Test func auditRequiredTurnsAFailedAuditInto503() async throws {
        let f = try AdminFixture()
        let audit = try AuditLog(
            path: try FullFile.make(at: f.tmp.sub("full")),
            metrics: nil,
            logger: .init(label: "t")
        )
        let lenient = f.handler(.socket, audit: audit)
        #expect(await respond(lenient, to: request("PUT", "/admin/v1/roles/app-01", body: Self.record)).status == 201)
        let strict = f.handler(.socket, audit: audit, auditRequired: true)
        let r = await respond(strict, to: request("DELETE", "/admin/v1/roles/app-01"))
        #expect(r.status == 503)
        #expect(r.object?["message"] as? String ?? "" != "")
    }
}

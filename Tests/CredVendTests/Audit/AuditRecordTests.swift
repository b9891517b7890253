import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct AuditRecordTests {
    static let time = Date(timeIntervalSince1970: 1_795_044_697.123)  // 2026-11-18T...

    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func vendRecordHasEveryFieldInOrder() throws {
        let record = VendAuditRecord(
            time: Self.time,
            requestId: "0a1b2c3d-0000002a",
            clientId: "app-01",
            roleName: "default",
            roleArn: "arn:aws:iam::123456789012:role/app",
            roleSessionName: "credvend-edge-01",
            source: "127.0.0.1:51234",
            status: 200,
            errorCode: nil,
            token: AuditTokenID(hex: "ab" + String(repeating: "0", count: 62), source: .jti)
        )
        #expect(
            record.line == """
                {"time":"\(AuditJSON.time(Self.time))","type":"vend","request_id":"0a1b2c3d-0000002a","client_id":"app-01",\
                "role_name":"default","role_arn":"arn:aws:iam::123456789012:role/app","role_session_name":"credvend-edge-01",\
                "source":"127.0.0.1:51234","status":200,"error":null,"token_id":"ab\(String(repeating: "0", count: 62))",\
                "token_id_from":"jti","client_cert_sha256":null,"client_cert_subject":null}

                """
        )
        _ = try object(record.line)
    }

    @Test func aRefusalHasNullsWhereNothingIsKnown() throws {
        let record = VendAuditRecord(
            time: Self.time,
            requestId: "r",
            clientId: nil,
            roleArn: nil,
            roleSessionName: nil,
            source: "[::1]:5",
            status: 400,
            errorCode: "invalid_request",
            token: nil
        )
        let o = try object(record.line)
        #expect(o["client_id"] is NSNull && o["role_arn"] is NSNull && o["token_id"] is NSNull)
        #expect(o["error"] as? String == "invalid_request")
        #expect(o["status"] as? Int == 400)
    }

    @Test func stringsAreEscaped() throws {
        let record = VendAuditRecord(
            time: Self.time,
            requestId: "r",
            clientId: "a\"b\\c\nd",
            roleArn: nil,
            roleSessionName: nil,
            source: "x",
            status: 403,
            errorCode: "access_denied",
            token: nil
        )
        #expect(try object(record.line)["client_id"] as? String == "a\"b\\c\nd")
    }

    /// No byte a client chose (a control character, DEL, U+2028, U+0085, which some readers
    /// split lines at) appears raw: the record is one line of ASCII and reads back the same.
    @Test func aRecordIsOneLineOfASCIIWhateverTheClientIdHolds() throws {
        let clientId = "a\u{0}b\rc\u{7F}d\u{2028}e\u{85}f\u{E9}\u{1F600}"
        let record = VendAuditRecord(
            time: Self.time,
            requestId: "r",
            clientId: clientId,
            roleArn: nil,
            roleSessionName: nil,
            source: "x",
            status: 403,
            errorCode: "access_denied",
            token: nil
        )
        #expect(record.line.utf8.dropLast().allSatisfy { (0x20...0x7E).contains($0) })
        #expect(record.line.split(whereSeparator: \.isNewline).count == 1)
        #expect(try object(record.line)["client_id"] as? String == clientId)
    }

    @Test func adminChangeBySocketAndByToken() throws {
        let before = RoleMapping(clientId: "app-01", roleArn: "arn:aws:iam::123456789012:role/a")
        var after = before
        after.permission = .full
        let bySocket = AdminAuditRecord(
            time: Self.time,
            requestId: "r1",
            caller: .socket,
            route: "PUT /admin/v1/roles/{client_id}",
            clientId: "app-01",
            status: 200,
            before: before,
            after: after
        )
        #expect(bySocket.line.contains(#""caller":{"via":"socket"},"route":"PUT /admin/v1/roles/{client_id}""#))
        #expect(
            bySocket.line.contains(
                #""before":{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/a","permission":"write""#
            )
        )
        let o = try object(bySocket.line)
        #expect(o["type"] as? String == "admin_change")
        #expect((o["after"] as? [String: Any])?["permission"] as? String == "full")

        let byToken = AdminAuditRecord(
            time: Self.time,
            requestId: "r2",
            caller: .token(role: .admin, tokenHashPrefix: "1a2b3c4d"),
            route: "DELETE /admin/v1/roles/{client_id}",
            clientId: "app-01",
            status: 204,
            before: before,
            after: nil
        )
        let t = try object(byToken.line)
        #expect(
            t["caller"] as? [String: String] == ["via": "token", "role": "admin", "token_sha256_prefix": "1a2b3c4d"]
        )
        #expect(t["after"] is NSNull)
    }

    /// A server_name may be any printable text, U+2028 and non-ASCII included: the record
    /// before and after is written in ASCII too.
    @Test func anAdminChangeIsOneLineOfASCIIWhateverTheRecordHolds() throws {
        var after = RoleMapping(clientId: "app-01", roleArn: "arn:aws:iam::123456789012:role/a")
        after.serverName = "edge\u{2028}caf\u{E9}"
        let record = AdminAuditRecord(
            time: Self.time,
            requestId: "r3",
            caller: .socket,
            route: "PUT /admin/v1/roles/{client_id}",
            clientId: "app-01",
            status: 201,
            before: nil,
            after: after
        )
        #expect(record.line.utf8.dropLast().allSatisfy { (0x20...0x7E).contains($0) })
        #expect(record.line.contains(#""server_name":"edge\u2028caf\u00e9""#))
        #expect((try object(record.line)["after"] as? [String: Any])?["server_name"] as? String == after.serverName)
    }

    @Test func timeHasMillisecondsInUTC() {
        #expect(AuditJSON.time(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(AuditJSON.time(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500Z")
        #expect(AuditJSON.time(Date(timeIntervalSince1970: 59.9999)) == "1970-01-01T00:00:59.999Z")
    }

    @Test func tokenIdentityIsAKeyedHMACOfJtiOrToken() throws {
        let identifier = try AuditTokenIdentifier(key: Array(0..<32))
        // Expected values from Python's hmac module: hmac.new(bytes(range(32)), b"jti:abc-123", sha256).
        #expect(
            identifier.identify(token: "a.b.c", verifiedJTI: "abc-123")
                == AuditTokenID(hex: "8c19a27cc8e6830de86bc9acf8cdf7ae4dbda84a80afd47584107028c3613be7", source: .jti)
        )
        #expect(
            identifier.identify(token: "a.b.c", verifiedJTI: nil)
                == AuditTokenID(hex: "ef24082a6373bf110b845ef383c8871828943bb7331c26f90a970f3ee607c27e", source: .token)
        )
        #expect(identifier.identify(token: "a.b.c", verifiedJTI: "").source == .token)
        let other = try AuditTokenIdentifier(key: Array(1...32))
        #expect(
            other.identify(token: "a.b.c", verifiedJTI: "abc-123")
                != identifier.identify(token: "a.b.c", verifiedJTI: "abc-123")
        )
    }

    @Test func hmacKeyFileMustBePrivateAndLongEnough() throws {
        let tmp = TempDir()
        let path = tmp.sub("key")
        try (String(repeating: "k", count: 64) + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let fromFile = try AuditTokenIdentifier.load(path: path)
        #expect(
            try fromFile.identify(token: "t", verifiedJTI: "j")
                == AuditTokenIdentifier(key: Array(String(repeating: "k", count: 64).utf8)).identify(
                    token: "t",
                    verifiedJTI: "j"
                )
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: ConfigurationError.self) { try AuditTokenIdentifier.load(path: path) }
        try "short\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect { try AuditTokenIdentifier.load(path: path) } throws: { "\($0)".contains("at least 32") }
    }

    @Test func requestIdsAreUniqueAndShort() {
        let ids = (0..<1000).map { _ in RequestID.next() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.count == 17 && $0.dropFirst(8).first == "-" })
        // One prefix per process, then the counter in hex (other tests may take numbers between).
        #expect(Set(ids.map { $0.prefix(9) }).count == 1)
        let counters = ids.compactMap { UInt64($0.dropFirst(9), radix: 16) }
        #expect(counters.count == 1000 && zip(counters, counters.dropFirst()).allSatisfy { $1 > $0 })
        #expect(ids.allSatisfy { $0.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase } })
    }
}

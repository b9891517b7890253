import Foundation
import Testing

@testable import CredVendCore

@Suite struct SessionPolicyTests {
    func mapping(
        bucket: String? = "my-bucket",
        prefix: String? = "backups/server-01/",
        permission: Permission
    ) -> RoleMapping {
        RoleMapping(
            clientId: "c",
            roleArn: "arn:aws:iam::1:role/r",
            bucket: bucket,
            s3PathPrefix: prefix,
            permission: permission
        )
    }

    @Test func noBucketNoPolicy() {
        #expect(SessionPolicy.json(for: mapping(bucket: nil, permission: .full)) == nil)
        #expect(SessionPolicy.json(for: mapping(bucket: "", permission: .full)) == nil)
    }

    @Test func write() {
        #expect(
            SessionPolicy.json(for: mapping(permission: .write))
                == #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"#
                + #""Resource":"arn:aws:s3:::my-bucket/backups/server-01/*"}]}"#
        )
    }

    @Test func readWrite() {
        #expect(
            SessionPolicy.json(for: mapping(permission: .readWrite))
                == #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"#
                + #""Resource":"arn:aws:s3:::my-bucket/backups/server-01/*"}]}"#
        )
    }

    @Test func full() {
        #expect(
            SessionPolicy.json(for: mapping(permission: .full))
                == #"{"Version":"2012-10-17","Statement":["#
                + #"{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"#
                + #""Resource":"arn:aws:s3:::my-bucket/backups/server-01/*"},"#
                + #"{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::my-bucket","#
                + #""Condition":{"StringLike":{"s3:prefix":["backups/server-01/*"]}}}]}"#
        )
    }

    @Test func prefixEdgeCases() {
        #expect(
            SessionPolicy.json(for: mapping(prefix: nil, permission: .write))?
                .contains(#""Resource":"arn:aws:s3:::my-bucket/*""#) == true
        )
        #expect(
            SessionPolicy.json(for: mapping(prefix: "//logs", permission: .write))?
                .contains(#""Resource":"arn:aws:s3:::my-bucket/logs*""#) == true
        )
        let odd = SessionPolicy.json(for: mapping(prefix: "a\"b\\c\n", permission: .full))!
        #expect(odd.contains(#""arn:aws:s3:::my-bucket/a\"b\\c\n*""#))
    }

    /// Every policy is valid JSON with the structure IAM expects.
    @Test(arguments: Permission.allCases)
    func validJSON(permission: Permission) throws {
        let text = try #require(SessionPolicy.json(for: mapping(prefix: "p \"q\"/", permission: permission)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["Version"] as? String == "2012-10-17")
        let statements = try #require(object["Statement"] as? [[String: Any]])
        #expect(statements.count == (permission == .full ? 2 : 1))
        #expect(statements[0]["Resource"] as? String == "arn:aws:s3:::my-bucket/p \"q\"/*")
        let actions = statements.flatMap { $0["Action"] as? [String] ?? [] }
        let expected: [Permission: [String]] = [
            .write: ["s3:PutObject"], .readWrite: ["s3:PutObject", "s3:GetObject"],
            .full: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"],
        ]
        #expect(actions == expected[permission])
        #expect(SessionPolicy.json(for: mapping(prefix: "p \"q\"/", permission: permission)) == text)
    }

    /// The policy built from strings, statement by statement (as `json` was written before
    /// it wrote one buffer in one pass): the two must give the same bytes.
    static func reference(_ m: RoleMapping) -> String? {
        guard let bucket = m.bucket, !bucket.isEmpty else { return nil }
        var prefix = Substring(m.s3PathPrefix ?? "")
        while prefix.hasPrefix("/") { prefix = prefix.dropFirst() }
        func statement(_ actions: [String], _ resource: String, _ condition: String? = nil) -> String {
            let quoted = actions.map(JSONText.quote).joined(separator: ",")
            let tail = condition.map { #","Condition":\#($0)"# } ?? ""
            return #"{"Effect":"Allow","Action":[\#(quoted)],"Resource":\#(JSONText.quote(resource))\#(tail)}"#
        }
        let granted = [Permission.write: 1, .readWrite: 2, .full: 3][m.permission]!
        let objectActions = Array(["s3:PutObject", "s3:GetObject", "s3:DeleteObject"].prefix(granted))
        var statements = [statement(objectActions, "arn:aws:s3:::\(bucket)/\(prefix)*")]
        if m.permission == .full {
            let condition = #"{"StringLike":{"s3:prefix":[\#(JSONText.quote("\(prefix)*"))]}}"#
            statements.append(statement(["s3:ListBucket"], "arn:aws:s3:::\(bucket)", condition))
        }
        return #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
    }

    /// Escapes, slashes (a `/` with a combining mark is no slash), NFC and NFD, long prefixes.
    @Test(arguments: Permission.allCases)
    func sameBytesAsTheStatementsBuiltAsStrings(permission: Permission) {
        let buckets: [String?] = [nil, "", "my-bucket", "b\"q", "b\\s", "bücket"]
        let prefixes: [String?] = [
            nil, "", "/", "//", "///a/", "/\u{301}x/", "a\"b\\c\n\t\r\u{1}\u{1F}/", "café/", "cafe\u{301}/",
            "日本/", "/😀/", String(repeating: "p/", count: 200),
        ]
        for bucket in buckets {
            for prefix in prefixes {
                let m = mapping(bucket: bucket, prefix: prefix, permission: permission)
                let written = SessionPolicy.json(for: m).map { Array($0.utf8) }
                #expect(
                    written == Self.reference(m).map { Array($0.utf8) },
                    "bucket \(bucket ?? "nil") prefix \(prefix ?? "nil")"
                )
            }
        }
    }
}

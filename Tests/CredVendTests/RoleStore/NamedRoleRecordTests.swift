import Foundation
import Testing

@testable import CredVendCore

/// Role records with named roles (docs/reference.md#named-roles): read strictly,
/// validated with the record's own rules, written canonically.
@Suite struct NamedRoleRecordTests {
    static let record = """
        {"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/app","permission":"write",\
        "session_duration_s":3600,"roles":[{"name":"backup","role_arn":"arn:aws:iam::123456789012:role/backup",\
        "bucket":"backup-bucket","s3_path_prefix":"hosts/web1/","permission":"read-write","session_duration_s":7200},\
        {"name":"logs.v2_x-1","role_arn":"arn:aws:iam::123456789012:role/logs","permission":"write",\
        "session_duration_s":3600}]}
        """

    func error(_ json: String) -> RoleValidationError? {
        do {
            _ = try RoleMappingJSON.decode(Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    /// The record with its first named role's JSON replaced by `role`.
    func withRole(_ role: String) -> String {
        #"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/app","roles":[\#(role)]}"#
    }

    @Test func aRecordWithNamedRolesRoundTripsToTheSameBytes() throws {
        let m = try RoleMappingJSON.decode(Data(Self.record.utf8))
        #expect(m.roles.map(\.name) == ["backup", "logs.v2_x-1"])
        #expect(m.roles[0].permission == .readWrite && m.roles[0].sessionDurationSeconds == 7200)
        #expect(RoleMappingJSON.encode(m) == Self.record)
        let list = RoleMappingJSON.encodeList([m])
        #expect(try RoleMappingJSON.decodeList(Data(list.utf8)) == [m])
    }

    @Test func aRecordWithoutRolesIsWrittenAsBefore() throws {
        let plain =
            #"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/app","permission":"write","session_duration_s":3600}"#
        let m = try RoleMappingJSON.decode(Data(plain.utf8))
        #expect(m.roles.isEmpty)
        #expect(RoleMappingJSON.encode(m) == plain)
        let empty = try RoleMappingJSON.decode(Data(withRole("").utf8))
        #expect(empty.roles.isEmpty && !RoleMappingJSON.encode(empty).contains("roles"), "[] is no named roles")
    }

    @Test func namedRolesTakeTheDefaults() throws {
        let m = try RoleMappingJSON.decode(
            Data(withRole(#"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b"}"#).utf8)
        )
        #expect(m.roles == [NamedRole(name: "b", roleArn: "arn:aws:iam::123456789012:role/b")])
    }

    @Test(arguments: [
        (#"{"role_arn":"arn:aws:iam::123456789012:role/b"}"#, "roles[0].name", "is required"),
        (#"{"name":"b"}"#, "roles[0].role_arn", "is required"),
        (#"{"name":"","role_arn":"arn:aws:iam::123456789012:role/b"}"#, "roles[0].name", "1-64 bytes"),
        (#"{"name":"a/b","role_arn":"arn:aws:iam::123456789012:role/b"}"#, "roles[0].name", "1-64 bytes"),
        (
            #"{"name":"\#(String(repeating: "a", count: 65))","role_arn":"arn:aws:iam::123456789012:role/b"}"#,
            "roles[0].name", "1-64 bytes"
        ),
        (#"{"name":"é","role_arn":"arn:aws:iam::123456789012:role/b"}"#, "roles[0].name", "1-64 bytes"),
        (#"{"name":"default","role_arn":"arn:aws:iam::123456789012:role/b"}"#, "roles[0].name", "default"),
        (#"{"name":"b","role_arn":"arn:aws:iam::1:role/b"}"#, "roles[0].role_arn", "12 digits"),
        (#"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","bucket":"A"}"#, "roles[0].bucket", "3-63"),
        (
            #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","s3_path_prefix":"x/"}"#,
            "roles[0].s3_path_prefix", "needs a bucket"
        ),
        (
            #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","bucket":"bkt","s3_path_prefix":"a/*"}"#,
            "roles[0].s3_path_prefix", "wildcards"
        ),
        (
            #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","permission":"admin"}"#,
            "roles[0].permission", "must be one of"
        ),
        (
            #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","session_duration_s":600}"#,
            "roles[0].session_duration_s", "900"
        ),
        (
            #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","server_name":"x"}"#,
            "roles[0].server_name", "unknown field"
        ),
        (
            #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b","name":"c"}"#,
            "roles[0].name", "more than once"
        ),
        (#""backup""#, "roles[0]", "JSON object"),
    ])
    func aBadNamedRoleIsRefusedNamingItsField(role: String, field: String, words: String) throws {
        let e = try #require(error(withRole(role)))
        #expect(e.field == field, "\(e)")
        #expect(e.message.contains(words), "\(e)")
    }

    @Test func rolesMustBeAnArrayAndNamesUnique() throws {
        let notArray = #"{"client_id":"app-01","role_arn":"arn:aws:iam::123456789012:role/app","roles":{}}"#
        #expect(error(notArray)?.field == "roles")
        let role = #"{"name":"b","role_arn":"arn:aws:iam::123456789012:role/b"}"#
        let twice = try #require(error(withRole(role + "," + role)))
        #expect(twice.field == "roles[1].name" && twice.message.contains("duplicate"))
    }

    @Test func validateAppliesTheSameRulesToRecordsBuiltInCode() {
        var m = RoleMapping(clientId: "app-01", roleArn: "arn:aws:iam::123456789012:role/app")
        m.roles = [NamedRole(name: "b", roleArn: "arn:aws:iam::123456789012:role/b", sessionDurationSeconds: 50_000)]
        #expect(throws: RoleValidationError.self) { try m.validate() }
        m.roles[0].sessionDurationSeconds = 43200
        #expect(throws: Never.self) { try m.validate() }
    }

    @Test func equalityIsByBytesAndCoversNamedRoles() {
        let a = RoleMapping(clientId: "c", roleArn: "arn:aws:iam::123456789012:role/app")
        var b = a
        b.roles = [
            NamedRole(name: "x", roleArn: "arn:aws:iam::123456789012:role/x", bucket: "bkt", s3PathPrefix: "caf\u{E9}")
        ]
        var c = b
        c.roles[0].s3PathPrefix = "cafe\u{301}"
        #expect(a != b && b != c && b == b)
        #expect(Set([a, b, c]).count == 3)
    }
}

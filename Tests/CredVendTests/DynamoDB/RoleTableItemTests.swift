import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore

/// Items of the roles table as role records: the seed's items unchanged, credvend's
/// optional attributes, and invalid items named by client_id and attribute.
@Suite struct RoleTableItemTests {
    /// Exactly what seeds/004's `aws_dynamodb_table_item` writes.
    static let seed: [String: DynamoDBAttributeValue] = [
        "client_id": .string("1abc2defg3hij4klmno5pqrs6"),
        "role_arn": .string("arn:aws:iam::123456789012:role/oidc-s3-dev-server-01"),
        "server_name": .string("server-01"), "s3_path_prefix": .string("backups/server-01/"),
    ]

    @Test func aSeedItemWithoutBucketGetsNoSessionPolicy() throws {
        let mapping = try RoleTableItem.mapping(Self.seed, defaultBucket: nil).get()
        #expect(mapping.clientId == "1abc2defg3hij4klmno5pqrs6")
        #expect(mapping.roleArn == "arn:aws:iam::123456789012:role/oidc-s3-dev-server-01")
        #expect(mapping.serverName == "server-01")
        #expect(mapping.bucket == nil)
        #expect(mapping.s3PathPrefix == nil, "a prefix without a bucket narrows nothing")
        #expect(mapping.permission == .write && mapping.sessionDurationSeconds == 3600)
        #expect(SessionPolicy.json(for: mapping) == nil, "the role's own IAM policy governs, as in the seed")
    }

    @Test func aSeedItemWithADefaultBucketIsNarrowedToItsPrefix() throws {
        let mapping = try RoleTableItem.mapping(Self.seed, defaultBucket: "oidc-s3-dev").get()
        #expect(mapping.bucket == "oidc-s3-dev")
        #expect(mapping.s3PathPrefix == "backups/server-01/")
        let policy = try #require(SessionPolicy.json(for: mapping))
        #expect(policy.contains("arn:aws:s3:::oidc-s3-dev/backups/server-01/*"))
    }

    @Test func credvendsOptionalAttributesAreTaken() throws {
        var item = Self.seed
        item["bucket"] = .string("own-bucket")
        item["permission"] = .string("full")
        item["session_duration_s"] = .number("7200")
        item["version"] = .number("4")
        item["owner_team"] = .string("storage")  // not credvend's: left alone
        let mapping = try RoleTableItem.mapping(item, defaultBucket: "oidc-s3-dev").get()
        #expect(mapping.bucket == "own-bucket", "the item's bucket wins over the default")
        #expect(mapping.permission == .full)
        #expect(mapping.sessionDurationSeconds == 7200)
    }

    @Test func namedRolesComeFromTheRolesAttributeAsInARecord() throws {
        var item = Self.seed
        item["roles"] = .string(
            #"[{"name":"backup","role_arn":"arn:aws:iam::123456789012:role/backup","bucket":"backup-bucket","s3_path_prefix":"x/"}]"#
        )
        let mapping = try RoleTableItem.mapping(item, defaultBucket: nil).get()
        #expect(mapping.roles.map(\.name) == ["backup"])
        #expect(mapping.roles.first?.roleArn == "arn:aws:iam::123456789012:role/backup")
        #expect(mapping.roles.first?.bucket == "backup-bucket")
    }

    @Test(arguments: [
        (#"[{"name":"default","role_arn":"arn:aws:iam::123456789012:role/x"}]"#, "roles[0].name"),
        (#"[{"name":"a","role_arn":"arn:aws:iam::123456789012:role/x","name":"b"}]"#, "roles[0].name"),
        (#"{"name":"a"}"#, "roles"),
        ("not json", "roles"),
    ])
    func aBadRolesAttributeNamesItsField(roles: String, attribute: String) {
        var item = Self.seed
        item["roles"] = .string(roles)
        guard case .failure(let problem) = RoleTableItem.mapping(item, defaultBucket: nil) else {
            Issue.record("\(roles) was taken")
            return
        }
        #expect(problem.clientId == "1abc2defg3hij4klmno5pqrs6")
        #expect(problem.attribute == attribute, "\(problem)")
    }

    @Test func emptyOptionalStringsCountAsAbsent() throws {
        var item = Self.seed
        item["server_name"] = .string("")
        item["bucket"] = .string("")
        let mapping = try RoleTableItem.mapping(item, defaultBucket: nil).get()
        #expect(mapping.serverName == nil && mapping.bucket == nil)
    }

    @Test(arguments: [
        ("role_arn", DynamoDBAttributeValue.number("1"), "must be a string (S), not N"),
        ("role_arn", .string("not-an-arn"), "arn:"),
        ("session_duration_s", .string("3600"), "must be a number (N), not S"),
        ("session_duration_s", .number("3600.5"), "whole number"),
        ("session_duration_s", .number("60"), "900"),
        ("permission", .string("admin"), "must be one of write, read-write, full"),
        ("version", .number("-1"), "0 or more"),
        ("bucket", .string("Not_A_Bucket"), "lowercase"),
    ])
    func anInvalidAttributeIsNamedWithTheClientId(
        _ attribute: String,
        _ value: DynamoDBAttributeValue,
        _ words: String
    )
        throws
    {
        var item = Self.seed
        item[attribute] = value
        let problem = try #require(RoleTableItem.mapping(item, defaultBucket: nil).failure)
        #expect(problem.clientId == "1abc2defg3hij4klmno5pqrs6")
        #expect(problem.attribute == attribute)
        #expect(problem.message.contains(words), "\(problem.message)")
        #expect(problem.description.contains("client_id \"1abc2defg3hij4klmno5pqrs6\""))
    }

    @Test func anItemWithoutClientIdOrRoleIsRefused() throws {
        var item = Self.seed
        item["client_id"] = nil
        let noId = try #require(RoleTableItem.mapping(item, defaultBucket: nil).failure)
        #expect(noId.clientId == nil && noId.attribute == "client_id")
        item = Self.seed
        item["role_arn"] = nil
        #expect(RoleTableItem.mapping(item, defaultBucket: nil).failure?.attribute == "role_arn")
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

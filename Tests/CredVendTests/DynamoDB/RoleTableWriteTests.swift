import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// The items and conditions of credvend's writes to the roles table, pure.
@Suite struct RoleTableWriteTests {
    static let mapping = RoleMapping(
        clientId: "app-01",
        roleArn: "arn:aws:iam::123456789012:role/app",
        serverName: "server-01",
        bucket: "oidc-s3-dev",
        s3PathPrefix: "backups/server-01/"
    )

    @Test func conditionsOnVersion() {
        #expect(RoleTableExpectation.absent.condition == DynamoDBCondition("attribute_not_exists(client_id)"))
        #expect(
            RoleTableExpectation.version(0).condition
                == DynamoDBCondition(
                    "attribute_exists(client_id) AND (attribute_not_exists(#v) OR #v = :v)",
                    names: ["#v": "version"],
                    values: [":v": .number("0")]
                )
        )
        #expect(
            RoleTableExpectation.version(7).condition
                == DynamoDBCondition("#v = :v", names: ["#v": "version"], values: [":v": .number("7")])
        )
        #expect(RoleTableExpectation.absent.next == 1)
        #expect(RoleTableExpectation.version(7).next == 8)
        #expect(RoleTableExpectation(item: FakeDynamoDB.seedItem("a")) == .version(0), "Terraform's item: version 0")
        #expect(RoleTableExpectation(item: nil) == .absent)
    }

    @Test func theItemKeepsTheSeedsShapeAndUnknownAttributes() throws {
        let old = FakeDynamoDB.seedItem("app-01", extra: ["owner": .string("team-a"), "version": .number("4")])
        let item = RoleTableWrite.item(for: Self.mapping, version: 5, keeping: old)
        #expect(
            item == [
                "client_id": .string("app-01"), "role_arn": .string("arn:aws:iam::123456789012:role/app"),
                "server_name": .string("server-01"), "bucket": .string("oidc-s3-dev"),
                "s3_path_prefix": .string("backups/server-01/"), "permission": .string("write"),
                "session_duration_s": .number("3600"), "version": .number("5"), "owner": .string("team-a"),
            ]
        )
        // Read back as a replica reads it: the same record.
        #expect(try RoleTableItem.mapping(item, defaultBucket: nil).get() == Self.mapping)
        var named = Self.mapping
        named.roles = [NamedRole(name: "backup", roleArn: "arn:aws:iam::123456789012:role/backup")]
        let withRoles = RoleTableWrite.item(for: named, version: 1, keeping: nil)
        #expect(try RoleTableItem.mapping(withRoles, defaultBucket: nil).get() == named)
        #expect(RoleTableWrite.isUnchanged(named, existing: withRoles))
        #expect(!RoleTableWrite.isUnchanged(Self.mapping, existing: withRoles))
    }

    @Test func writeBodies() throws {
        let put = RoleTableWrite.put(Self.mapping, over: nil)
        let body = try JSONParser.parse(put.body(table: "client_roles"))
        #expect(body["TableName"] == .string("client_roles"))
        #expect(body["ConditionExpression"] == .string("attribute_not_exists(client_id)"))
        #expect(body["Item"]?["version"] == ["N": "1"])
        let delete = RoleTableWrite.delete("app-01", version: 3)
        let d = try JSONParser.parse(delete.body(table: "client_roles"))
        #expect(d["Key"] == ["client_id": ["S": "app-01"]])
        #expect(d["ExpressionAttributeValues"] == [":v": ["N": "3"]])
        let t = try JSONParser.parse(
            DynamoDBItemRequests.transactWrite([put, delete], table: "client_roles", clientRequestToken: "tok")
        )
        #expect(t["ClientRequestToken"] == .string("tok"))
        #expect(t["TransactItems"]?.arrayValue?.count == 2)
        #expect(t["TransactItems"]?.arrayValue?[1]["Delete"]?["TableName"] == .string("client_roles"))
    }

    @Test func chunksHoldAtMost100Actions() {
        let writes = (0..<250).map { RoleTableWrite.delete("c\($0)", version: 1) }
        let chunks = DynamoDBItemRequests.chunks(writes, table: "t")
        #expect(chunks.map(\.count) == [100, 100, 50])
        #expect(chunks.flatMap { $0 } == writes)
        #expect(DynamoDBItemRequests.chunks([], table: "t").isEmpty)
    }

    @Test func cancellationReasonsAreRead() {
        let body = Array(
            #"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]}"#
                .utf8
        )
        let error = DynamoDBError.from(status: 400, body: body)
        #expect(error.code == "TransactionCanceledException")
        #expect(error.cancellationReasons == ["None", "ConditionalCheckFailed"])
        #expect(error.isConditionFailure)
        let throttled = Array(
            #"{"__type":"x#TransactionCanceledException","CancellationReasons":[{"Code":"ThrottlingError"}]}"#.utf8
        )
        #expect(!DynamoDBError.from(status: 400, body: throttled).isConditionFailure)
        let plain = Array(
            #"{"__type":"x#ConditionalCheckFailedException","message":"The conditional request failed"}"#.utf8
        )
        #expect(DynamoDBError.from(status: 400, body: plain).isConditionFailure)
    }

    @Test func importPlan() {
        let same = RoleTableWrite.item(for: Self.mapping, version: 2, keeping: nil)
        let seed = FakeDynamoDB.seedItem("app-02")  // Terraform's: version 0
        let other = FakeDynamoDB.seedItem("app-03", extra: ["version": .number("9")])
        var changed = Self.mapping
        changed.clientId = "app-02"
        var added = Self.mapping
        added.clientId = "app-04"
        let plan = RoleTableImportPlan.make(
            records: [added, changed, Self.mapping],
            items: [same, seed, other],
            replace: true,
            defaultBucket: nil
        )
        #expect(plan.added == 1 && plan.updated == 1 && plan.unchanged == 1 && plan.removed == 1)
        #expect(
            plan.writes == [
                RoleTableWrite.put(changed, over: seed), RoleTableWrite.put(added, over: nil),
                RoleTableWrite.delete("app-03", version: 9),
            ]
        )
        #expect(plan.changes.map(\.clientId) == ["app-02", "app-04", "app-03"])
        let keep = RoleTableImportPlan.make(records: [added], items: [other], replace: false, defaultBucket: nil)
        #expect(keep.writes == [RoleTableWrite.put(added, over: nil)] && keep.removed == 0)
    }

    @Test func fakeConditions() throws {
        let item: [String: DynamoDBAttributeValue] = ["client_id": .string("a"), "version": .number("3")]
        func holds(_ e: String, _ v: String = "3", on it: [String: DynamoDBAttributeValue]? = nil) throws -> Bool {
            try FakeDynamoDBCondition.holds(e, names: ["#v": "version"], values: [":v": .number(v)], item: it ?? item)
        }
        #expect(try holds("#v = :v"))
        #expect(try !holds("#v = :v", "4"))
        #expect(try !holds("attribute_not_exists(client_id)"))
        #expect(try holds("attribute_exists(client_id) AND (attribute_not_exists(#v) OR #v = :v)"))
        #expect(
            try holds(
                "attribute_exists(client_id) AND (attribute_not_exists(#v) OR #v = :v)",
                "0",
                on: ["client_id": .string("a")]
            )
        )
        #expect(try !holds("NOT attribute_exists(client_id)"))
        #expect(throws: FakeDynamoDBCondition.Invalid.self) { try holds("#v > :v") }
    }
}

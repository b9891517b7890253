import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore

/// The pure half of a sync: digest, invalid items keeping their previous version, and
/// the mass-delete guard.
@Suite struct RoleTableSnapshotTests {
    static func items(_ ids: [String]) -> [[String: DynamoDBAttributeValue]] { ids.map { FakeDynamoDB.seedItem($0) } }

    @Test func theDigestIgnoresOrderButNotContent() {
        let a = RoleTableSnapshot.digest(items: Self.items(["aa1", "bb2", "cc3"]), defaultBucket: nil)
        #expect(a == RoleTableSnapshot.digest(items: Self.items(["cc3", "aa1", "bb2"]), defaultBucket: nil))
        var edited = Self.items(["aa1", "bb2", "cc3"])
        edited[1]["server_name"] = .string("renamed")
        #expect(a != RoleTableSnapshot.digest(items: edited, defaultBucket: nil))
        #expect(a != RoleTableSnapshot.digest(items: Self.items(["aa1", "bb2"]), defaultBucket: nil))
        #expect(
            a != RoleTableSnapshot.digest(items: Self.items(["aa1", "bb2", "cc3"]), defaultBucket: "oidc-s3-dev"),
            "a new --roles-default-bucket changes the records, so it is a change"
        )
    }

    @Test func recordsAreSortedByClientId() {
        let snapshot = RoleTableSnapshot.build(
            items: Self.items(["zz9", "aa1", "mm5"]),
            defaultBucket: nil,
            previous: [:]
        )
        #expect(snapshot.records.map(\.clientId) == ["aa1", "mm5", "zz9"])
        #expect(snapshot.skipped.isEmpty)
    }

    @Test func anInvalidItemKeepsItsPreviousValidVersionAndNoOtherItemSuffers() throws {
        var items = Self.items(["aa1", "bb2", "cc3"])
        items[1]["role_arn"] = .string("broken")
        items.append(["client_id": .string("dd4")])  // never valid: no role_arn
        let old = try RoleTableItem.mapping(
            FakeDynamoDB.seedItem("bb2", role: "arn:aws:iam::123456789012:role/old"),
            defaultBucket: nil
        ).get()
        let snapshot = RoleTableSnapshot.build(items: items, defaultBucket: nil, previous: ["bb2": old])
        #expect(snapshot.records.map(\.clientId) == ["aa1", "bb2", "cc3"])
        #expect(snapshot.records[1] == old, "bb2's previous valid version stays")
        #expect(snapshot.skipped.map(\.attribute) == ["role_arn", "role_arn"])
        #expect(snapshot.skipped.map(\.clientId) == ["bb2", "dd4"])
        #expect(snapshot.keptPrevious == 1)
    }

    @Test func removingMoreThanHalfIsRefusedUnlessAllowed() throws {
        let previous: Set<String> = ["a01", "a02", "a03", "a04"]
        func records(_ ids: [String]) -> [RoleMapping] {
            RoleTableSnapshot.build(items: Self.items(ids), defaultBucket: nil, previous: [:]).records
        }
        #expect(
            RoleTableSnapshot.massDeleteProblem(
                previous: previous,
                records: records(["a01", "a02"]),
                allowMassDelete: false
            ) == nil,
            "half is allowed"
        )
        let problem = RoleTableSnapshot.massDeleteProblem(
            previous: previous,
            records: records(["a01"]),
            allowMassDelete: false
        )
        #expect(problem?.contains("remove 3 of 4") == true)
        #expect(
            RoleTableSnapshot.massDeleteProblem(previous: previous, records: [], allowMassDelete: false) != nil,
            "an empty table"
        )
        #expect(RoleTableSnapshot.massDeleteProblem(previous: previous, records: [], allowMassDelete: true) == nil)
        #expect(
            RoleTableSnapshot.massDeleteProblem(previous: [], records: [], allowMassDelete: false) == nil,
            "nothing to lose"
        )
        #expect(
            RoleTableSnapshot.massDeleteProblem(
                previous: previous,
                records: records(["b01", "b02", "b03", "b04"]),
                allowMassDelete: false
            ) != nil,
            "a different table replacing every mapping"
        )
    }

    @Test func theScheduleIsJitteredByTwentyPercent() {
        #expect(RoleSyncSchedule.delay(interval: 15, unitRandom: 0) == 12)
        #expect(abs(RoleSyncSchedule.delay(interval: 15, unitRandom: 0.999_999) - 18) < 0.001)
        #expect(RoleSyncSchedule.delay(interval: 15, unitRandom: 0.5) == 15)
    }

    @Test func stalenessCountsFromTheLastSuccess() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(
            RoleSyncSchedule.staleness(lastSuccess: now - 100, now: now, maxStaleness: nil) == nil,
            "off by default"
        )
        #expect(RoleSyncSchedule.staleness(lastSuccess: now - 60, now: now, maxStaleness: 60) == nil)
        #expect(
            RoleSyncSchedule.staleness(lastSuccess: now - 61, now: now, maxStaleness: 60)?.contains("61 s ago") == true
        )
        #expect(RoleSyncSchedule.staleness(lastSuccess: nil, now: now, maxStaleness: 60) != nil)
    }

    @Test func theMarkRoundTrips() throws {
        let mark = RoleTableMark(
            table: "client_roles",
            digest: "ab12",
            appliedAt: Date(timeIntervalSince1970: 1_800_000_123)
        )
        #expect(RoleTableMark(encoded: mark.encoded) == mark)
        #expect(RoleTableMark(encoded: Array("{}".utf8)) == nil)
    }
}

import CredVendStore
import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore

/// `RoleStore.replaceAll`: the whole store and its snapshot mark in one transaction.
@Suite struct RoleStoreReplaceAllTests {
    static func record(_ id: String, _ role: String = "first") -> RoleMapping {
        RoleMapping(clientId: id, roleArn: "arn:aws:iam::123456789012:role/\(role)")
    }

    @Test func replaceAllMakesTheRecordsTheWholeStoreAndKeepsTheMark() throws {
        let dir = TempDir()
        let store = try RoleStore(directory: dir.sub("db"))
        #expect(try store.tableMark() == nil, "a fresh store holds no snapshot")
        try store.put(Self.record("old1"))
        try store.put(Self.record("keep1"))
        let mark = RoleTableMark(
            table: "client_roles",
            digest: "abc",
            appliedAt: Date(timeIntervalSince1970: 1_800_000_000)
        )
        let (summary, changes) = try store.replaceAll(
            [Self.record("keep1", "second"), Self.record("new1")],
            mark: mark
        )
        #expect(summary == RoleImportSummary(added: 1, updated: 1, unchanged: 0, removed: 1))
        #expect(changes.map(\.clientId) == ["keep1", "new1", "old1"])
        #expect(try store.list().map(\.clientId) == ["keep1", "new1"])
        #expect(try store.tableMark() == mark)
        #expect(try store.get("old1") == nil)
    }

    @Test func aRefusedReplaceChangesNeitherRecordsNorMark() throws {
        let dir = TempDir()
        let store = try RoleStore(directory: dir.sub("db"))
        let first = RoleTableMark(
            table: "client_roles",
            digest: "one",
            appliedAt: Date(timeIntervalSince1970: 1_800_000_000)
        )
        try store.replaceAll([Self.record("a01")], mark: first)
        let bad = RoleMapping(clientId: "b01", roleArn: "not-an-arn")
        #expect(throws: RoleValidationError.self) {
            try store.replaceAll([bad], mark: RoleTableMark(table: "client_roles", digest: "two", appliedAt: Date()))
        }
        #expect(try store.list().map(\.clientId) == ["a01"])
        #expect(try store.tableMark() == first)
    }

    @Test func theMarkSurvivesAReopen() throws {
        let dir = TempDir()
        let mark = RoleTableMark(table: "t01", digest: "d", appliedAt: Date(timeIntervalSince1970: 1_800_000_000))
        do {
            let store = try RoleStore(directory: dir.sub("db"))
            try store.replaceAll([Self.record("a01")], mark: mark)
        }
        #expect(try RoleStore(directory: dir.sub("db")).tableMark() == mark)
    }
}

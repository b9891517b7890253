import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendStore

/// `remove` and `importAllReportingChanges`: what the admin API's audit records are made of.
@Suite struct RoleStoreChangesTests {
    @Test func removeReturnsTheRecordItRemoved() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        try store.put(Sample.mapping(1))
        #expect(try store.remove(Sample.clientId(1)) == Sample.mapping(1))
        #expect(try store.remove(Sample.clientId(1)) == nil)
        #expect(try store.remove("not a client id") == nil)
        #expect(try store.count == 0)
    }

    @Test func importReportsAddedAndUpdatedButNotUnchanged() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        try store.importAll([Sample.mapping(1), Sample.mapping(2)], replace: false)
        var changed = Sample.mapping(2)
        changed.permission = .full
        let (summary, changes) = try store.importAllReportingChanges(
            [Sample.mapping(3), changed, Sample.mapping(1)],
            replace: false
        )
        #expect(summary == RoleImportSummary(added: 1, updated: 1, unchanged: 1, removed: 0))
        #expect(
            changes == [
                RoleChange(clientId: Sample.clientId(2), before: Sample.mapping(2), after: changed),
                RoleChange(clientId: Sample.clientId(3), before: nil, after: Sample.mapping(3)),
            ]
        )
        #expect(try store.list() == [Sample.mapping(1), changed, Sample.mapping(3)])
    }

    /// A prefix rewritten from NFC to NFD is an update, seen by `get` (whose decoded
    /// record is kept by digest) and reported with both spellings.
    @Test func anNFDRewriteOfAPrefixIsAnUpdate() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        var nfc = Sample.mapping(1)
        nfc.bucket = "logs-bucket"
        nfc.s3PathPrefix = "backups/caf\u{E9}/"
        var nfd = nfc
        nfd.s3PathPrefix = "backups/cafe\u{301}/"
        try store.put(nfc)
        #expect(try store.get(nfc.clientId) == nfc)
        let (summary, changes) = try store.importAllReportingChanges([nfd], replace: false)
        #expect(summary == RoleImportSummary(added: 0, updated: 1, unchanged: 0, removed: 0))
        #expect(changes == [RoleChange(clientId: nfc.clientId, before: nfc, after: nfd)])
        #expect(try store.get(nfc.clientId) == nfd)
        #expect(try store.get(nfc.clientId) != nfc)
        #expect(try store.put(nfc) == nfd)
    }

    @Test func importWithReplaceReportsRemovedRecords() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        try store.importAll([Sample.mapping(1), Sample.mapping(2), Sample.mapping(3)], replace: false)
        let (summary, changes) = try store.importAllReportingChanges(
            [Sample.mapping(2), Sample.mapping(4)],
            replace: true
        )
        #expect(summary == RoleImportSummary(added: 1, updated: 0, unchanged: 1, removed: 2))
        #expect(changes.map(\.clientId) == [Sample.clientId(1), Sample.clientId(3), Sample.clientId(4)])
        #expect(changes[0].before == Sample.mapping(1) && changes[0].after == nil)
        #expect(changes[2].before == nil && changes[2].after == Sample.mapping(4))
        #expect(try store.list() == [Sample.mapping(2), Sample.mapping(4)])
    }

    @Test func summaryMatchesTheOldImportAll() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        try store.importAll((1...5).map { Sample.mapping($0) }, replace: false)
        var changed = Sample.mapping(2)
        changed.sessionDurationSeconds = 7200
        let summary = try store.importAll([Sample.mapping(1), changed, Sample.mapping(9)], replace: true)
        #expect(summary == RoleImportSummary(added: 1, updated: 1, unchanged: 1, removed: 3))
    }

    @Test func aBadRecordChangesNothingAndReportsNothing() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        try store.importAll([Sample.mapping(1)], replace: false)
        var bad = Sample.mapping(2)
        bad.bucket = "Not_A_Bucket"
        #expect(throws: RoleValidationError.self) {
            try store.importAllReportingChanges([Sample.mapping(3), bad], replace: true)
        }
        #expect(try store.list() == [Sample.mapping(1)])
    }
}

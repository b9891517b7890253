import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendStore

@Suite struct RoleStoreTests {
    @Test func putGetDeleteListCount() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        #expect(try store.get(Sample.clientId(1)) == nil)
        #expect(try store.count == 0)
        #expect(try store.list().isEmpty)

        #expect(try store.put(Sample.mapping(2)) == nil)
        try store.put(Sample.mapping(1))
        #expect(try store.get(Sample.clientId(1)) == Sample.mapping(1))
        #expect(try store.count == 2)
        #expect(try store.list() == [Sample.mapping(1), Sample.mapping(2)])  // ordered by client_id

        let previous = try store.put(Sample.mapping(1, permission: .full))
        #expect(previous == Sample.mapping(1))
        #expect(try store.get(Sample.clientId(1))?.permission == .full)
        #expect(try store.count == 2)

        #expect(try store.delete(Sample.clientId(1)))
        #expect(try !store.delete(Sample.clientId(1)))
        #expect(try store.get(Sample.clientId(1)) == nil)
        #expect(try store.list() == [Sample.mapping(2)])
    }

    @Test func directoryIsCreatedWithMode0700() throws {
        let tmp = TempDir()
        _ = try RoleStore(directory: tmp.sub("a/b/db"))
        let attributes = try FileManager.default.attributesOfItem(atPath: tmp.sub("a/b/db"))
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect(FileManager.default.fileExists(atPath: tmp.sub("a/b/db/data.mdb")))
    }

    @Test func putRefusesAnInvalidRecordAndWritesNothing() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        var bad = Sample.mapping(1)
        bad.sessionDurationSeconds = 60
        #expect(throws: RoleValidationError.self) { try store.put(bad) }
        #expect(try store.count == 0)
    }

    @Test func getOfAnImpossibleClientIdIsNil() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        #expect(try store.get("") == nil)
        #expect(try store.get(String(repeating: "x", count: 600)) == nil)
        #expect(try store.get("not a client id") == nil)
        #expect(try !store.delete(""))
    }

    @Test func importIsAllOrNothing() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        try store.importAll([Sample.mapping(1), Sample.mapping(2)], replace: false)
        let before = try store.exportAll()

        var bad = Sample.mapping(4)
        bad.roleArn = "arn:aws:iam::123:role/x"
        do {
            try store.importAll(
                [Sample.mapping(3), Sample.mapping(1, permission: .full), bad, Sample.mapping(5)],
                replace: true
            )
            Issue.record("import with a bad record succeeded")
        } catch let error as RoleValidationError {
            #expect(error.recordIndex == 2)
            #expect(error.clientId == Sample.clientId(4))
            #expect(error.field == "role_arn")
        }
        #expect(try store.exportAll() == before)

        // The same through the JSON file path, with the bad record in the middle.
        let file = RoleMappingJSON.encodeList([Sample.mapping(3), Sample.mapping(1, permission: .full), bad])
        #expect(throws: RoleValidationError.self) { try RoleMappingJSON.decodeList(Data(file.utf8)) }
        #expect(try store.exportAll() == before)
    }

    @Test func importDuplicatesAreRefused() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        #expect(throws: RoleValidationError.self) {
            try store.importAll([Sample.mapping(1), Sample.mapping(1, permission: .full)], replace: false)
        }
        #expect(try store.count == 0)
    }

    @Test func importMergesOrReplaces() throws {
        let tmp = TempDir()
        let store = try RoleStore(directory: tmp.sub("db"))
        #expect(
            try store.importAll([Sample.mapping(1), Sample.mapping(2), Sample.mapping(3)], replace: false)
                == RoleImportSummary(added: 3)
        )

        let merged = try store.importAll(
            [Sample.mapping(2), Sample.mapping(3, permission: .full), Sample.mapping(4)],
            replace: false
        )
        #expect(merged == RoleImportSummary(added: 1, updated: 1, unchanged: 1, removed: 0))
        #expect(try store.list().map(\.clientId) == [1, 2, 3, 4].map(Sample.clientId))

        let replaced = try store.importAll([Sample.mapping(2), Sample.mapping(5)], replace: true)
        #expect(replaced == RoleImportSummary(added: 1, updated: 0, unchanged: 1, removed: 3))
        #expect(try store.list() == [Sample.mapping(2), Sample.mapping(5)])

        #expect(try store.importAll([], replace: true) == RoleImportSummary(removed: 2))
        #expect(try store.count == 0)
    }

    @Test func exportImportExportIsByteIdentical() throws {
        let tmp = TempDir()
        let seed = try Data(contentsOf: Sample.seedFile)
        let first = try RoleStore(directory: tmp.sub("one"))
        try first.importAll(try RoleMappingJSON.decodeList(seed), replace: false)
        let exported = try first.exportAll()
        #expect(exported == String(decoding: seed, as: UTF8.self))  // the seed file is in canonical form

        let second = try RoleStore(directory: tmp.sub("two"))
        try second.importAll(try RoleMappingJSON.decodeList(Data(exported.utf8)), replace: false)
        #expect(try second.exportAll() == exported)
        #expect(try second.count == 6)
        #expect(Set(try second.list().map(\.permission)) == Set(Permission.allCases))
    }

    @Test func mapFullIsAClearErrorAndTheStoreStaysUsable() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        do {
            let store = try RoleStore(directory: dir, mapSize: 64 * 1024)
            try store.importAll([Sample.mapping(1), Sample.mapping(2)], replace: false)
            let many = (10..<3000).map { Sample.mapping($0) }
            do {
                try store.importAll(many, replace: false)
                Issue.record("a 64 KiB store took 3000 records")
            } catch let error as LMDBError {
                #expect(error.code == .mapFull)
                #expect(error.description.contains("role store is full; raise --map-size"))
                #expect(error.detail.contains("MDB_MAP_FULL"))
            }
            #expect(try store.list() == [Sample.mapping(1), Sample.mapping(2)])
            try store.put(Sample.mapping(3))
            #expect(try store.get(Sample.clientId(3)) == Sample.mapping(3))
            #expect(try store.delete(Sample.clientId(3)))
        }
        // Reopened with a larger map, the same import goes through.
        let bigger = try RoleStore(directory: dir, mapSize: 64 << 20)
        try bigger.importAll((10..<3000).map { Sample.mapping($0) }, replace: false)
        #expect(try bigger.count == 2992)
    }

    @Test func readOnlyStoreReadsButRefusesWrites() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        do { try RoleStore(directory: dir).put(Sample.mapping(1)) }
        let store = try RoleStore(directory: dir, readOnly: true)
        #expect(store.isReadOnly)
        #expect(try store.get(Sample.clientId(1)) == Sample.mapping(1))
        #expect(try store.count == 1)
        for attempt in [
            { try store.put(Sample.mapping(2)) }, { try store.delete(Sample.clientId(1)) },
            { try store.importAll([Sample.mapping(2)], replace: true) },
        ] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("a read-only store accepted a write")
            } catch let error as LMDBError {
                #expect(error.code == .readOnly)
            }
        }
        #expect(try store.list() == [Sample.mapping(1)])
    }

    @Test func readOnlyAndNoCreateOpensNeverCreateAStore() throws {
        let tmp = TempDir()
        for (readOnly, create) in [(true, true), (true, false), (false, false)] {
            #expect(throws: LMDBError.storeMissing) {
                try RoleStore(directory: tmp.sub("missing"), readOnly: readOnly, create: create)
            }
            #expect(!FileManager.default.fileExists(atPath: tmp.sub("missing")))
        }
        // An empty directory is not a store either, and stays empty.
        try FileManager.default.createDirectory(atPath: tmp.sub("empty"), withIntermediateDirectories: false)
        #expect(throws: LMDBError.storeMissing) { try RoleStore(directory: tmp.sub("empty"), readOnly: true) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.sub("empty")).isEmpty)
    }

    @Test func readOnlyStoreWithoutRolesDatabaseIsEmptyUntilOneAppears() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        do { _ = try LMDBEnvironment(path: dir) }  // an environment without the `roles` database
        let reader = try RoleStore(directory: dir, readOnly: true)
        #expect(try reader.list().isEmpty)
        #expect(try reader.get(Sample.clientId(1)) == nil)
        #expect(try reader.count == 0)
    }

    @Test func unwritableLocationsAreClearErrors() throws {
        let tmp = TempDir()
        _ = FileManager.default.createFile(atPath: tmp.sub("file"), contents: Data("x".utf8))
        do {
            _ = try RoleStore(directory: tmp.sub("file/db"))
            Issue.record("created a store under a regular file")
        } catch {
            #expect(error.code == .notADirectory)
            #expect(error.description.contains(tmp.sub("file/db")))
        }
        #expect(throws: LMDBError.notADirectory) { try RoleStore(directory: tmp.sub("file")) }
    }

    @Test(.enabled(if: getuid() != 0, "root ignores directory modes; tests/e2e covers this as an unprivileged user"))
    func permissionDeniedDirectory() throws {
        let tmp = TempDir()
        try FileManager.default.createDirectory(
            atPath: tmp.sub("locked"),
            withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o500]
        )
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: tmp.sub("locked")) }
        #expect(throws: LMDBError.permissionDenied) { try RoleStore(directory: tmp.sub("locked/db")) }
        #expect(throws: LMDBError.permissionDenied) { try RoleStore(directory: tmp.sub("locked")) }
    }

    @Test func damagedStoredRecordIsAnErrorNotACrash() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        do {
            let env = try LMDBEnvironment(path: dir)
            let roles = try #require(try env.openDatabase(named: RoleStore.databaseName, create: true))
            try env.write { txn in
                try txn.put(Array("abc".utf8), Array("{not json".utf8), in: roles)
                try txn.put(Array("def".utf8), Array(RoleMappingJSON.encode(Sample.mapping(1)).utf8), in: roles)
            }
        }
        let store = try RoleStore(directory: dir)
        #expect(throws: RoleValidationError.self) { try store.get("abc") }
        #expect(throws: RoleValidationError.self) { try store.get("def") }  // key and client_id differ
        #expect(throws: RoleValidationError.self) { try store.list() }
        #expect(try store.delete("abc"))
    }
}

extension LMDBError {
    /// For `#expect(throws:)`: LMDBError compares by code only.
    static let storeMissing = LMDBError(code: .storeMissing, status: 0, operation: "", detail: "")
    static let notADirectory = LMDBError(code: .notADirectory, status: 0, operation: "", detail: "")
    static let permissionDenied = LMDBError(code: .permissionDenied, status: 0, operation: "", detail: "")
}
